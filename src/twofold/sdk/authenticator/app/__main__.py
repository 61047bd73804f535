"""`python -m twofold.sdk.authenticator.app`, the same program as `twofold-authenticator`."""

import sys

from twofold.sdk.authenticator.app.cli import main

sys.exit(main())
