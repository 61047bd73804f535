"""The JSON API: Auth0-compatible Authentication API, MFA API and Management API subset."""
