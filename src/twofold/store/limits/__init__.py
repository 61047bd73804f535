"""Attempt limiter back ends (store layer): `sql` for the database, `redis` for clusters.

Both implement `twofold.security.limits.AttemptLimiter` with the arithmetic defined there.
"""
