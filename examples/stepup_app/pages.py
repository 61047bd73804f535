"""The example's pages: small HTML with stable element ids for browser tests to find.

Ids: #login, #signed-out, #signed-in, #user-email, #user-sub, #auth-time, #amr, #acr,
#sensitive-link, #access-token, #logout, #sensitive-ok, #home-link, #error, #step-up-failed.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from fastapi.responses import HTMLResponse

from examples.stepup_app.oidc import SignIn

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; form-action 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _page(title: str, body: str, *, status: int = 200) -> HTMLResponse:
    html = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head>\n"
        f"<body>\n<h1>{escape(title)}</h1>\n{body}\n</body></html>\n"
    )
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def _when(epoch: int | None) -> str:
    if epoch is None:
        return '<span id="auth-time">unknown</span>'
    moment = dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat()
    return f'<time id="auth-time" datetime="{moment}" data-epoch="{epoch}">{moment}</time>'


def signed_out() -> HTMLResponse:
    return _page(
        "Step-up example",
        '<p id="signed-out">You are not signed in.</p>\n'
        '<p><a id="login" href="/login">Sign in</a></p>',
    )


def home(sign_in: SignIn, *, max_age: int) -> HTMLResponse:
    who = escape(sign_in.email or sign_in.sub)
    body = f"""<p id="signed-in">Signed in as <span id="user-email">{who}</span></p>
<dl>
<dt>Subject</dt><dd id="user-sub">{escape(sign_in.sub)}</dd>
<dt>Authenticated at</dt><dd>{_when(sign_in.auth_time)}</dd>
<dt>Methods (amr)</dt><dd id="amr">{escape(" ".join(sign_in.amr))}</dd>
<dt>Context (acr)</dt><dd id="acr">{escape(sign_in.acr or "none")}</dd>
</dl>
<p><a id="sensitive-link" href="/sensitive">Open the sensitive page</a>
(needs multi-factor authentication within the last {max_age} seconds)</p>
<details><summary>Access token (for trying <code>/api/sensitive</code>)</summary>
<pre id="access-token">{escape(sign_in.access_token)}</pre>
<p>curl -H "Authorization: Bearer &lt;token&gt;" this-app/api/sensitive</p></details>
<p><a id="logout" href="/logout">Sign out</a></p>"""
    return _page("Step-up example", body)


def sensitive(sign_in: SignIn) -> HTMLResponse:
    epoch = sign_in.auth_time
    body = f"""<p id="sensitive-ok" data-auth-time="{epoch}">Multi-factor authentication
verified at {_when(epoch)} (auth_time={epoch}).</p>
<p><a id="home-link" href="/">Back</a></p>"""
    return _page("Sensitive page", body)


def error(description: str, *, status: int = 400) -> HTMLResponse:
    body = (
        f'<p id="error">{escape(description)}</p>\n'
        '<p><a id="home-link" href="/">Back</a> · <a id="login" href="/login">Sign in</a></p>'
    )
    return _page("Sign-in failed", body, status=status)


def step_up_failed(max_age: int) -> HTMLResponse:
    body = (
        f'<p id="step-up-failed">Twofold did not confirm a multi-factor authentication within '
        f"the last {max_age} seconds, so the sensitive page stays closed.</p>\n"
        '<p><a id="home-link" href="/">Back</a></p>'
    )
    return _page("Step-up needed", body, status=403)
