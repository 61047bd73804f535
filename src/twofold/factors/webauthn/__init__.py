"""WebAuthn security keys (`webauthn-roaming`), device biometrics (`webauthn-platform`) and
passkeys: pure functions around py_webauthn, options in, credential state out (ADR 008).

`ceremony.py` runs registration and authentication (its `__all__` is the public surface),
`response.py` reads a response before it is verified, `attestation.py` applies the
operator's attestation policy, `credential.py` is the stored state and `pages.py` what the
hosted pages show. Like out-of-band codes, WebAuthn is not a `Factor` registry entry: its
ceremonies answer a challenge the flow stores and deletes before verifying, which is what
makes a response single use.
"""
