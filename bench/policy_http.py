"""The password grant over HTTP with policy rules: what 50 rules add to a login (issue 6).

    bench/policy_http.py [--databases sqlite,postgresql] [--concurrency 4] [--duration 20]
        [--rounds 1] [--argon2-time-cost 3 --argon2-memory-kib 65536 --argon2-parallelism 4]
    make bench BENCH=policy_http BENCH_ARGS="--databases sqlite --duration 10"

Per database: `twofold serve` on a fresh data dir (and scratch PostgreSQL database), users
seeded through the store, then `POST /oauth/token` (password grant) measured in three
configurations on the same server, one after another: tenant policy Never with no rules;
Never with 50 rules of which none matches (every login evaluates all 50); Adaptive with the
same 50 (`--rounds` repeats the three, so a shared machine's drift shows). A login counts
when it answers 200 with an `access_token`: a rule that matched (or errored, which fails
closed) would answer 403 instead. Every configuration hashes passwords
at the same argon2id cost (the server's defaults unless told), which dominates a login.
docs/performance.md has the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import math
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cpuwatch import CpuWatch
from httpload import (
    Connection,
    Job,
    Result,
    Run,
    drive_runs,
    error_code,
    password_grants,
    run_loop,
)
from seeding import PASSWORD, Seeded, seed
from servers import HOST, add_leg_options, leg, run_legs, serving
from twofold.app import build_runtime, close_runtime
from twofold.config import PasswordSettings, Settings
from twofold.flows.management import set_mfa_policies
from twofold.flows.policy_rules import create_rule, delete_rule, list_rules
from twofold.policy.engine import TenantPolicy
from twofold.policy.rules import Action, ActionKind
from twofold.store.tables import users

ACTOR = "bench"

# The rules -----------------------------------------------------------------------------------

NOT_MATCHING: tuple[str, ...] = (
    'request.ip.in_cidr("10.{n}.0.0/16")',
    'request.ip.in_cidr("2001:db8:{n}::/48")',
    'request.geo.country in ["KP", "IR", "SY", "CU", "X{n}"]',
    'request.geo.known && !(request.geo.country in ["DE", "FR", "NL", "X{n}"])',
    '(request.time.hour < 6 || request.time.hour >= 22) && "night-shift{n}" in user.roles',
    'request.time.weekday in ["Sat", "Sun"] && "weekday-only{n}" in user.roles',
    '"admin{n}" in user.roles || "finance{n}" in user.roles',
    'has(user.app_metadata.tier) && user.app_metadata.tier == "gold{n}"',
    'has(user.app_metadata.region) && user.app_metadata.region == "r{n}"',
    "risk.assessments.untrusted_ip && {n} >= 0",
    "risk.assessments.impossible_travel && !risk.assessments.new_device && {n} >= 0",
)
"""What tenants write (CIDRs, country lists, office hours, roles, metadata, risk), each
made not to match a seeded user logging in from 127.0.0.1 (no country: the address is not
placed) on a known device, at whatever hour the bench runs; `{n}` makes every rule distinct."""

ACTIONS = (
    Action(ActionKind.REQUIRE_MFA),
    Action(ActionKind.DENY),
    Action(ActionKind.SKIP_MFA),
)


def rule_conditions(count: int) -> list[str]:
    return [NOT_MATCHING[n % len(NOT_MATCHING)].replace("{n}", str(n)) for n in range(count)]


@dataclass(frozen=True, slots=True)
class Configuration:
    """One measured window's tenant set-up (`configure` applies it before the window)."""

    label: str
    policy: TenantPolicy | None
    """None is Never."""
    rules: int


async def configure(settings: Settings, config: Configuration) -> None:
    """Set the tenant policy and the rules (through the flows, as the Management API does;
    the server reads both at every login). Rules are added or all removed: a window with
    rules runs after one with fewer or none."""
    rt = await build_runtime(settings)
    try:
        await set_mfa_policies(rt, [config.policy.value] if config.policy else [], actor=ACTOR)
        have = [str(rule["id"]) for rule in await list_rules(rt)]
        if config.rules < len(have):
            for rule_id in have:
                await delete_rule(rt, rule_id, actor=ACTOR)
            have = []
        for n, condition in enumerate(rule_conditions(config.rules)[len(have) :], len(have)):
            await create_rule(
                rt,
                name=f"rule {n}",
                enabled=True,
                condition=condition,
                action=ACTIONS[n % len(ACTIONS)],
                remember=None,
                actor=ACTOR,
            )
    finally:
        await close_runtime(rt)


async def give_facts(settings: Settings) -> None:
    """Roles and app_metadata on every seeded user, so the rules that read them have
    something to compare (none of the rules' values)."""
    rt = await build_runtime(settings)
    try:
        async with rt.store.transaction() as tx:
            await tx.conn.execute(
                users.update().values(
                    roles=["staff", "sales"], app_metadata={"tier": "silver", "region": "eu"}
                )
            )
    finally:
        await close_runtime(rt)


# The measured work ---------------------------------------------------------------------------


def login_job(host: str, seeded: Seeded) -> Job:
    """The password grant, cycling through the seeded users; success is 200 with tokens."""
    client = seeded.steps[0]
    requests = password_grants(
        host,
        client_id=client.client_id,
        client_secret=client.client_secret,
        emails=seeded.emails,
        password=PASSWORD,
    )
    turn = iter(range(sys.maxsize))

    async def job(conn: Connection) -> str | None:
        status, body = await conn.send(requests[next(turn) % len(requests)])
        if status == 200 and b'"access_token"' in body:
            return None
        return error_code(status, body)

    return job


