"""The `twofold` command line: one module per command group."""
