"""The master key ring and envelope encryption of secrets at rest (decision 003).

A blob is `version | len(kid) | kid | nonce + AESGCM(KEK, DEK) | nonce + AESGCM(DEK, payload)`.
The data key (DEK) is fresh per secret; the key-encryption key (KEK) is named, so rotation
only re-wraps the 32-byte DEK and never touches the payload. The caller's associated data
binds the payload to its row (an authenticator id), so a blob copied elsewhere fails.

The key file is JSON, mode 0600, written atomically; a node that meets a blob wrapped by a
key it has not seen re-reads the file once, so `twofold keys rotate` run elsewhere on a
shared file needs no restart.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import stat
import threading
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = 1
_KEY_BYTES = 32
_NONCE_BYTES = 12
_WRAPPED_BYTES = _NONCE_BYTES + _KEY_BYTES + 16  # nonce + encrypted DEK + GCM tag


class KeyRingError(Exception):
    """The key file is missing, unreadable, too open, or lacks a key a blob needs."""


class DecryptionError(Exception):
    """A blob is malformed, tampered with, or bound to different associated data."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def _new_kid() -> str:
    return "mk_" + secrets.token_hex(6)


class KeyRing:
    """Named KEKs, the active one, and the recovery-code pepper, backed by one file."""

    def __init__(self, path: Path, *, keys: dict[str, bytes], active: str, pepper: bytes) -> None:
        if active not in keys:
            raise KeyRingError(f"{path}: the active key {active!r} is not in the file")
        self._path = path
        self._keys = dict(keys)
        self._active = active
        self._pepper = pepper
        self._lock = threading.Lock()

    # ---- the file -------------------------------------------------------------------------

    @classmethod
    def load_or_create(cls, path: Path) -> KeyRing:
        """Read the key file, or create it (mode 0600, parent 0700) when absent."""
        if not path.exists():
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            kid = _new_kid()
            ring = cls(
                path,
                keys={kid: secrets.token_bytes(_KEY_BYTES)},
                active=kid,
                pepper=secrets.token_bytes(_KEY_BYTES),
            )
            ring._write(exclusive=True)
            return ring
        return cls.load(path)

    @classmethod
    def load(cls, path: Path) -> KeyRing:
        keys, active, pepper = cls._read(path)
        return cls(path, keys=keys, active=active, pepper=pepper)

    @staticmethod
    def _read(path: Path) -> tuple[dict[str, bytes], str, bytes]:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
            raw = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise KeyRingError(f"cannot read the master key file {path}: {exc}") from exc
        if mode & 0o077:
            raise KeyRingError(
                f"{path} is readable by others (mode {mode:o}); run `chmod 600 {path}`"
            )
        try:
            data: dict[str, Any] = json.loads(raw)
            if data.get("version") != VERSION:
                raise ValueError(f"unknown version {data.get('version')!r}")
            keys = {str(kid): _unb64(value) for kid, value in data["keys"].items()}
            active = str(data["active"])
            pepper = _unb64(data["pepper"])
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise KeyRingError(f"{path} is not a Twofold master key file: {exc}") from exc
        if any(len(key) != _KEY_BYTES for key in keys.values()) or len(pepper) != _KEY_BYTES:
            raise KeyRingError(f"{path}: every key and the pepper must be {_KEY_BYTES} bytes")
        return keys, active, pepper

    def _write(self, *, exclusive: bool = False) -> None:
        """Atomic replace: a crash leaves the old file or the new one, never half of one."""
        document = {
            "version": VERSION,
            "active": self._active,
            "keys": {kid: _b64(key) for kid, key in self._keys.items()},
            "pepper": _b64(self._pepper),
        }
        payload = json.dumps(document, indent=2).encode() + b"\n"
        if exclusive:
            fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            return
        temporary = self._path.with_name(f".{self._path.name}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self._path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()

    def _reload(self) -> None:
        keys, active, pepper = self._read(self._path)
        with self._lock:
            self._keys, self._active, self._pepper = keys, active, pepper

    # ---- keys -----------------------------------------------------------------------------

    @property
    def path(self) -> Path:
        return self._path

    @property
    def active_kid(self) -> str:
        return self._active

    def kids(self) -> list[str]:
        return list(self._keys)

    def add_key(self) -> str:
        """A new KEK becomes active (older ones still decrypt until removed)."""
        kid = _new_kid()
        with self._lock:
            self._keys[kid] = secrets.token_bytes(_KEY_BYTES)
            self._active = kid
            self._write()
        return kid

    def remove_key(self, kid: str) -> None:
        with self._lock:
            if kid == self._active:
                raise KeyRingError("the active key cannot be removed")
            self._keys.pop(kid, None)
            self._write()

    def _kek(self, kid: str) -> bytes:
        key = self._keys.get(kid)
        if key is None:
            self._reload()  # another process may have rotated the shared file
            key = self._keys.get(kid)
        if key is None:
            raise KeyRingError(f"the master key {kid!r} is not in {self._path}")
        return key

    # ---- envelopes ------------------------------------------------------------------------

    def encrypt(self, plaintext: bytes, *, aad: bytes) -> bytes:
        kid = self._active
        dek = AESGCM.generate_key(bit_length=256)
        header = _header(kid)
        wrap_nonce = secrets.token_bytes(_NONCE_BYTES)
        wrapped = wrap_nonce + AESGCM(self._kek(kid)).encrypt(wrap_nonce, dek, header)
        nonce = secrets.token_bytes(_NONCE_BYTES)
        body = nonce + AESGCM(dek).encrypt(nonce, plaintext, _payload_aad(aad))
        return header + wrapped + body

    def decrypt(self, blob: bytes, *, aad: bytes) -> bytes:
        header, kid, wrapped, body = _split(blob)
        try:
            dek = AESGCM(self._kek(kid)).decrypt(
                wrapped[:_NONCE_BYTES], wrapped[_NONCE_BYTES:], header
            )
            return AESGCM(dek).decrypt(body[:_NONCE_BYTES], body[_NONCE_BYTES:], _payload_aad(aad))
        except InvalidTag as exc:
            raise DecryptionError("the secret was tampered with or belongs elsewhere") from exc

    def rewrap(self, blob: bytes) -> bytes:
        """The same payload, its data key wrapped under the active KEK instead."""
        header, kid, wrapped, body = _split(blob)
        try:
            dek = AESGCM(self._kek(kid)).decrypt(
                wrapped[:_NONCE_BYTES], wrapped[_NONCE_BYTES:], header
            )
        except InvalidTag as exc:
            raise DecryptionError("the data key was tampered with") from exc
        new_header = _header(self._active)
        nonce = secrets.token_bytes(_NONCE_BYTES)
        new_wrapped = nonce + AESGCM(self._kek(self._active)).encrypt(nonce, dek, new_header)
        return new_header + new_wrapped + body

    @staticmethod
    def kid_of(blob: bytes) -> str:
        return _split(blob)[1]

    # ---- peppered hashes ------------------------------------------------------------------

    def keyed_hash(self, value: str, *, purpose: str) -> str:
        """HMAC-SHA256 under the pepper: a stolen database alone cannot test guesses."""
        message = purpose.encode() + b"\x00" + value.encode("utf-8", "surrogatepass")
        return hmac.new(self._pepper, message, hashlib.sha256).hexdigest()


def _header(kid: str) -> bytes:
    encoded = kid.encode("ascii")
    return bytes([VERSION, len(encoded)]) + encoded


def _payload_aad(aad: bytes) -> bytes:
    return b"twofold-envelope-v1\x00" + aad


def _split(blob: bytes) -> tuple[bytes, str, bytes, bytes]:
    """Header, kid, wrapped DEK, payload; raises DecryptionError on anything malformed."""
    if len(blob) < 2 or blob[0] != VERSION:
        raise DecryptionError("not a Twofold envelope (unknown version)")
    end = 2 + blob[1]
    minimum = end + _WRAPPED_BYTES + _NONCE_BYTES + 16
    if len(blob) < minimum:
        raise DecryptionError("the envelope is truncated")
    try:
        kid = blob[2:end].decode("ascii")
    except UnicodeDecodeError as exc:
        raise DecryptionError("the envelope names no valid key") from exc
    return blob[:end], kid, blob[end : end + _WRAPPED_BYTES], blob[end + _WRAPPED_BYTES :]
