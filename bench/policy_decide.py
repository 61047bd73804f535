"""Policy evaluation: in-process decisions/s, p50 and p99, with 50 rules, the last one matching.

    bench/policy_decide.py [--rules 50] [--count 20000] [--warmup 1000]
    make bench BENCH=policy_decide BENCH_ARGS="--count 5000"

The rules mix the issue's examples (application, role, metadata, CIDR, geofence, time of day,
risk), each written so that it does not match, then one CIDR rule that does: every decision
evaluates all of them, the worst case for first-match-wins. What is timed is one `decide`:
building the CEL variables from the context (once per decision), each rule's compiled
program, the trace. The context is built once beforehand, as a flow builds it once per
request (its lookups are not part of this figure). docs/performance.md has the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Sequence

from timings import Figures
from twofold.policy.context import (
    ApplicationFacts,
    AssessedRisk,
    Assessments,
    Confidence,
    GeoFacts,
    PolicyContext,
    RequestFacts,
    UserFacts,
    local_time,
)
from twofold.policy.engine import Outcome, TenantPolicy, decide
from twofold.policy.rules import Action, ActionKind, Rule, compile_rule

NOT_MATCHING: tuple[str, ...] = (
    'application.client_id == "payroll{n}"',
    '"admin{n}" in user.roles',
    'has(user.app_metadata.tier) && user.app_metadata.tier == "gold{n}"',
    'request.ip.in_cidr("10.{n}.0.0/16")',
    '!(request.geo.country in ["DE", "FR", "US", "C{n}"])',
    'request.time.hour < 8 && request.time.weekday in ["Sat", "Sun"] && {n} > 0',
    "risk.assessments.new_device || risk.assessments.impossible_travel",
    'user.email.endsWith("@example{n}.org") && risk.confidence == "low"',
)
MATCHING = 'request.ip.in_cidr("2001:db8:abcd::/48")'


def the_rules(count: int) -> list[Rule]:
    """`count - 1` non-matching rules cycling through the examples, then the matching one."""
    rules = [
        compile_rule(
            name=f"rule {n}",
            enabled=True,
            condition=NOT_MATCHING[n % len(NOT_MATCHING)].replace("{n}", str(n)),
            action=Action(ActionKind.REQUIRE_MFA),
        )
        for n in range(count - 1)
    ]
    skip = Action(ActionKind.SKIP_MFA)
    rules.append(compile_rule(name="office", enabled=True, condition=MATCHING, action=skip))
    return rules


def the_context() -> PolicyContext:
    at = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
    return PolicyContext(
        user=UserFacts(
            id="auth0|0123456789abcdef01234567",
            email="ada@example.com",
            roles=("staff", "finance"),
            app_metadata={"tier": "silver", "region": "eu"},
            enrolled=("otp", "webauthn-roaming"),
        ),
        application=ApplicationFacts("crm", "CRM"),
        request=RequestFacts(
            ip="2001:db8:abcd:12::1",
            time=local_time(at, "Europe/Berlin"),
            geo=GeoFacts("DE", "Berlin", 52.52, 13.405, known=True),
            user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/132.0",
        ),
        risk=AssessedRisk(
            Confidence.HIGH,
            Assessments(new_device=False, impossible_travel=False, untrusted_ip=False),
            {
                "NewDevice": "match",
                "ImpossibleTravel": "minimal_travel_from_last_login",
                "UntrustedIP": "not_found_on_deny_list",
            },
        ),
    )


def measure(label: str, rules: Sequence[Rule], count: int) -> Figures:
    """`count` decisions one after another; each must come out as the last rule says."""
    context = the_context()
    expected = Outcome.SKIP if rules else Outcome.MFA
    clock = time.perf_counter_ns
    durations = []
    cpu_began = time.process_time()
    began = clock()
    for _ in range(count):
        start = clock()
        decision = decide(context, rules, TenantPolicy.ALWAYS)
        durations.append(clock() - start)
        if decision.outcome is not expected or len(decision.trace.rules) != len(rules):
            raise RuntimeError(f"{label}: unexpected decision {decision}")
    seconds = (clock() - began) / 1e9
    cpu_seconds = time.process_time() - cpu_began
    return Figures(label, count, seconds, cpu_seconds, tuple(sorted(durations)), unit="decisions")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rules", type=int, default=50, help="rules per decision, >= 1")
    parser.add_argument("--count", type=int, default=20_000, help="measured decisions")
    parser.add_argument("--warmup", type=int, default=1_000, help="unmeasured ones first")
    args = parser.parse_args(argv)
    if args.rules < 1:
        raise SystemExit("--rules must be at least 1")
    rules = the_rules(args.rules)
    print(f"in-process decide(), one core, Python {sys.version.split()[0]}", flush=True)
    measure("warm-up", rules, args.warmup)
    print(measure("tenant policy only", [], args.count).line(), flush=True)
    print(measure("1 rule (matching)", rules[-1:], args.count).line(), flush=True)
    figures = measure(f"{args.rules} rules (last matches)", rules, args.count)
    print(figures.line(), flush=True)
    per_rule = figures.percentile_us(0.5) / args.rules
    print(f"{'':<25} ~{per_rule:.1f} µs per rule at p50", flush=True)


if __name__ == "__main__":
    main()
