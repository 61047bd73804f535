"""`twofold-authenticator`: a terminal authenticator app built on `twofold.sdk.authenticator`
(enrol, show codes, answer pushes, remove). Part of the SDK: imports nothing from the server."""

from twofold.sdk.authenticator.app.cli import main

__all__ = ["main"]
