"""`python -m twofold` is the same command as the `twofold` script."""

from __future__ import annotations

import subprocess
import sys


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "twofold", "apps", "--help"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "python -m twofold apps" in result.stdout
    assert "create" in result.stdout
    assert "list" in result.stdout
