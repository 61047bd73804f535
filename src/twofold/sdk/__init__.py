"""Python SDK for Twofold's Auth0-compatible Authentication and MFA API (no server imports)."""

from twofold.sdk.client import MfaRequired, TwofoldClient, TwofoldError

__all__ = ["MfaRequired", "TwofoldClient", "TwofoldError"]
