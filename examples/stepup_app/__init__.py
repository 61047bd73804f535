"""A regular web application that signs users in through Twofold and steps up to MFA.

`create_app(AppSettings(...))` builds it; `python -m examples.stepup_app` runs it from the
environment (see README.md).
"""

from examples.stepup_app.app import create_app
from examples.stepup_app.settings import AppSettings

__all__ = ["AppSettings", "create_app"]
