"""The push authenticator (`oob` with channel `auth0`): device keys, device JWTs, the
enrolment URI and the sealed device state (docs/decisions/010, docs/push-protocol.md)."""
