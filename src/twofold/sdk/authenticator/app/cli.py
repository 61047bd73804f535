"""The command line (argparse: the SDK must not depend on the server's Typer app): parse,
run one command on an event loop, and turn an AppError into one line and exit status 2."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any

from twofold.sdk.authenticator.app.accounts import default_keys_path, load, open_keystore
from twofold.sdk.authenticator.app.commands import (
    default_name,
    enrol_device,
    remove_account,
    show_codes,
)
from twofold.sdk.authenticator.app.failure import EXIT_FAILURE, AppError
from twofold.sdk.authenticator.app.lines import LineReader
from twofold.sdk.authenticator.app.prompt import Listener
from twofold.sdk.authenticator.app.qr import read_qr

INTERRUPTED = 130


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="twofold-authenticator",
        description="A terminal authenticator for Twofold: codes and push sign-in approvals.",
    )
    keys = argparse.ArgumentParser(add_help=False)
    keys.add_argument(
        "--keys",
        type=Path,
        default=None,
        help=f"the keystore file (default: {default_keys_path()})",
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    enrol = commands.add_parser(
        "enrol", parents=[keys], help="enrol this terminal from a barcode URI or QR image"
    )
    source = enrol.add_mutually_exclusive_group(required=True)
    source.add_argument("barcode_uri", nargs="?", help="the otpauth:// URI of the QR code")
    source.add_argument("--qr", type=Path, help="a PNG or JPEG image of the QR code")
    enrol.add_argument("--name", default=None, help="this device's name, shown in your lists")
    codes = commands.add_parser("codes", parents=[keys], help="every account's current code")
    codes.add_argument("--watch", action="store_true", help="refresh every second")
    commands.add_parser("listen", parents=[keys], help="wait for sign-in requests and answer them")
    remove = commands.add_parser(
        "remove", parents=[keys], help="unenrol an account and delete its key"
    )
    remove.add_argument("account", help="issuer:email, email, or device id")
    return top


def _command(args: argparse.Namespace) -> Coroutine[Any, Any, int]:
    keys: Path = args.keys or default_keys_path()
    out = sys.stdout
    if args.command == "enrol":
        uri = args.barcode_uri if args.qr is None else read_qr(args.qr)
        return enrol_device(uri, name=args.name or default_name(), keys=keys, out=out)
    if args.command == "codes":
        return show_codes(keys, watch=args.watch, out=out)
    if args.command == "remove":
        return remove_account(args.account, keys=keys, out=out)
    accounts = load(open_keystore(keys))
    if not accounts:
        raise AppError(f"no accounts in {keys}: enrol one first")
    return Listener(accounts, reader=LineReader(sys.stdin), out=out).run()


def main(argv: Sequence[str] | None = None) -> int:
    """The `twofold-authenticator` entry point; returns the exit status."""
    args = parser().parse_args(argv)
    try:
        return asyncio.run(_command(args))
    except AppError as exc:
        print(f"twofold-authenticator: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return INTERRUPTED
