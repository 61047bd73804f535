"""Python SDK for Twofold: a client for its Auth0-compatible Authentication and MFA API, and a
FastAPI dependency for resource servers that accept its access tokens (no server imports)."""

from twofold.sdk.bearer import MULTI_FACTOR_ACR, BearerError
from twofold.sdk.client import MfaRequired, TwofoldClient, TwofoldError
from twofold.sdk.resource import Requirement, TokenClaims, TwofoldAuth

__all__ = [
    "MULTI_FACTOR_ACR",
    "BearerError",
    "MfaRequired",
    "Requirement",
    "TokenClaims",
    "TwofoldAuth",
    "TwofoldClient",
    "TwofoldError",
]
