"""The second-factor step under load: `/mfa/challenge` + the mfa-otp grant, then the password grant.

    bench/mfa_otp.py [run] [--databases sqlite,postgresql] [--concurrency 16,64] [--duration 20]
    bench/mfa_otp.py seed --users N --out FILE      (against TWOFOLD_DATABASE_URL/DATA_DIR)
    bench/mfa_otp.py drive --seeds FILE --url http://127.0.0.1:8000

`run` starts `twofold serve` on a fresh SQLite data dir, then on a fresh PostgreSQL database
(created and dropped here), seeds users, authenticators and open `mfa_token`s straight into
the store (argon2 logins would dominate the setup), and sends only the measured step over
HTTP. Every seeded user is used once, so a code is never refused as a replay. docs/performance.md
has the method and the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import functools
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpload
from cpuwatch import CpuWatch
from httpload import (
    MFA_OTP,
    Connection,
    Job,
    Result,
    Run,
    drive_runs,
    error_code,
    form_post,
    password_grants,
    post,
    run_loop,
)
from seeding import PASSWORD, Seeded, Step, seed
from servers import HOST, add_leg_options, leg, run_legs, serving
from twofold.config import Settings

# The measured work --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Prepared:
    """A step's request bytes, built before the clock starts; only the code is added later."""

    challenge: bytes
    grant_head: bytes
    key: bytes


def prepare_steps(steps: Sequence[Step], host: str) -> collections.deque[Prepared]:
    prepared: collections.deque[Prepared] = collections.deque()
    for step in steps:
        challenge = json.dumps(
            {
                "client_id": step.client_id,
                "client_secret": step.client_secret,
                "mfa_token": step.mfa_token,
                "challenge_type": "otp",
            }
        ).encode()
        grant = form_post(
            host,
            "/oauth/token",
            {
                "grant_type": MFA_OTP,
                "client_id": step.client_id,
                "client_secret": step.client_secret,
                "mfa_token": step.mfa_token,
                "otp": "000000",
            },
        )
        prepared.append(
            Prepared(
                challenge=post(host, "/mfa/challenge", challenge, content_type="application/json"),
                grant_head=grant[:-6],
                key=httpload.totp_key(step.otp_secret),
            )
        )
    return prepared


def step_job(pool: collections.deque[Prepared]) -> Job:
    """Challenge, then the mfa-otp grant with the code of the current time step."""

    async def job(conn: Connection) -> str | None:
        item = pool.popleft()  # IndexError: the pool is empty
        status, body = await conn.send(item.challenge)
        if status != 200:
            return "challenge " + error_code(status, body)
        code = httpload.totp(item.key, at=time.time())
        status, body = await conn.send(item.grant_head + code.encode())
        if status != 200 or b'"access_token"' not in body:
            return "grant " + error_code(status, body)
        return None

    return job


def password_job(host: str, client: Step, emails: Sequence[str]) -> Job:
    """The password grant; `403 mfa_required` (with an mfa_token) is its success here."""
    requests = password_grants(
        host,
        client_id=client.client_id,
        client_secret=client.client_secret,
        emails=emails,
        password=PASSWORD,
    )
    turn = iter(range(sys.maxsize))

    async def job(conn: Connection) -> str | None:
        status, body = await conn.send(requests[next(turn) % len(requests)])
        if status == 403 and b'"mfa_required"' in body:
            return None
        return error_code(status, body)

    return job


@dataclass(frozen=True, slots=True)
class Plan:
    concurrency: tuple[int, ...]
    duration: float
    warmup: float
    password_concurrency: int
    password_duration: float


async def measure(
    host: str,
    port: int,
    seeded: Seeded,
    plan: Plan,
    *,
    label: str,
    server_pid: int | None,
    password: bool = True,
) -> list[Result]:
    pool = prepare_steps(seeded.steps, host)
    runs = [Run(f"{label}: mfa step", step_job(pool), c, plan.duration) for c in plan.concurrency]
    if password and plan.password_duration > 0 and seeded.steps:
        job = password_job(host, seeded.steps[0], seeded.emails[:256])
        runs.append(
            Run(f"{label}: password grant", job, plan.password_concurrency, plan.password_duration)
        )
    watch = functools.partial(CpuWatch, server_pid)
    return await drive_runs(host, port, runs, warmup=plan.warmup, watch=watch)


