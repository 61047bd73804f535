"""The API fixtures (an app on the session's database and an HTTP client), as in tests/api."""

from tests.api.conftest import app, client, runtime

__all__ = ["app", "client", "runtime"]
