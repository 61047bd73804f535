"""Where the app keeps its accounts and how a user names one on the command line."""

from __future__ import annotations

import os
from pathlib import Path

from twofold.sdk.authenticator.app.failure import AppError
from twofold.sdk.authenticator.client import Account
from twofold.sdk.authenticator.keystore import Keystore, KeystoreError

APP_DIR = "twofold-authenticator"


def default_keys_path() -> Path:
    """`$XDG_CONFIG_HOME/twofold-authenticator/keys.json` (XDG Base Directory: `~/.config`
    when the variable is unset or not absolute)."""
    base = os.environ.get("XDG_CONFIG_HOME", "")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".config"
    return root / APP_DIR / "keys.json"


def open_keystore(path: Path, *, create: bool = False) -> Keystore:
    """The keystore; with `create`, its folder is made private (0700) when new: the file is
    0600 already, the folder keeps others from even listing it."""
    if create:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    return Keystore(path)


def load(store: Keystore) -> list[Account]:
    try:
        return store.load()
    except KeystoreError as exc:
        raise AppError(str(exc)) from exc


def label(account: Account) -> str:
    return f"{account.issuer}:{account.user_email}"


def find(accounts: list[Account], name: str) -> Account:
    """The one account `name` means: its device id, its email, or `issuer:email`."""
    matches = [a for a in accounts if name in (a.device_id, a.user_email, label(a))]
    if not matches:
        raise AppError(f"no account named {name!r} (see `twofold-authenticator codes`)")
    if len(matches) > 1:
        raise AppError(f"{name!r} names {len(matches)} accounts: use issuer:email or device id")
    return matches[0]