# Servers ------------------------------------------------------------------------------------


def run_leg(database: str, work: Path, *, args: argparse.Namespace, plan: Plan) -> list[Result]:
    with leg(database, args, work) as ready:
        settings = Settings(
            data_dir=ready.data_dir, database_url=ready.database_url, redis_url=args.redis_url
        )
        count = args.users or _pool_size(plan, args.max_rate)
        began = time.perf_counter()
        seeded = asyncio.run(seed(settings, count=count, scope=args.scope, ttl=args.ttl))
        print(
            f"{database}: seeded {count} users in {time.perf_counter() - began:.1f} s", flush=True
        )
        with serving(ready.env, workers=args.workers, log=ready.log) as (port, pid):
            return run_loop(measure(HOST, port, seeded, plan, label=database, server_pid=pid))


def _pool_size(plan: Plan, max_rate: int) -> int:
    return int(max_rate * (plan.duration + plan.warmup) * len(plan.concurrency))


# Commands -----------------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> None:
    plan = Plan(
        concurrency=tuple(int(c) for c in args.concurrency.split(",")),
        duration=args.duration,
        warmup=args.warmup,
        password_concurrency=args.password_concurrency,
        password_duration=args.password_duration,
    )
    run_legs(args, functools.partial(run_leg, args=args, plan=plan))


def cmd_seed(args: argparse.Namespace) -> None:
    settings = Settings()
    seeded = asyncio.run(seed(settings, count=args.users, scope=args.scope, ttl=args.ttl))
    with Path(args.out).open("w", encoding="utf-8") as out:
        for step in seeded.steps:
            out.write(step.json_line() + "\n")
    print(f"wrote {len(seeded.steps)} steps to {args.out}")


def cmd_drive(args: argparse.Namespace) -> None:
    """Drive the step against a running server from a `seed` file."""
    lines = Path(args.seeds).read_text(encoding="utf-8").splitlines()
    steps = [Step(**json.loads(line)) for line in lines[args.skip :] if line.strip()]
    url = urlsplit(args.url)
    plan = Plan(
        concurrency=tuple(int(c) for c in args.concurrency.split(",")),
        duration=args.duration,
        warmup=args.warmup,
        password_concurrency=0,
        password_duration=0,
    )
    measured = measure(
        url.hostname or HOST,
        url.port or 80,
        Seeded(steps=steps, emails=[]),
        plan,
        label="drive",
        server_pid=args.server_pid,
        password=False,
    )
    run_loop(measured)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command")
    run = commands.add_parser("run", help="start servers, seed, measure (the default)")
    _load_options(run)
    add_leg_options(run)
    run.add_argument("--users", type=int, default=0, help="seeded steps (default: from rate)")
    run.add_argument("--max-rate", type=int, default=2500, help="steps/s the pool must cover")
    run.add_argument("--password-concurrency", type=int, default=8)
    run.add_argument("--password-duration", type=float, default=10.0)
    _seed_options(run)
    seed_cmd = commands.add_parser("seed", help="seed steps into TWOFOLD_DATABASE_URL/DATA_DIR")
    seed_cmd.add_argument("--users", type=int, required=True)
    seed_cmd.add_argument("--out", required=True, help="JSON lines: one step each")
    _seed_options(seed_cmd)
    drive_cmd = commands.add_parser("drive", help="measure a running server from a seed file")
    drive_cmd.add_argument("--seeds", required=True)
    drive_cmd.add_argument("--url", default=f"http://{HOST}:8000")
    drive_cmd.add_argument("--skip", type=int, default=0, help="lines already used")
    drive_cmd.add_argument("--server-pid", type=int, default=None, help="for CPU figures")
    _load_options(drive_cmd)
    words = list(sys.argv[1:] if argv is None else argv)
    if not words or words[0] not in (*commands.choices, "-h", "--help"):
        words.insert(0, "run")  # `run` is the default command
    args = parser.parse_args(words)
    {"run": cmd_run, "seed": cmd_seed, "drive": cmd_drive}[args.command](args)


def _load_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--concurrency", default="16,64", help="comma-separated")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds first")


def _seed_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scope", default="openid profile email", help="of the mfa_tokens")
    parser.add_argument("--ttl", type=int, default=3600, help="mfa_token lifetime, seconds")


if __name__ == "__main__":
    main()
