"""`python -m twofold …` is the `twofold` command (useful where scripts are not on PATH)."""

from twofold.cli.main import main

main()
