"""The tamper-evident audit log: typed events, chain verification, export (audit layer)."""
