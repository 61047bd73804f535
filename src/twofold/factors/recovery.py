"""The `recovery-code` factor: Auth0's single 24-character code, stored only as a keyed hash.

The hash function comes from the composition root (a keyed hash from the key ring), so this
module never sees a key; a used code is replaced by a fresh one from `new_code()`.
"""

from __future__ import annotations

import hmac
import re
import secrets
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import ClassVar

from twofold.errors import InvalidRecoveryCodeError, TwofoldError
from twofold.factors.base import Challenge, Enrolment, FactorContext, FactorState, Verification
from twofold.factors.pages import FactorPage
from twofold.types import FactorType

ALPHABET = string.ascii_uppercase + string.digits
LENGTH = 24
"""24 symbols of 36: about 124 bits, far beyond any attempt limit's reach."""
_FORMAT = re.compile(rf"[{ALPHABET}]{{{LENGTH}}}")
_SEPARATORS = str.maketrans("", "", "-")


def normalise(response: str) -> str:
    """Accept the code as people type it back: any case, with spaces or dashes."""
    code = "".join(response.split()).translate(_SEPARATORS)
    # Check ASCII before upper-casing: "\u0131".upper() is "I" (a dotless i would pass).
    if not code.isascii():
        raise InvalidRecoveryCodeError()
    code = code.upper()
    if _FORMAT.fullmatch(code) is None:
        raise InvalidRecoveryCodeError()
    return code


@dataclass(frozen=True, slots=True)
class RecoveryCodeFactor:
    """Recovery codes as a factor; flows mostly call `new_code()` and `check()` directly.

    Through the `Factor` protocol the stored hash travels in `FactorState.params["hash"]`.
    """

    hasher: Callable[[str], str]
    """Keyed hash of a normalised code (e.g. HMAC-SHA256 under a key-ring key)."""
    type: ClassVar[FactorType] = FactorType.RECOVERY_CODE
    page: ClassVar[FactorPage] = FactorPage(
        label="Recovery code",
        description="Enter the recovery code you saved when you set up your authenticator.",
        challenge_template="factors/recovery-code/challenge.html",
        autocomplete="off",
        inputmode="text",
        fallback_link="Use a recovery code",
    )

    def new_code(self) -> tuple[str, str]:
        """A fresh code to show once, and the hash to store instead of it."""
        code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        return code, self.hasher(code)

    def check(self, stored_hash: str, response: str) -> Verification:
        """Raise InvalidRecoveryCodeError unless `response` hashes to `stored_hash`.

        RFC 8176 has no `amr` value for a recovery code, so the verification proves none.
        """
        candidate = self.hasher(normalise(response))
        if not hmac.compare_digest(candidate.encode(), stored_hash.encode()):
            raise InvalidRecoveryCodeError()
        return Verification(amr=())

    async def begin_enrolment(self, ctx: FactorContext) -> Enrolment:  # noqa: ARG002
        code, code_hash = self.new_code()
        return Enrolment(
            display={"recovery_code": code},
            state=FactorState(secret=b"", params={"hash": code_hash}),
        )

    def enrolment_display(
        self,
        ctx: FactorContext,  # noqa: ARG002 -- the Factor signature
        state: FactorState,  # noqa: ARG002
    ) -> Mapping[str, str]:
        """Nothing: only the hash is kept, so a code is shown once, when it is made."""
        return {}

    async def finish_enrolment(
        self, ctx: FactorContext, state: FactorState, proof: str
    ) -> Verification:
        """Typing the code back proves it was written down."""
        return await self.verify(ctx, state, proof)

    async def challenge(
        self,
        ctx: FactorContext,  # noqa: ARG002 -- the Factor signature; nothing to send
        state: FactorState,  # noqa: ARG002
    ) -> Challenge:
        return Challenge(challenge_type="recovery-code")

    async def verify(
        self,
        ctx: FactorContext,  # noqa: ARG002 -- the Factor signature; time plays no part
        state: FactorState,
        response: str,
    ) -> Verification:
        stored_hash = state.params.get("hash")
        if not isinstance(stored_hash, str):
            raise TwofoldError("The recovery code's stored state is invalid.")
        return self.check(stored_hash, response)
