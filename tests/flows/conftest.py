"""The API suite's runtime (the leg's database, a movable clock, the real limiter)."""

from tests.api.conftest import runtime, tenant

__all__ = ["runtime", "tenant"]
