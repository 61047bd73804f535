"""The step-up example (examples/stepup_app) as a real relying party for the browser: served
by uvicorn on its own loopback port, opened as `http://localhost:PORT`, registered in the live
Twofold as a regular web application, and living on the live server's shifted clock."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from examples.stepup_app import AppSettings, create_app

from tests.browser.server import LiveServer
from twofold.flows.clients import create_application

STEP_UP_MAX_AGE = 300
"""The example's default: the sensitive page wants an MFA no older than five minutes."""
START_TIMEOUT = 15.0


class ExampleSite:
    """uvicorn's own `run` in a thread; `url` is where the browser opens the example."""

    def __init__(self, listener: socket.socket, settings: AppSettings, live: LiveServer) -> None:
        self.url = settings.base_url
        self.settings = settings
        # The example judges `max_age` and token expiry by the clock the server moves.
        app = create_app(settings, clock=lambda: live.clock.now().timestamp())
        config = uvicorn.Config(
            app, log_config=None, log_level="warning", access_log=False, ws="none"
        )
        self._listener = listener
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [listener]},
            name="stepup-example",
            daemon=True,
        )

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the step-up example did not start (its log says why)")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(START_TIMEOUT)
        self._listener.close()
        if self._thread.is_alive():
            raise RuntimeError(f"the step-up example did not stop within {START_TIMEOUT} s")


@asynccontextmanager
async def serve_example(live: LiveServer) -> AsyncIterator[ExampleSite]:
    """Register the example in the live Twofold (its callback and its signed-out page as
    logout URL, as its README says), then serve it until the block ends."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    base_url = f"http://localhost:{listener.getsockname()[1]}"
    new = await live.run(
        create_application,
        name="Step-up example",
        app_type="regular_web",
        callbacks=[f"{base_url}/callback"],
        allowed_logout_urls=[f"{base_url}/"],
    )
    settings = AppSettings(
        issuer=live.settings.issuer,
        client_id=new.application.client_id,
        client_secret=new.client_secret or "",
        base_url=base_url,
        step_up_max_age=STEP_UP_MAX_AGE,
    )
    site = ExampleSite(listener, settings, live)
    site.start()
    try:
        yield site
    finally:
        site.stop()
