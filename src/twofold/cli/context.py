"""Shared CLI plumbing: settings, an opened runtime, JSON or rich output."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from twofold.channels import ChannelConfigError, MessageTemplateError
from twofold.config import Settings
from twofold.errors import TwofoldError
from twofold.security.envelope import KeyRingError

T = TypeVar("T")
console = Console()
err_console = Console(stderr=True)


def settings() -> Settings:
    return Settings()


def run(work: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine; a TwofoldError, a key file the operator must fix (missing, too
    open, lacking a key) or channel settings that cannot deliver codes become a one-line
    message and exit code 1."""
    try:
        return asyncio.run(_call(work))
    except TwofoldError as exc:
        err_console.print(f"[red]error:[/red] {escape(exc.code)}: {escape(exc.description)}")
        raise typer.Exit(1) from exc
    except KeyRingError as exc:
        err_console.print(f"[red]error:[/red] master_key: {escape(str(exc))}")
        raise typer.Exit(1) from exc
    except (ChannelConfigError, MessageTemplateError) as exc:
        err_console.print(f"[red]error:[/red] channels: {escape(str(exc))}")
        raise typer.Exit(1) from exc


async def _call(work: Callable[[], Awaitable[T]]) -> T:
    return await work()


def emit_json(value: Any) -> None:
    """One JSON document on stdout, for scripts."""
    print(json.dumps(value, indent=2, default=str))
