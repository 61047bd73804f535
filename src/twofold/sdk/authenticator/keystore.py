"""Accounts on disk: one JSON file, readable by its owner only (it holds private keys and
TOTP seeds), written atomically so a crash never leaves half a file."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from twofold.sdk.authenticator.client import Account


class KeystoreError(Exception):
    """The keystore cannot be used safely (others can read it) or is not a keystore."""


class Keystore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> list[Account]:
        """Every account; none when the file does not exist yet. A file group or others
        can read is refused: its keys must be considered leaked, not silently used."""
        try:
            mode = self.path.stat().st_mode
        except FileNotFoundError:
            return []
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeystoreError(f"{self.path} is readable by others; chmod 600 it first.")
        try:
            body = json.loads(self.path.read_text(encoding="utf-8"))
            return [Account.from_json(item) for item in body["accounts"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise KeystoreError(f"{self.path} is not a Twofold keystore.") from exc

    def save(self, accounts: list[Account]) -> None:
        """Replace the file: write a 0600 sibling, flush it to disk, rename it over."""
        body = json.dumps({"accounts": [a.to_json() for a in accounts]}, indent=2)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(body)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise

    def add(self, account: Account) -> None:
        """Store an account, replacing one with the same device id."""
        kept = [a for a in self.load() if a.device_id != account.device_id]
        self.save([*kept, account])

    def remove(self, device_id: str) -> None:
        self.save([a for a in self.load() if a.device_id != device_id])
