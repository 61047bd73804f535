"""The master key ring: the key file's modes, envelopes that refuse tampering, rotation."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest

from twofold.security.envelope import VERSION, DecryptionError, KeyRing, KeyRingError

AAD = b"twofold:authenticator:totp|dev_test"
SECRET = b"a factor's secret state"


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def ring(tmp_path: Path) -> KeyRing:
    return KeyRing.load_or_create(tmp_path / "keys" / "master.key")


def test_load_or_create_makes_a_private_file_in_a_private_directory(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "master.key"
    ring = KeyRing.load_or_create(path)
    assert mode_of(path) == 0o600
    assert mode_of(path.parent) == 0o700
    document = json.loads(path.read_text())
    assert document["version"] == VERSION
    assert list(document["keys"]) == [ring.active_kid] == ring.kids()
    assert document["active"] == ring.active_kid


def test_load_or_create_reads_an_existing_file(ring: KeyRing) -> None:
    again = KeyRing.load_or_create(ring.path)
    assert again.active_kid == ring.active_kid
    assert again.decrypt(ring.encrypt(SECRET, aad=AAD), aad=AAD) == SECRET


def test_a_key_file_readable_by_others_is_refused(ring: KeyRing) -> None:
    ring.path.chmod(0o644)
    with pytest.raises(KeyRingError, match="readable by others"):
        KeyRing.load(ring.path)
    with pytest.raises(KeyRingError, match="readable by others"):
        KeyRing.load_or_create(ring.path)


def test_a_file_that_is_not_a_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    path.write_text('{"version": 1, "keys": {}}')
    path.chmod(0o600)
    with pytest.raises(KeyRingError, match="not a Twofold master key file"):
        KeyRing.load(path)


@pytest.mark.parametrize("plaintext", [SECRET, b"", bytes(range(256)) * 4])
def test_round_trip(ring: KeyRing, plaintext: bytes) -> None:
    blob = ring.encrypt(plaintext, aad=AAD)
    assert ring.decrypt(blob, aad=AAD) == plaintext
    assert KeyRing.kid_of(blob) == ring.active_kid


def test_each_encryption_is_fresh_and_hides_the_payload(ring: KeyRing) -> None:
    blob = ring.encrypt(SECRET, aad=AAD)
    assert SECRET not in blob
    assert ring.encrypt(SECRET, aad=AAD) != blob


def test_other_associated_data_is_refused(ring: KeyRing) -> None:
    blob = ring.encrypt(SECRET, aad=AAD)
    with pytest.raises(DecryptionError):
        ring.decrypt(blob, aad=b"twofold:authenticator:totp|dev_other")
    with pytest.raises(DecryptionError):
        ring.decrypt(blob, aad=b"")


def test_a_flipped_bit_anywhere_is_refused(ring: KeyRing) -> None:
    """Every byte is covered: the header and wrapped key by the KEK's tag, the payload by the
    DEK's. A flip in the key id or its length may name a key the ring does not hold, which
    is reported as such (KeyRingError) after one re-read of the file."""
    blob = ring.encrypt(SECRET, aad=AAD)
    kid_bytes = range(1, 2 + blob[1])
    for index in range(len(blob)):
        for bit in (0x01, 0x80):
            tampered = bytearray(blob)
            tampered[index] ^= bit
            expected = (DecryptionError, KeyRingError) if index in kid_bytes else DecryptionError
            with pytest.raises(expected):
                ring.decrypt(bytes(tampered), aad=AAD)


def test_every_truncation_is_refused(ring: KeyRing) -> None:
    blob = ring.encrypt(SECRET, aad=AAD)
    for length in range(len(blob)):
        with pytest.raises(DecryptionError):
            ring.decrypt(blob[:length], aad=AAD)


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b"\x01",
        b"not an envelope at all, just some bytes of the right sort of length" * 2,
        bytes([VERSION + 1]) + bytes(120),
        bytes([VERSION, 4]) + b"\xff\xfe\xfd\xfc" + bytes(120),
    ],
)
def test_garbage_is_refused(ring: KeyRing, garbage: bytes) -> None:
    with pytest.raises(DecryptionError):
        ring.decrypt(garbage, aad=AAD)
    with pytest.raises(DecryptionError):
        ring.rewrap(garbage)


def test_add_key_rewrap_and_remove_key(ring: KeyRing) -> None:
    first = ring.active_kid
    old_blob = ring.encrypt(SECRET, aad=AAD)

    second = ring.add_key()
    assert second != first
    assert ring.active_kid == second
    assert ring.kids() == [first, second]
    assert KeyRing.kid_of(ring.encrypt(SECRET, aad=AAD)) == second
    assert ring.decrypt(old_blob, aad=AAD) == SECRET

    moved = ring.rewrap(old_blob)
    assert KeyRing.kid_of(old_blob) == first
    assert KeyRing.kid_of(moved) == second
    assert ring.decrypt(moved, aad=AAD) == SECRET

    with pytest.raises(KeyRingError, match="active key cannot be removed"):
        ring.remove_key(second)
    ring.remove_key(first)
    assert ring.kids() == [second]
    assert list(json.loads(ring.path.read_text())["keys"]) == [second]
    assert mode_of(ring.path) == 0o600
    assert ring.decrypt(moved, aad=AAD) == SECRET
    with pytest.raises(KeyRingError, match=first):
        ring.decrypt(old_blob, aad=AAD)
    with pytest.raises(KeyRingError, match=first):
        ring.rewrap(old_blob)
    with pytest.raises(KeyRingError, match=first):
        KeyRing.load(ring.path).decrypt(old_blob, aad=AAD)


def test_a_rewrapped_tampered_data_key_is_refused(ring: KeyRing) -> None:
    blob = bytearray(ring.encrypt(SECRET, aad=AAD))
    ring.add_key()
    blob[2 + blob[1] + 20] ^= 0x01  # inside the wrapped data key
    with pytest.raises(DecryptionError):
        ring.rewrap(bytes(blob))


def test_a_second_ring_on_the_same_file_reloads_for_an_unknown_key(ring: KeyRing) -> None:
    other = KeyRing.load(ring.path)
    new = ring.add_key()
    blob = ring.encrypt(SECRET, aad=AAD)
    assert new not in other.kids()
    assert other.decrypt(blob, aad=AAD) == SECRET
    assert other.active_kid == new
    assert KeyRing.kid_of(other.encrypt(SECRET, aad=AAD)) == new


def test_keyed_hash_is_deterministic_per_purpose_and_per_key_file(
    ring: KeyRing, tmp_path: Path
) -> None:
    value = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    digest = ring.keyed_hash(value, purpose="recovery-code")
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert ring.keyed_hash(value, purpose="recovery-code") == digest
    assert KeyRing.load(ring.path).keyed_hash(value, purpose="recovery-code") == digest
    assert ring.keyed_hash(value, purpose="other") != digest
    assert ring.keyed_hash(value + "0", purpose="recovery-code") != digest
    elsewhere = KeyRing.load_or_create(tmp_path / "elsewhere" / "master.key")
    assert elsewhere.keyed_hash(value, purpose="recovery-code") != digest


def test_keyed_hash_survives_rotation(ring: KeyRing) -> None:
    """The pepper is not a KEK: stored recovery-code hashes must still match after rotation."""
    digest = ring.keyed_hash("code", purpose="recovery-code")
    first = ring.active_kid
    ring.add_key()
    ring.remove_key(first)
    assert ring.keyed_hash("code", purpose="recovery-code") == digest