def configurations(rules: int) -> tuple[Configuration, ...]:
    return (
        Configuration("never, 0 rules", None, 0),
        Configuration(f"never, {rules} rules", None, rules),
        Configuration(f"adaptive, {rules} rules", TenantPolicy.ADAPTIVE, rules),
    )


def in_order(configs: Sequence[Configuration], turn: int) -> Sequence[Configuration]:
    """Every other round backwards: the cost of a login grows as the audit log does (this
    IP's recent events, read for UntrustedIP's velocity), so a window run later in a round
    pays more; alternating the order cancels that drift over an even number of rounds."""
    return configs if turn % 2 == 0 else configs[::-1]


def run_leg(
    database: str, work: Path, *, args: argparse.Namespace, report: list[str]
) -> list[Result]:
    """The three configurations `--rounds` times on one server; what each window with rules
    added (against the round's window without) goes to `report`, with the median."""
    passwords = PasswordSettings(
        time_cost=args.argon2_time_cost,
        memory_kib=args.argon2_memory_kib,
        parallelism=args.argon2_parallelism,
    )
    with leg(database, args, work) as ready:
        settings = Settings(
            data_dir=ready.data_dir,
            database_url=ready.database_url,
            redis_url=args.redis_url,
            passwords=passwords,
        )
        seeded = asyncio.run(seed(settings, count=args.users, scope="openid", ttl=3600))
        asyncio.run(give_facts(settings))
        env = ready.env | {
            "TWOFOLD_PASSWORDS__TIME_COST": str(passwords.time_cost),
            "TWOFOLD_PASSWORDS__MEMORY_KIB": str(passwords.memory_kib),
            "TWOFOLD_PASSWORDS__PARALLELISM": str(passwords.parallelism),
        }
        results: list[Result] = []
        added: dict[str, list[Added]] = {}
        with serving(env, workers=args.workers, log=ready.log) as (port, pid):
            for turn in range(args.rounds):
                windows: list[tuple[Configuration, Window]] = []
                for config in in_order(configurations(args.rules), turn):
                    asyncio.run(configure(settings, config))
                    run = Run(
                        f"{database}: {config.label}",
                        login_job(HOST, seeded),
                        args.concurrency,
                        args.duration,
                    )
                    window = run_loop(measure(port, run, warmup=args.warmup, server_pid=pid))
                    results.append(window.result)
                    windows.append((config, window))
                base = next(window for config, window in windows if config.rules == 0)
                for config, window in windows:
                    if config.rules:
                        added.setdefault(window.result.label, []).append(Added.of(window, base))
        for label, rounds in added.items():
            report += [f"{label:<32} {one.line()}" for one in rounds]
            if len(rounds) > 1:
                report.append(f"{label:<32} {Added.median(rounds).line()} (median)")
        return results


# The comparison ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Window:
    result: Result
    server_cpu_ms: float
    """The server's CPU time per successful login: other work on a shared machine delays a
    request without adding to its CPU time (contended caches still inflate it somewhat)."""


async def measure(port: int, run: Run, *, warmup: float, server_pid: int) -> Window:
    watch = CpuWatch(server_pid)
    [result] = await drive_runs(HOST, port, [run], warmup=warmup, watch=lambda: watch)
    ok = result.tally.ok
    return Window(result, watch.server_seconds * 1000 / ok if ok else math.nan)


@dataclass(frozen=True, slots=True)
class Added:
    """What a window with rules added to the same round's window without: p50, p99, server
    CPU per login (ms; NaN when either window had no success), and the rate (logins/s)."""

    p50: float
    p99: float
    cpu: float
    rate: float

    @classmethod
    def of(cls, window: Window, base: Window) -> Added:
        now, before = window.result, base.result
        return cls(
            p50=now.tally.percentile(0.5) - before.tally.percentile(0.5),
            p99=now.tally.percentile(0.99) - before.tally.percentile(0.99),
            cpu=window.server_cpu_ms - base.server_cpu_ms,
            rate=now.rate - before.rate,
        )

    @classmethod
    def median(cls, rounds: Sequence[Added]) -> Added:
        """Per figure across rounds: a shared machine's drift hits single rounds."""
        return cls(
            p50=statistics.median(one.p50 for one in rounds),
            p99=statistics.median(one.p99 for one in rounds),
            cpu=statistics.median(one.cpu for one in rounds),
            rate=statistics.median(one.rate for one in rounds),
        )

    def line(self) -> str:
        return (
            f"added p50 {self.p50:+7.2f} ms  p99 {self.p99:+7.2f} ms  "
            f"server CPU/login {self.cpu:+6.2f} ms  req/s {self.rate:+6.1f}"
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add_leg_options(parser)
    parser.add_argument("--rules", type=int, default=50, help="rules in the 2nd and 3rd windows")
    parser.add_argument("--users", type=int, default=256, help="seeded users, logged in in turn")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds each")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds first")
    parser.add_argument("--rounds", type=int, default=1, help="the three windows, repeated")
    defaults = PasswordSettings()
    parser.add_argument("--argon2-time-cost", type=int, default=defaults.time_cost)
    parser.add_argument("--argon2-memory-kib", type=int, default=defaults.memory_kib)
    parser.add_argument("--argon2-parallelism", type=int, default=defaults.parallelism)
    args = parser.parse_args(argv)
    if min(args.rules, args.users, args.rounds) < 1:
        raise SystemExit("--rules, --users and --rounds must be at least 1")
    print(
        f"argon2id t={args.argon2_time_cost}, m={args.argon2_memory_kib} KiB, "
        f"p={args.argon2_parallelism} in every configuration",
        flush=True,
    )
    report: list[str] = []
    run_legs(args, functools.partial(run_leg, args=args, report=report))
    print("\n== added by the rules (vs. never, 0 rules, same leg and round) ==")
    print("\n".join(report))


if __name__ == "__main__":
    main()
