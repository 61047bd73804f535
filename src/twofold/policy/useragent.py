"""The user-agent family NewDevice compares: browser and operating system, no versions.

Versions are left out on purpose: a browser updates itself every few weeks, and a device
that did would otherwise look new. Twenty ordered tokens cover the browsers and clients
people sign in with; anything else keeps its product token (`curl`, `okhttp`), so two
unknown clients still differ. A full parser (ua-parser's regex corpus) would cost a
dependency and ~100 µs per login for names we only compare for equality.
"""

from __future__ import annotations

import re

MAX_FAMILY = 64

_BROWSERS: tuple[tuple[str, str], ...] = (
    # Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari".
    ("Edg/", "Edge"),
    ("Edge/", "Edge"),
    ("OPR/", "Opera"),
    ("Opera", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("YaBrowser/", "Yandex"),
    ("Vivaldi/", "Vivaldi"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("HeadlessChrome/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("Trident/", "Internet Explorer"),
    ("MSIE ", "Internet Explorer"),
)
_SYSTEMS: tuple[tuple[str, str], ...] = (
    ("Windows", "Windows"),
    ("iPhone", "iOS"),
    ("iPad", "iOS"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
)
_PRODUCT = re.compile(r"[A-Za-z][A-Za-z0-9._-]{0,40}")


def family(user_agent: str | None) -> str:
    """`"Chrome on Linux"`, `"Safari on iOS"`, `"curl"`; `""` when there is no header."""
    if not user_agent or not user_agent.strip():
        return ""
    browser = next((name for token, name in _BROWSERS if token in user_agent), None)
    system = next((name for token, name in _SYSTEMS if token in user_agent), None)
    if browser is None:
        product = _PRODUCT.match(user_agent.strip())
        browser = product.group(0) if product else "Other"
    label = f"{browser} on {system}" if system else browser
    return label[:MAX_FAMILY]
