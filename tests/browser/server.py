"""A real Twofold server for the browser: uvicorn on 127.0.0.1 in a thread with its own event
loop, serving `create_app(settings, runtime=...)` on the leg's database, opened as localhost."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import socket
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import Concatenate, ParamSpec, TypeVar

import uvicorn

from twofold.app import build_runtime, close_runtime, create_app
from twofold.cli.setup import prepare
from twofold.clock import SystemClock
from twofold.config import Settings
from twofold.flows.runtime import Runtime

P = ParamSpec("P")
T = TypeVar("T")
START_TIMEOUT = 30.0


class ShiftedClock:
    """The wall clock plus an offset a test may move (idle timeouts, expiries, the next TOTP
    step). Real time underneath, because the browser judges cookie expiry by real time."""

    def __init__(self) -> None:
        self._offset = dt.timedelta()

    def now(self) -> dt.datetime:
        return SystemClock().now() + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += dt.timedelta(seconds=seconds)

    def reset(self) -> None:
        self._offset = dt.timedelta()


class ErrorLog(logging.Handler):
    """ERROR records logged on the server's thread (an unexpected exception, a 500): a page
    test fails on any of them, since no request a browser makes may break the server."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.thread_id: int | None = None
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread_id:
            self.records.append(f"{record.name}: {record.getMessage()}")


class LiveServer:
    """Start with `start()`, stop with `stop()`. `url` is `http://localhost:PORT`, the issuer
    is `http://localhost:PORT/` (WebAuthn's RP ID `localhost` matches only that host)."""

    def __init__(self, settings: Settings) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        port: int = self._socket.getsockname()[1]
        self.url = f"http://localhost:{port}"
        self.settings = settings.model_copy(update={"issuer": f"{self.url}/"})
        self.clock = ShiftedClock()
        self.errors = ErrorLog()
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runtime: Runtime | None = None
        self._server: uvicorn.Server | None = None
        self._thread = threading.Thread(target=self._main, name="twofold-live", daemon=True)

    @property
    def runtime(self) -> Runtime:
        """The server's own runtime. Use it only through `run`, on the server's loop."""
        if self._runtime is None:
            raise RuntimeError("the live server is not running")
        return self._runtime

    def start(self) -> None:
        for name in ("twofold", "uvicorn"):
            logging.getLogger(name).addHandler(self.errors)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT):
            raise RuntimeError(f"the live server did not start within {START_TIMEOUT} s")
        if self._failure is not None:
            raise RuntimeError("the live server failed to start") from self._failure

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        self._thread.join(START_TIMEOUT)
        if self._thread.is_alive():
            raise RuntimeError(f"the live server did not stop within {START_TIMEOUT} s")
        for name in ("twofold", "uvicorn"):
            logging.getLogger(name).removeHandler(self.errors)
        self._socket.close()
        if self._failure is not None:
            raise RuntimeError("the live server stopped with an error") from self._failure

    async def run(
        self, work: Callable[Concatenate[Runtime, P], Awaitable[T]], /, *a: P.args, **k: P.kwargs
    ) -> T:
        """`await live.run(a_user)`: a flow on the server's runtime, clock and loop (asyncpg
        connections belong to one loop), awaited from the test's loop."""
        if self._loop is None:
            raise RuntimeError("the live server is not running")

        async def call() -> T:
            return await work(self.runtime, *a, **k)

        done: Future[T] = asyncio.run_coroutine_threadsafe(call(), self._loop)
        return await asyncio.wrap_future(done)

    def _main(self) -> None:
        self.errors.thread_id = threading.get_ident()
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # noqa: BLE001 - uvicorn may SystemExit; start() raises it
            self._failure = exc
        finally:
            self._ready.set()

    async def _serve(self) -> None:
        await prepare(self.settings, migrate_embedded=False)
        self._runtime = await build_runtime(self.settings, clock=self.clock)
        try:
            app = create_app(self.settings, runtime=self._runtime)
            # log_config=None: uvicorn must not reconfigure logging in the test process (it
            # would drop the ErrorLog handler); its records reach pytest's log capture.
            config = uvicorn.Config(
                app, log_config=None, log_level="warning", access_log=False, ws="none"
            )
            self._server = uvicorn.Server(config)
            self._loop = asyncio.get_running_loop()
            serving = asyncio.create_task(self._server.serve(sockets=[self._socket]))
            while not (self._server.started or serving.done()):  # noqa: ASYNC110 - a plain flag
                await asyncio.sleep(0.01)
            if not self._server.started:
                await serving  # uvicorn's own error, if it raised one
                raise RuntimeError("uvicorn stopped before it served (its log says why)")
            self._ready.set()
            await serving
        finally:
            await close_runtime(self._runtime)
