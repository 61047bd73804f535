"""An ASGI app served by uvicorn on 127.0.0.1, in a thread with its own event loop.

A fake provider that stalls (to make a client time out) stalls only its own loop, never the
test's; the port is the one the kernel picked, so fakes never collide.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

START_TIMEOUT = 10.0


class LoopbackServer:
    def __init__(self, app: ASGIApp) -> None:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        config = uvicorn.Config(
            app,
            log_config=None,
            log_level="warning",
            access_log=False,
            ws="none",
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._listener]}, daemon=True
        )

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the loopback server did not start")
            time.sleep(0.005)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(START_TIMEOUT)
        self._listener.close()
        if self._thread.is_alive():
            raise RuntimeError(f"the loopback server did not stop within {START_TIMEOUT} s")


@contextmanager
def serving(app: ASGIApp) -> Iterator[LoopbackServer]:
    server = LoopbackServer(app)
    server.start()
    try:
        yield server
    finally:
        server.stop()
