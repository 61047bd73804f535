"""Test doubles of things outside Twofold that have no loopback server (an authenticator)."""
