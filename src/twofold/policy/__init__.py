"""Policy: is MFA needed for this login, and why."""
