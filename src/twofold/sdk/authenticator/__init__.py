"""A reference authenticator device for Twofold's push protocol (docs/push-protocol.md):
enrol from a `barcode_uri`, keep accounts in a private keystore, show TOTP codes, and sign
device JWTs. Imports nothing from the server."""

from twofold.sdk.authenticator.answer import AnswerResult, PushDetails, approve, deny, details
from twofold.sdk.authenticator.client import Account, AuthenticatorError, PushAddress
from twofold.sdk.authenticator.enrol import enrol
from twofold.sdk.authenticator.keys import device_token
from twofold.sdk.authenticator.keystore import Keystore, KeystoreError
from twofold.sdk.authenticator.listen import PushRequest, listen
from twofold.sdk.authenticator.totp import totp_now

__all__ = [
    "Account",
    "AnswerResult",
    "AuthenticatorError",
    "Keystore",
    "KeystoreError",
    "PushAddress",
    "PushDetails",
    "PushRequest",
    "approve",
    "deny",
    "details",
    "device_token",
    "enrol",
    "listen",
    "totp_now",
]
