"""Adaptive MFA's assessors, their Auth0 codes, and the confidence they add up to."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from twofold.config import PolicySettings
from twofold.policy.geo import Geo, GeoLookup
from twofold.policy.risk import (
    Assessment,
    DenyList,
    KnownDevice,
    LastLogin,
    RiskAssessment,
    RiskFacts,
    assess_impossible_travel,
    assess_new_device,
    assess_risk,
    assess_untrusted_ip,
    confidence,
    guarded,
    haversine_km,
    needs_mfa,
)

NOW = dt.datetime(2026, 3, 29, 9, 30, tzinfo=dt.UTC)
LONDON = Geo("GB", "London", 51.5072, -0.1276, "Europe/London")
PARIS = Geo("FR", "Paris", 48.8566, 2.3522, "Europe/Paris")
CAMDEN = Geo("GB", "London", 51.5390, -0.1426, "Europe/London")
LAPTOP = KnownDevice("cookie-laptop", "Firefox", NOW - dt.timedelta(days=2))
PHONE = KnownDevice("cookie-phone", "Mobile Safari", NOW - dt.timedelta(days=45))


def _new_device(
    cookie: str | None, family: str | None, known: tuple[KnownDevice, ...] = (LAPTOP, PHONE)
) -> Assessment:
    return assess_new_device(cookie, family, known=known, first_login=False, now=NOW, days=30)


def _travel(current: Geo | None, last: LastLogin | None) -> Assessment:
    return assess_impossible_travel(current, last, now=NOW, max_kmh=900)


def _ago(**delta: float) -> dt.datetime:
    return NOW - dt.timedelta(**delta)


# NewDevice


def test_first_login_is_initial_login_and_neutral() -> None:
    verdict = assess_new_device("c", "Firefox", known=(), first_login=True, now=NOW, days=30)
    assert (verdict.code, verdict.risky, verdict.confidence) == ("initial_login", None, "neutral")


def test_known_device_within_the_window_matches() -> None:
    verdict = _new_device("cookie-laptop", "Firefox")
    assert (verdict.code, verdict.risky, verdict.confidence) == ("match", False, "high")
    assert verdict.details == {"device": "known", "useragent": "known"}


def test_device_seen_exactly_at_the_window_edge_still_matches() -> None:
    edge = KnownDevice("cookie-old", "Chrome", NOW - dt.timedelta(days=30))
    assert _new_device("cookie-old", "Chrome", (edge,)).code == "match"


def test_device_not_seen_within_the_window_is_new() -> None:
    verdict = _new_device("cookie-phone", "Mobile Safari")
    assert (verdict.code, verdict.risky, verdict.confidence) == ("no_match", True, "low")
    assert verdict.details == {"device": "unknown", "useragent": "unknown"}


def test_unknown_cookie_with_a_known_browser_family_is_partial() -> None:
    verdict = _new_device("cookie-cleared", "Firefox")
    assert (verdict.code, verdict.risky, verdict.confidence) == ("partial_match", False, "medium")
    assert verdict.details == {"device": "unknown", "useragent": "known"}


def test_known_cookie_in_another_browser_family_is_partial() -> None:
    verdict = _new_device("cookie-laptop", "Chrome")
    assert verdict.code == "partial_match"
    assert verdict.details == {"device": "known", "useragent": "unknown"}


def test_new_cookie_and_new_family_is_no_match() -> None:
    assert _new_device("cookie-new", "Edge").code == "no_match"


def test_no_cookie_and_no_user_agent_is_unknown_device() -> None:
    verdict = _new_device(None, None)
    assert (verdict.code, verdict.risky) == ("unknown_device", True)
    assert _new_device("", "").code == "unknown_device"


def test_returning_user_without_device_records_has_no_device_history() -> None:
    verdict = _new_device("cookie-laptop", "Firefox", ())
    assert (verdict.code, verdict.risky) == ("no_device_history", True)


# ImpossibleTravel


def test_haversine_distances() -> None:
    assert haversine_km(LONDON, PARIS) == pytest.approx(343.6, abs=1)
    assert haversine_km(LONDON, LONDON) == 0
    assert haversine_km(Geo("X", None, 0, 0, None), Geo("Y", None, 0, 180, None)) == (
        pytest.approx(20015.1, abs=1)
    )


def test_real_ips_on_two_continents_minutes_apart_is_impossible(snapshot_geo: GeoLookup) -> None:
    london = snapshot_geo.lookup("81.2.69.142")
    tokyo = snapshot_geo.lookup("210.138.184.59")
    verdict = _travel(tokyo, LastLogin(london, _ago(minutes=10)))
    assert (verdict.code, verdict.risky, verdict.confidence) == (
        "impossible_travel_from_last_login",
        True,
        "low",
    )
    assert verdict.details["distance_km"] == pytest.approx(9570, abs=60)
    assert verdict.details["speed_kmh"] == pytest.approx(57400, rel=0.01)
    assert verdict.details["location"] == {
        "country": "JP",
        "city": "Tokyo",
        "latitude": 35.685,
        "longitude": 139.7514,
        "time_zone": "Asia/Tokyo",
    }


def test_real_ips_on_two_continents_a_day_apart_is_substantial(snapshot_geo: GeoLookup) -> None:
    sydney = snapshot_geo.lookup("203.2.218.214")
    minneapolis = snapshot_geo.lookup("128.101.101.101")
    verdict = _travel(minneapolis, LastLogin(sydney, _ago(hours=24)))
    assert (verdict.code, verdict.risky) == ("substantial_travel_from_last_login", False)


def test_a_few_hundred_km_at_a_plausible_speed_is_travel() -> None:
    verdict = _travel(PARIS, LastLogin(LONDON, _ago(hours=3)))
    assert (verdict.code, verdict.risky, verdict.confidence) == (
        "travel_from_last_login",
        False,
        "high",
    )
    assert verdict.details["speed_kmh"] == pytest.approx(114.5, abs=1)


def test_speed_threshold_is_the_setting() -> None:
    last = LastLogin(LONDON, _ago(minutes=30))  # 344 km in half an hour: 687 km/h
    assert _travel(PARIS, last).code == "travel_from_last_login"
    slow = assess_impossible_travel(PARIS, last, now=NOW, max_kmh=500)
    assert slow.code == "impossible_travel_from_last_login"


def test_under_100_km_is_minimal_even_at_once() -> None:
    verdict = _travel(CAMDEN, LastLogin(LONDON, NOW))
    assert (verdict.code, verdict.risky) == ("minimal_travel_from_last_login", False)


def test_distance_in_no_time_is_impossible() -> None:
    verdict = _travel(PARIS, LastLogin(LONDON, NOW))
    assert verdict.code == "impossible_travel_from_last_login"
    assert verdict.details["speed_kmh"] is None


def test_clock_skew_between_nodes_counts_as_no_time() -> None:
    verdict = _travel(PARIS, LastLogin(LONDON, NOW + dt.timedelta(seconds=30)))
    assert verdict.code == "impossible_travel_from_last_login"
    assert verdict.details["elapsed_hours"] == 0


def test_last_login_in_the_future_is_invalid_travel() -> None:
    verdict = _travel(PARIS, LastLogin(LONDON, NOW + dt.timedelta(hours=1)))
    assert (verdict.code, verdict.risky, verdict.confidence) == ("invalid_travel", True, "low")


def test_a_position_off_the_globe_is_invalid_travel() -> None:
    nowhere = Geo("ZZ", None, 123.0, 500.0, None)
    assert _travel(nowhere, LastLogin(LONDON, _ago(hours=5))).code == "invalid_travel"
    assert _travel(LONDON, LastLogin(nowhere, _ago(hours=5))).code == "invalid_travel"


def test_first_login_has_no_travel_verdict() -> None:
    verdict = _travel(LONDON, None)
    assert (verdict.code, verdict.risky, verdict.confidence) == ("initial_login", None, "neutral")


def test_unplaced_address_now_is_missing_geoip() -> None:
    verdict = _travel(None, LastLogin(LONDON, _ago(hours=1)))
    assert (verdict.code, verdict.risky) == ("missing_geoip", None)


def test_country_without_position_now_is_unknown_location() -> None:
    verdict = _travel(Geo("FR", None, None, None, None), LastLogin(LONDON, _ago(hours=1)))
    assert (verdict.code, verdict.risky) == ("unknown_location", None)


def test_unplaced_last_login_is_location_history_not_found() -> None:
    verdict = _travel(LONDON, LastLogin(None, _ago(hours=1)))
    assert (verdict.code, verdict.risky) == ("location_history_not_found", None)
    country_only = LastLogin(Geo("GB", None, None, None, None), _ago(hours=1))
    assert _travel(LONDON, country_only).code == "location_history_not_found"


# UntrustedIP

DENY = DenyList.from_entries(["198.51.100.7", "45.0.0.0/8", "2a03:2880::/32", "2001:67c:4e8::1"])


@pytest.mark.parametrize(
    ("ip", "matches"),
    [
        ("45.12.13.14", "45.0.0.0/8"),
        ("198.51.100.7", "198.51.100.7/32"),
        ("::ffff:45.1.2.3", "45.0.0.0/8"),
        ("2a03:2880:f003::25", "2a03:2880::/32"),
        ("2001:67c:4e8::1", "2001:67c:4e8::1/128"),
    ],
)
def test_deny_list_matches_addresses_and_cidrs(ip: str, matches: str) -> None:
    verdict = assess_untrusted_ip(ip, deny_list=DENY, failed_logins=0, max_failures=20)
    assert (verdict.code, verdict.risky, verdict.confidence) == ("found_on_deny_list", True, "low")
    assert verdict.details["source"] == "deny_list"
    assert verdict.details["matches"] == matches


@pytest.mark.parametrize("ip", ["46.0.0.1", "198.51.100.8", "2a03:2881::1", "2001:67c:4e8::2"])
def test_addresses_outside_the_deny_list_are_not_found(ip: str) -> None:
    verdict = assess_untrusted_ip(ip, deny_list=DENY, failed_logins=3, max_failures=20)
    assert (verdict.code, verdict.risky, verdict.confidence) == (
        "not_found_on_deny_list",
        False,
        "high",
    )


def test_ip_velocity_at_the_threshold_counts_as_found() -> None:
    under = assess_untrusted_ip("81.2.69.142", deny_list=DENY, failed_logins=19, max_failures=20)
    at = assess_untrusted_ip("81.2.69.142", deny_list=DENY, failed_logins=20, max_failures=20)
    assert under.code == "not_found_on_deny_list"
    assert (at.code, at.risky) == ("found_on_deny_list", True)
    assert at.details == {"ip": "81.2.69.142", "source": "velocity", "failed_logins": 20}


def test_deny_list_is_named_before_velocity() -> None:
    verdict = assess_untrusted_ip("45.1.1.1", deny_list=DENY, failed_logins=99, max_failures=20)
    assert verdict.details["source"] == "deny_list"


@pytest.mark.parametrize("ip", ["", "unknown", "45.1.1", "2a03:2880::zz"])
def test_malformed_ip_is_invalid_ip_address(ip: str) -> None:
    verdict = assess_untrusted_ip(ip, deny_list=DENY, failed_logins=0, max_failures=20)
    assert (verdict.code, verdict.risky) == ("invalid_ip_address", True)


def test_deny_list_refuses_a_malformed_entry() -> None:
    with pytest.raises(ValueError, match=r"10\.0\.0\.1/8"):
        DenyList.from_entries(["10.0.0.1/8"])


# Confidence and the whole assessment


def _verdict(code: str, risky: bool | None) -> Assessment:
    return Assessment("UntrustedIP", code, risky)


@pytest.mark.parametrize(
    ("verdicts", "expected"),
    [
        ([("match", False), ("travel_from_last_login", False)], "high"),
        ([("partial_match", False), ("travel_from_last_login", False)], "medium"),
        ([("partial_match", False), ("no_match", True)], "low"),
        ([("initial_login", None), ("not_found_on_deny_list", False)], "high"),
        ([("initial_login", None), ("missing_geoip", None)], "neutral"),
        ([("initial_login", None), ("assessment_not_available", None)], "low"),
        ([], "neutral"),
    ],
)
def test_confidence_is_the_lowest_verdict(
    verdicts: list[tuple[str, bool | None]], expected: str
) -> None:
    assert confidence([_verdict(code, risky) for code, risky in verdicts]) == expected


def test_mfa_is_needed_at_low_and_neutral_confidence() -> None:
    assert [needs_mfa(level) for level in ("high", "medium", "low", "neutral")] == [
        False,
        False,
        True,
        True,
    ]


def test_an_assessor_that_raises_is_not_available() -> None:
    def broken() -> Assessment:
        raise RuntimeError("the device store is down: secret details")

    verdict = guarded("NewDevice", broken)
    assert (verdict.assessor, verdict.code, verdict.confidence) == (
        "NewDevice",
        "assessment_not_available",
        "low",
    )
    assert verdict.details == {"error": "RuntimeError"}


FAMILIAR = RiskFacts(
    ip="81.2.69.142",
    geo=LONDON,
    device_id_hash="cookie-laptop",
    ua_family="Firefox",
    known_devices=(LAPTOP,),
    last_login=LastLogin(CAMDEN, NOW - dt.timedelta(hours=20)),
    failed_logins_from_ip=0,
    now=NOW,
)
"""A login from the user's laptop, near yesterday's, from a clean IP."""


def test_familiar_login_is_high_confidence() -> None:
    result = assess_risk(FAMILIAR, settings=PolicySettings(), deny_list=DENY)
    assert result.confidence == "high"
    assert [(a.assessor, a.code) for a in result.assessments] == [
        ("NewDevice", "match"),
        ("ImpossibleTravel", "minimal_travel_from_last_login"),
        ("UntrustedIP", "not_found_on_deny_list"),
    ]


def test_a_failing_assessor_makes_the_login_low_confidence() -> None:
    # A naive timestamp cannot be compared with an aware one: NewDevice raises TypeError.
    naive = KnownDevice("cookie-laptop", "Firefox", dt.datetime(2026, 3, 28, 9, 30))  # noqa: DTZ001
    result = assess_risk(
        dataclasses.replace(FAMILIAR, known_devices=(naive,)),
        settings=PolicySettings(),
        deny_list=DENY,
    )
    new_device = result.find("NewDevice")
    assert new_device is not None
    assert (new_device.code, new_device.details) == (
        "assessment_not_available",
        {"error": "TypeError"},
    )
    assert result.confidence == "low"
    assert result.found_risk("NewDevice")
    assert not result.found_risk("UntrustedIP")
    travel = result.find("ImpossibleTravel")
    assert travel is not None
    assert travel.code == "minimal_travel_from_last_login"


def test_new_device_days_and_velocity_come_from_settings() -> None:
    settings = PolicySettings.model_validate(
        {"new_device_days": 1, "ip_velocity": {"failures": 3, "window_seconds": 60}}
    )
    result = assess_risk(
        dataclasses.replace(FAMILIAR, failed_logins_from_ip=3),
        settings=settings,
        deny_list=DenyList(),
    )
    assert [(a.assessor, a.code) for a in result.assessments if a.risky] == [
        ("NewDevice", "no_match"),
        ("UntrustedIP", "found_on_deny_list"),
    ]


def test_impossible_travel_from_real_ips_is_low_and_audit_ready(snapshot_geo: GeoLookup) -> None:
    facts = dataclasses.replace(
        FAMILIAR,
        ip="210.138.184.59",
        geo=snapshot_geo.lookup("210.138.184.59"),
        last_login=LastLogin(snapshot_geo.lookup("81.2.69.142"), _ago(minutes=5)),
    )
    result = assess_risk(facts, settings=PolicySettings(), deny_list=DENY)
    assert result.confidence == "low"
    document = json.loads(json.dumps(result.to_json()))
    assert document["confidence"] == "low"
    assert document["version"] == "1"
    assert document["assessments"]["NewDevice"] == {
        "confidence": "high",
        "code": "match",
        "details": {"device": "known", "useragent": "known"},
    }
    travel = document["assessments"]["ImpossibleTravel"]
    assert (travel["confidence"], travel["code"]) == ("low", "impossible_travel_from_last_login")
    assert travel["details"]["last_location"]["country"] == "GB"
    assert Geo.from_json(travel["details"]["location"]) == facts.geo
    assert document["assessments"]["UntrustedIP"]["code"] == "not_found_on_deny_list"


def test_first_login_from_a_private_address_is_neutral() -> None:
    result = assess_risk(
        dataclasses.replace(FAMILIAR, ip="10.0.0.5", geo=None, last_login=None, known_devices=()),
        settings=PolicySettings(),
        deny_list=DENY,
    )
    assert [a.code for a in result.assessments] == [
        "initial_login",
        "initial_login",
        "not_found_on_deny_list",
    ]
    assert result.confidence == "high"
    assert result.codes() == {
        "NewDevice": "initial_login",
        "ImpossibleTravel": "initial_login",
        "UntrustedIP": "not_found_on_deny_list",
    }
    assert [result.found_risk(name) for name in ("NewDevice", "UntrustedIP")] == [False, False]
    nothing = RiskAssessment.of(a for a in result.assessments if a.risky is None)
    assert nothing.confidence == "neutral"
    assert needs_mfa(nothing.confidence)
