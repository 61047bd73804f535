"""What the user types, read on a daemon thread so a blocked read never keeps the program
from exiting, and drained before each question so a stray line typed earlier can never
answer a push it was not meant for."""

from __future__ import annotations

import asyncio
import threading
from typing import TextIO


class LineReader:
    def __init__(self, source: TextIO) -> None:
        self._source = source
        self._lines: asyncio.Queue[str | None] = asyncio.Queue()
        self._thread: threading.Thread | None = None
        self.ended = asyncio.Event()
        """Set at the end of input (Ctrl-D, a closed pipe)."""

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._read, args=(loop,), daemon=True)
        self._thread.start()

    def _read(self, loop: asyncio.AbstractEventLoop) -> None:
        for line in self._source:
            loop.call_soon_threadsafe(self._lines.put_nowait, line.strip())
        loop.call_soon_threadsafe(self._lines.put_nowait, None)
        loop.call_soon_threadsafe(self.ended.set)

    async def fresh_line(self) -> str | None:
        """The next line typed from now on; None at the end of input."""
        while not self._lines.empty():
            if self._lines.get_nowait() is None:
                return None
        return await self._lines.get()
