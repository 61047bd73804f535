"""WebAuthn assertion verification: in-process verifications/s, p50 and p99 per algorithm.

    bench/webauthn_verify.py [inprocess] [--algorithms ES256,EdDSA,RS256] [--count 5000]
                             [--warmup 300] [--form object|text]
    make bench BENCH=webauthn_verify BENCH_ARGS="--count 2000"

For each algorithm one credential is registered through `verify_registration`, then `count`
assertions are signed beforehand by the soft authenticator (tests/support) and each is
verified once by `verify_assertion`, one after another on one core. Signing stays outside
the clock; what is timed is what a WebAuthn grant runs besides the database: the size check
and JSON form, py_webauthn's parsing and signature check, and the counter policy. `--form
text` hands the response over as JSON text (a hosted page's form field) instead of an object
(an API body). docs/performance.md has the figures.

Further measurements (the HTTP round trip) go in as commands beside `inprocess` in `main`,
and can reuse `prepared_assertions`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root, for tests.support

from tests.support.soft_authenticator import Alg, SoftAuthenticator

from timings import Figures
from twofold.config import Settings
from twofold.domain import JsonObject
from twofold.factors.webauthn.ceremony import (
    RelyingParty,
    authentication_options,
    registration_options,
    verify_assertion,
    verify_registration,
)
from twofold.factors.webauthn.credential import Credential
from twofold.types import FactorType

ALGORITHMS: tuple[Alg, ...] = ("ES256", "EdDSA", "RS256")
SETTINGS = Settings(issuer="https://login.example.com/")
RP = RelyingParty.from_settings(SETTINGS)


@dataclass(frozen=True, slots=True)
class Prepared:
    """One signed assertion, the challenge it answers and the credential as stored before it."""

    response: JsonObject | str
    challenge: bytes
    credential: Credential


def prepared_assertions(alg: Alg, count: int, *, as_text: bool = False) -> list[Prepared]:
    """`count` assertions by one fresh credential, counters 1..count, in the order to verify."""
    device = SoftAuthenticator(RP.id, RP.origins[0], alg=alg, uv=True)
    options = registration_options(
        RP,
        SETTINGS.webauthn,
        FactorType.WEBAUTHN_ROAMING,
        user_handle=b"auth0|0123456789abcdef01234567",
        user_name="bench@example.com",
        display_name="Bench",
        exclude=[],
    )
    credential = verify_registration(
        RP,
        SETTINGS.webauthn,
        FactorType.WEBAUTHN_ROAMING,
        device.create(options.public_key),
        challenge=options.challenge,
        user_verification="discouraged",
    )
    prepared = []
    for count_before in range(count):
        request = authentication_options(
            RP, SETTINGS.webauthn, user_verification="discouraged", allowed=[credential]
        )
        response = device.get(request.public_key)
        prepared.append(
            Prepared(
                response=json.dumps(response) if as_text else response,
                challenge=request.challenge,
                credential=dataclasses.replace(credential, sign_count=count_before),
            )
        )
    return prepared


def verify_each(label: str, prepared: Sequence[Prepared]) -> Figures:
    """Verify every prepared assertion once; each must succeed with the expected counter."""
    durations = []
    clock = time.perf_counter_ns
    cpu_began = time.process_time()
    began = clock()
    for item in prepared:
        start = clock()
        assertion = verify_assertion(
            RP,
            item.response,
            challenge=item.challenge,
            credential=item.credential,
            user_verification="discouraged",
        )
        durations.append(clock() - start)
        if assertion.sign_count != item.credential.sign_count + 1:
            raise RuntimeError(f"{label}: unexpected sign count {assertion.sign_count}")
    seconds = (clock() - began) / 1e9
    cpu_seconds = time.process_time() - cpu_began
    return Figures(
        label, len(prepared), seconds, cpu_seconds, tuple(sorted(durations)), unit="verifications"
    )


def measure_inprocess(alg: Alg, *, count: int, warmup: int, as_text: bool) -> Figures:
    verify_each("warm-up", prepared_assertions(alg, warmup, as_text=as_text))
    form = "text" if as_text else "object"
    return verify_each(f"{alg} ({form})", prepared_assertions(alg, count, as_text=as_text))


def cmd_inprocess(args: argparse.Namespace) -> None:
    print(f"in-process verify_assertion, one core, Python {sys.version.split()[0]}", flush=True)
    for alg in args.algorithms.split(","):
        if alg not in ALGORITHMS:
            raise SystemExit(f"unknown algorithm {alg!r}; choose from {', '.join(ALGORITHMS)}")
        figures = measure_inprocess(
            alg,
            count=args.count,
            warmup=args.warmup,
            as_text=args.form == "text",
        )
        print(figures.line(), flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command")
    inprocess = commands.add_parser("inprocess", help="verify_assertion in a loop (the default)")
    inprocess.add_argument("--algorithms", default=",".join(ALGORITHMS), help="comma-separated")
    inprocess.add_argument("--count", type=int, default=5000, help="measured verifications")
    inprocess.add_argument("--warmup", type=int, default=300, help="unmeasured ones first")
    inprocess.add_argument("--form", choices=("object", "text"), default="object")
    handlers: dict[str, Callable[[argparse.Namespace], None]] = {"inprocess": cmd_inprocess}
    words = list(sys.argv[1:] if argv is None else argv)
    if not words or words[0] not in (*commands.choices, "-h", "--help"):
        words.insert(0, "inprocess")  # `inprocess` is the default command
    args = parser.parse_args(words)
    handlers[args.command](args)


if __name__ == "__main__":
    main()
