"""Runnable examples of applications that use Twofold (not part of the `twofold` package)."""
