"""`python -m examples.stepup_app`: serve the example on the host and port of APP_BASE_URL."""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit

import uvicorn

from examples.stepup_app.app import create_app
from examples.stepup_app.settings import AppSettings, SettingsError


def main() -> None:
    try:
        settings = AppSettings.from_env(os.environ)
    except SettingsError as exc:
        sys.exit(f"stepup_app: {exc}")
    where = urlsplit(settings.base_url)
    uvicorn.run(create_app(settings), host=where.hostname or "127.0.0.1", port=where.port or 5000)


if __name__ == "__main__":
    main()
