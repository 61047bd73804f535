"""factors/push/answer.py: the number to match and its decoys, and the answer JWS checks
that need no server (signature algorithm, lifetime, the device clock)."""

from __future__ import annotations

import datetime as dt

import pytest
from joserfc import jws, jwt
from joserfc.jwk import ECKey, OctKey

from twofold.errors import InvalidPushAnswerError
from twofold.factors.push.answer import draw_number, verify_answer

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
KEY = ECKey.generate_key("P-256")
PUBLIC = dict(KEY.as_dict(private=False))


def test_a_number_comes_with_two_distinct_decoys_in_random_places() -> None:
    places = set()
    for _ in range(200):
        drawn = draw_number()
        assert 10 <= drawn.number <= 99
        assert len(drawn.choices) == 3
        assert len(set(drawn.choices)) == 3
        assert all(10 <= n <= 99 for n in drawn.choices)
        places.add(drawn.choices.index(drawn.number))
    assert places == {0, 1, 2}


def _claims(**changes: object) -> dict[str, object]:
    moment = int(NOW.timestamp())
    claims: dict[str, object] = {
        "txn": "txn_1",
        "accepted": True,
        "number": 42,
        "iat": moment,
        "exp": moment + 30,
        "jti": "j1",
    }
    return {k: v for k, v in (claims | changes).items() if v is not None}


def _verify(token: str, *, matching: bool = True) -> object:
    return verify_answer(token, device_jwk=PUBLIC, txn="txn_1", number_matching=matching, now=NOW)


def test_a_good_answer_gives_its_claims() -> None:
    answer = verify_answer(
        jwt.encode({"alg": "ES256"}, _claims(), KEY, ["ES256"]),
        device_jwk=PUBLIC,
        txn="txn_1",
        number_matching=True,
        now=NOW,
    )
    assert (answer.txn, answer.accepted, answer.number, answer.reason) == ("txn_1", True, 42, None)


def test_without_number_matching_an_approval_needs_no_number() -> None:
    token = jwt.encode({"alg": "ES256"}, _claims(number=None), KEY, ["ES256"])
    with pytest.raises(InvalidPushAnswerError, match="must carry the number"):
        _verify(token)
    answer = verify_answer(token, device_jwk=PUBLIC, txn="txn_1", number_matching=False, now=NOW)
    assert answer.number is None


def test_other_algorithms_and_keys_are_refused() -> None:
    hmac = OctKey.import_key(b"k" * 32)
    unsigned = jws.serialize_compact({"alg": "HS256"}, b'{"txn":"txn_1"}', hmac, ["HS256"])
    with pytest.raises(InvalidPushAnswerError, match="signed ES256"):
        _verify(unsigned)
    other = ECKey.generate_key("P-256")
    with pytest.raises(InvalidPushAnswerError, match="signed ES256"):
        _verify(jwt.encode({"alg": "ES256"}, _claims(), other, ["ES256"]))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"accepted": "yes"}, "accepted must be true or false"),
        ({"txn": None}, "must name its transaction"),
        ({"iat": None}, "must carry iat and exp"),
        ({"iat": int(NOW.timestamp()) + 120, "exp": int(NOW.timestamp()) + 130}, "in the future"),
        ({"iat": int(NOW.timestamp()) - 30, "exp": int(NOW.timestamp())}, "has expired"),
        ({"accepted": True, "reason": "fraud"}, "Only a denial"),
        ({"jti": "x" * 65}, "jti of 1 to 64"),
        ({"number": True}, "number must be an integer"),
    ],
)
def test_malformed_claims_say_which(changes: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidPushAnswerError, match=message):
        _verify(jwt.encode({"alg": "ES256"}, _claims(**changes), KEY, ["ES256"]))
