"""Grant types, audiences and scopes of the token endpoint (Auth0's names)."""

from __future__ import annotations

from enum import StrEnum


class GrantType(StrEnum):
    PASSWORD = "password"  # noqa: S105 - grant type names, not secrets
    PASSWORD_REALM = "http://auth0.com/oauth/grant-type/password-realm"  # noqa: S105
    MFA_OTP = "http://auth0.com/oauth/grant-type/mfa-otp"
    MFA_OOB = "http://auth0.com/oauth/grant-type/mfa-oob"
    MFA_RECOVERY_CODE = "http://auth0.com/oauth/grant-type/mfa-recovery-code"
    CLIENT_CREDENTIALS = "client_credentials"
    AUTHORIZATION_CODE = "authorization_code"
    REFRESH_TOKEN = "refresh_token"  # noqa: S105
    WEBAUTHN = "urn:okta:params:oauth:grant-type:webauthn"
    """Auth0's Passkey API grant: a WebAuthn answer as the second factor (with `mfa_token`)
    or as a passkey sign-in (without)."""


DEFAULT_REALM = "Username-Password-Authentication"
"""The one user store Twofold has; `password-realm` must name it."""

MFA_SCOPES = ("enroll", "read:authenticators", "remove:authenticators")

MANAGEMENT_SCOPES = (
    "read:users",
    "create:users",
    "update:users",
    "delete:users",
    "read:clients",
    "create:clients",
    "update:clients",
    "delete:clients",
    "read:logs",
    "read:guardian_factors",
    "update:guardian_factors",
    "read:mfa_policies",
    "update:mfa_policies",
    "delete:guardian_enrollments",
    "update:authentication_methods",
    "read:authentication_methods",
    "delete:authentication_methods",
    "create:guardian_enrollment_tickets",
)
