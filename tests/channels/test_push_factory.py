"""From settings to push senders: only configured providers, half-configured ones refused at
start-up, and the settings that cannot work refused when they are read."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import ValidationError

from tests.fakes.fcm import FakeFcm
from twofold.channels import ChannelConfigError
from twofold.channels.push import PushProvider, build_push_senders
from twofold.channels.push.apns import ApnsSender
from twofold.channels.push.fcm import FcmSender
from twofold.channels.push.webpush import WebPushSender
from twofold.clock import FrozenClock
from twofold.config import ChannelSettings, Settings


def p256_pem(path: Path) -> Path:
    key = ec.generate_private_key(ec.SECP256R1())
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def settings_with(tmp_path: Path, push: dict[str, object]) -> Settings:
    return Settings(data_dir=tmp_path, channels=ChannelSettings.model_validate({"push": push}))


def test_nothing_configured_means_no_push_provider(tmp_path: Path, clock: FrozenClock) -> None:
    assert build_push_senders(Settings(data_dir=tmp_path), clock=clock) == {}


def test_every_configured_provider_is_built_and_the_stream_is_not(
    tmp_path: Path, clock: FrozenClock
) -> None:
    fcm = FakeFcm(clock)
    push = {
        "fcm": {"service_account_file": fcm.write_service_account(tmp_path)},
        "apns": {
            "team_id": "ABCDE12345",
            "key_id": "KEY1234567",
            "key_file": p256_pem(tmp_path / "AuthKey.p8"),
            "topic": "com.example.twofold",
        },
        "webpush": {
            "vapid_private_key_file": p256_pem(tmp_path / "vapid.pem"),
            "subject": "https://example.com/contact",
        },
    }

    senders = build_push_senders(settings_with(tmp_path, push), clock=clock)

    assert {provider: type(sender) for provider, sender in senders.items()} == {
        PushProvider.FCM: FcmSender,
        PushProvider.APNS: ApnsSender,
        PushProvider.WEBPUSH: WebPushSender,
    }
    assert all(sender.provider is provider for provider, sender in senders.items())


@pytest.mark.parametrize(
    ("push", "missing"),
    [
        (
            {"fcm": {"base_url": "https://fcm.example.com"}},
            "channels.push.fcm.service_account_file",
        ),
        (
            {"apns": {"team_id": "ABCDE12345", "key_id": "KEY1234567", "topic": "com.example"}},
            "channels.push.apns.key_file",
        ),
        ({"apns": {"topic": "com.example"}}, "channels.push.apns.team_id"),
        ({"webpush": {"subject": "mailto:ops@example.com"}}, "vapid_private_key_file"),
        ({"webpush": {"allowed_hosts": ["push.example.com"]}}, "channels.push.webpush.subject"),
    ],
)
def test_a_half_configured_provider_is_refused(
    tmp_path: Path, clock: FrozenClock, push: dict[str, object], missing: str
) -> None:
    with pytest.raises(ChannelConfigError, match=missing):
        build_push_senders(settings_with(tmp_path, push), clock=clock)


def test_unusable_key_files_are_refused_at_start_up(tmp_path: Path, clock: FrozenClock) -> None:
    not_json = tmp_path / "account.json"
    not_json.write_text("{")
    rsa_pem = tmp_path / "rsa.json"
    rsa_pem.write_text('{"client_email": "a", "private_key": "x", "token_uri": "https://t"}')
    p384 = tmp_path / "p384.pem"
    p384.write_bytes(
        ec.generate_private_key(ec.SECP384R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    apns = {"team_id": "T", "key_id": "K", "topic": "com.example", "key_file": p384}
    webpush = {"vapid_private_key_file": tmp_path / "absent.pem", "subject": "mailto:a@b.c"}
    cases: list[tuple[dict[str, object], str]] = [
        ({"fcm": {"service_account_file": not_json}}, "not a readable JSON file"),
        ({"fcm": {"service_account_file": rsa_pem}}, "needs client_email"),
        ({"apns": apns}, "P-256"),
        ({"webpush": webpush}, "not a readable PEM"),
    ]
    for push, problem in cases:
        with pytest.raises(ChannelConfigError, match=problem):
            build_push_senders(settings_with(tmp_path, push), clock=clock)


def test_the_environment_configures_web_push(
    tmp_path: Path, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWOFOLD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv(
        "TWOFOLD_CHANNELS__PUSH__WEBPUSH__VAPID_PRIVATE_KEY_FILE",
        str(p256_pem(tmp_path / "vapid.pem")),
    )
    monkeypatch.setenv("TWOFOLD_CHANNELS__PUSH__WEBPUSH__SUBJECT", "mailto:ops@example.com")
    monkeypatch.setenv("TWOFOLD_CHANNELS__PUSH__WEBPUSH__ALLOWED_HOSTS", '["push.example.com"]')

    senders = build_push_senders(Settings(), clock=clock)

    assert list(senders) == [PushProvider.WEBPUSH]
    assert Settings().channels.push.webpush.allowed_hosts == ["push.example.com"]


@pytest.mark.parametrize(
    "push",
    [
        {"webpush": {"subject": "ops@example.com"}},
        {"fcm": {"base_url": "http://fcm.example.com"}},
        {"apns": {"base_url": "http://api.push.apple.com"}},
    ],
)
def test_settings_that_cannot_work_are_refused_when_read(push: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ChannelSettings.model_validate({"push": push})
