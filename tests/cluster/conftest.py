"""Real server processes (uvicorn) on free ports, sharing the leg's database and key file."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import httpx
import pytest

from tests.api.conftest import runtime  # noqa: F401 - the same prepared runtime fixture
from twofold.config import Settings

Node = Callable[..., str]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_healthy(base_url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"node exited with {process.returncode}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"node at {base_url} did not become healthy")


@pytest.fixture
def node(settings: Settings, tmp_path: Path) -> Iterator[Node]:
    """Start a node: `node(redis_url=None) -> base_url`. Every node is stopped afterwards."""
    processes: list[subprocess.Popen[bytes]] = []
    logs: list[IO[bytes]] = []

    def start(*, redis_url: str | None = None) -> str:
        port = _free_port()
        env = {
            **os.environ,
            "TWOFOLD_DATA_DIR": str(settings.data_dir),
            "TWOFOLD_DATABASE_URL": settings.database_url or "",
            "TWOFOLD_ISSUER": settings.issuer,
            "TWOFOLD_PASSWORDS__TIME_COST": "1",
            "TWOFOLD_PASSWORDS__MEMORY_KIB": "8",
            "TWOFOLD_PASSWORDS__PARALLELISM": "1",
        }
        env.pop("TWOFOLD_REDIS_URL", None)
        if redis_url:
            env["TWOFOLD_REDIS_URL"] = redis_url
        log = (tmp_path / f"node-{port}.log").open("wb")
        logs.append(log)
        process = subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
            [
                sys.executable,
                "-m",
                "uvicorn",
                "twofold.app:create_app_from_env",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        processes.append(process)
        base_url = f"http://127.0.0.1:{port}"
        _wait_healthy(base_url, process)
        return base_url

    yield start
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for log in logs:
        log.close()
