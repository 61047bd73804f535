"""Starting `twofold serve` and a scratch PostgreSQL database for the benchmarks, one leg per
database (bench layer)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import asyncpg

from httpload import Connection, Result, summarise

HOST = "127.0.0.1"
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _twofold() -> str:
    beside = Path(sys.executable).with_name("twofold")
    found = str(beside) if beside.exists() else shutil.which("twofold")
    if not found:
        raise SystemExit("the `twofold` command is not installed (pip install -e .)")
    return found


def server_env(
    data_dir: Path, database_url: str | None, args: argparse.Namespace
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWOFOLD_")}
    env |= {
        "TWOFOLD_DATA_DIR": str(data_dir),
        "TWOFOLD_LOG_LEVEL": "warning",
        "TWOFOLD_TOKENS__SIGNING_ALG": args.signing_alg,
    }
    redis_url: str | None = args.redis_url
    if database_url:
        env["TWOFOLD_DATABASE_URL"] = database_url
    if redis_url:
        env["TWOFOLD_REDIS_URL"] = redis_url
    return env


@contextlib.contextmanager
def serving(
    env: dict[str, str], *, workers: int | None, log: IO[bytes]
) -> Iterator[tuple[int, int]]:
    """`twofold serve` on a free port until the block ends; yields the port and the pid."""
    port = _free_port()
    command = [_twofold(), "serve", "--host", HOST, "--port", str(port)]
    if workers is not None:
        command += ["--workers", str(workers)]
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        _wait_healthy(port, process)
        yield port, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_healthy(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    request = f"GET /healthz HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode()

    async def probe() -> int:
        conn = await Connection.open(HOST, port)
        try:
            status, _ = await conn.send(request)
            return status
        finally:
            await conn.close()

    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"twofold serve exited with {process.returncode}; see its log")
        with contextlib.suppress(OSError):
            if asyncio.run(probe()) == 200:
                return
        time.sleep(0.2)
    raise SystemExit("twofold serve did not become healthy in 60 s")


def init(env: dict[str, str], log: IO[bytes]) -> None:
    subprocess.run([_twofold(), "init", "--json"], env=env, stdout=log, stderr=log, check=True)  # noqa: S603


@contextlib.contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    name = f"twofold_bench_{secrets.token_hex(4)}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(admin_url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rpartition("/")[0] + "/" + name
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# One leg per database ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Leg:
    """An initialised data dir (and scratch database) for one leg, before its server starts."""

    database: str
    data_dir: Path
    database_url: str | None
    env: dict[str, str]
    log: IO[bytes]


@contextlib.contextmanager
def leg(database: str, args: argparse.Namespace, work: Path) -> Iterator[Leg]:
    """`twofold init` on a fresh data dir under `work`, on a new PostgreSQL database when
    `database` says so (dropped when the block ends); the server's log goes to `work`."""
    data_dir = work / database
    with contextlib.ExitStack() as stack:
        url = None
        if database == "postgresql":
            url = stack.enter_context(postgres_database(args.postgres_url))
        env = server_env(data_dir, url, args)
        log = stack.enter_context((work / f"{database}.log").open("wb"))
        init(env, log)
        yield Leg(database=database, data_dir=data_dir, database_url=url, env=env, log=log)


def add_leg_options(parser: argparse.ArgumentParser) -> None:
    """The options `leg` and `run_legs` read: which databases, how the server runs, what is
    kept. Every benchmark that starts its own servers takes them, with the same defaults."""
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--workers", type=int, default=None, help="twofold serve --workers")
    parser.add_argument("--postgres-url", default=POSTGRES_ADMIN, help="admin connection")
    parser.add_argument("--redis-url", default=None, help="attempt limiter on Redis")
    parser.add_argument("--signing-alg", default="RS256", choices=("RS256", "ES256"))
    parser.add_argument("--keep", action="store_true", help="keep the data dirs and server logs")


def run_legs(args: argparse.Namespace, run_leg: Callable[[str, Path], list[Result]]) -> None:
    """`run_leg(database, work dir)` for each of `--databases`, then the summary; the work
    dir is removed at the end unless `--keep`."""
    print(machine(args.workers), flush=True)
    results: list[Result] = []
    work = Path(tempfile.mkdtemp(prefix="twofold-bench-"))
    try:
        for database in args.databases.split(","):
            results += run_leg(database, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")
    print("\n== summary ==")
    print(summarise(results))


def machine(workers: int | None) -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (
        f"machine: {os.cpu_count()} cores, {cpu}; Python {sys.version.split()[0]}; "
        f"server workers: {workers if workers is not None else 'twofold serve default'}"
    )
