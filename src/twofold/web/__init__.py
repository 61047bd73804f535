"""Hosted pages: sign-in, MFA, account security (server-rendered Jinja2, no build step)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from twofold.web import errors
from twofold.web.routes import (
    account,
    account_enrol,
    assets,
    authorize,
    login,
    logout,
    mfa,
    mfa_enrol,
    mfa_push,
    verify_email,
)

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Mount the pages; call after the API's error handlers (pages answer errors as HTML)."""
    errors.install(app)
    pages = (assets, authorize, login, logout, account, mfa, mfa_enrol, mfa_push, account_enrol)
    for module in (*pages, verify_email):
        app.include_router(module.router)
    app.mount("/u/static", StaticFiles(directory=STATIC), name="static")
