"""Schemathesis over the app's own `/openapi.json`: no 5xx, and no answer the schema does not
describe (status, Content-Type, body, headers), anonymously and with each kind of credential.

Cases come from schemathesis' Hypothesis strategies, positive and negative, derandomized and
bounded per operation; they are sent through the test's httpx client over ASGI (so the app runs
on the suite's event loop against the leg's database) and schemathesis judges each response.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, Phase
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.jsonschema.types import JsonValue
from schemathesis.core.result import Ok
from schemathesis.schemas import APIOperation, BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import TokenFactory
from tests.api.helpers import MFA_OTP, associate, code, mfa_token, otp_grant, password_login
from tests.api.webauthn import WEBAUTHN, security_key, switch
from tests.api.webauthn import associate as associate_webauthn
from tests.api.webauthn import challenge as webauthn_challenge
from tests.api.webauthn import grant as webauthn_grant
from tests.builders import Client, a_client, a_user
from twofold.api import device, mfa, oauth, oidc, passkey, wellknown
from twofold.api.management import (
    authentication_methods,
    clients,
    guardian,
    logs,
    policy_rules,
    push_pause,
    user_blocks,
    users,
)
from twofold.app import create_app
from twofold.clock import FrozenClock
from twofold.config import Settings
from twofold.flows.runtime import Runtime

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
EXAMPLES = 25
"""Per operation and generation mode: about 1,250 cases in all, drawn once per session."""
BASE_URL = "http://twofold.test"
Operation = APIOperation[Any, Any, Any, Any]
AnyCase = Case[Operation]
Drawn = dict[str, list[AnyCase]]
"""Cases by operation label (`POST /oauth/token`)."""
MFA_SCOPES = "enroll read:authenticators remove:authenticators"
ROUTERS = (
    oauth.router,
    mfa.router,
    passkey.router,
    wellknown.router,
    oidc.router,
    device.router,
    *(
        module.router
        for module in (
            users,
            authentication_methods,
            user_blocks,
            guardian,
            policy_rules,
            logs,
            clients,
            push_pause,
        )
    ),
)
"""Every router that holds routes (api/management/__init__.py only nests the last eight)."""


def cases(operation: Operation, mode: GenerationMode) -> list[AnyCase]:
    """The cases Hypothesis draws for `operation`, the same ones every run."""
    drawn: list[AnyCase] = []

    @hypothesis.settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(operation.as_strategy(generation_mode=mode))
    def draw(case: AnyCase) -> None:
        drawn.append(case)

    try:
        draw()
    except hypothesis.errors.Unsatisfiable:
        # An operation without inputs has nothing to make invalid.
        assert mode is GenerationMode.NEGATIVE
    return drawn


def as_httpx(case: AnyCase, headers: dict[str, str]) -> dict[str, Any]:
    """Schemathesis serialises for `requests`; the same request in httpx' words."""
    sent = case.as_transport_kwargs(base_url=BASE_URL, headers=headers)
    assert not sent.get("cookies"), "no operation takes cookies"
    request: dict[str, Any] = {
        "method": sent["method"],
        "url": sent["url"],
        "headers": sent.get("headers") or {},
        "params": sent.get("params") or None,
    }
    if "json" in sent:
        request["json"] = sent["json"]
    data = sent.get("data")
    if isinstance(data, bytes | str):
        request["content"] = data
    elif data is not None:
        request["data"] = data
    return request


@pytest.fixture(scope="session")
def document(settings: Settings) -> dict[str, Any]:
    """The OpenAPI document, as `/openapi.json` serves it (checked below)."""
    return create_app(settings).openapi()


@pytest.fixture(scope="session")
def schema(document: dict[str, Any]) -> BaseSchema:
    return schemathesis.openapi.from_dict(document)


@pytest.fixture(scope="session")
def drawn(schema: BaseSchema) -> Drawn:
    """Every operation's cases, drawn once for all the passes (drawing is most of the cost)."""
    return {
        operation.label: [
            *cases(operation, GenerationMode.POSITIVE),
            *cases(operation, GenerationMode.NEGATIVE),
        ]
        for operation in operations(schema)
    }


def operations(schema: BaseSchema) -> list[Operation]:
    """Every operation; one schemathesis cannot read fails the run by itself."""
    found: list[Operation] = []
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            raise result.err()
        found.append(result.ok())
    return found


async def run(
    client: httpx.AsyncClient,
    drawn: Drawn,
    headers: dict[str, str],
    *,
    prefixes: tuple[str, ...] = ("/",),
) -> dict[str, str]:
    """Send the cases of every operation under `prefixes`; the failures, one per kind and place."""
    failures: dict[str, str] = {}
    for label, operation_cases in drawn.items():
        if not label.split(" ", 1)[1].startswith(prefixes):
            continue
        for case in operation_cases:
            response = await client.request(**as_httpx(case, headers))
            try:
                case.validate_response(response, checks=CHECKS)
            except FailureGroup as group:
                for failure in group.exceptions:
                    where = f"{label} -> {response.status_code}: {failure.title}"
                    failures.setdefault(where, str(group))
    return failures


def report(failures: dict[str, str]) -> str:
    return "\n\n".join(f"== {where}\n{detail}" for where, detail in failures.items())


def basic(client: Client) -> dict[str, str]:
    pair = f"{client.client_id}:{client.client_secret}".encode()
    return {"authorization": f"Basic {base64.b64encode(pair).decode()}"}


async def test_the_served_document_is_the_one_under_test(
    client: httpx.AsyncClient, document: dict[str, Any]
) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    assert response.json() == document


def test_every_route_is_documented_and_validation_is_400(document: dict[str, Any]) -> None:
    documented = [(method, path) for path, item in document["paths"].items() for method in item]
    routes = [route for router in ROUTERS for route in router.routes if isinstance(route, APIRoute)]
    assert [route.path for route in routes if not route.include_in_schema] == []
    assert len(documented) == sum(len(route.methods or ()) for route in routes)
    for method, path in documented:
        operation = document["paths"][path][method]
        assert "422" not in operation["responses"], f"{method} {path}"
        validated = "requestBody" in operation or any(
            parameter["in"] == "query" for parameter in operation.get("parameters", ())
        )
        assert not validated or "400" in operation["responses"], f"{method} {path}"
    assert "HTTPValidationError" not in document["components"]["schemas"]


async def test_anonymous_calls_conform(client: httpx.AsyncClient, drawn: Drawn) -> None:
    failures = await run(client, drawn, {})
    assert not failures, report(failures)


async def test_calls_with_client_credentials_conform(
    client: httpx.AsyncClient, drawn: Drawn, runtime: Runtime
) -> None:
    """HTTP Basic gets past client authentication to the grants and the challenge."""
    headers = basic(await a_client(runtime))
    failures = await run(
        client, drawn, headers, prefixes=("/oauth/", "/mfa/challenge", "/passkey/")
    )
    assert not failures, report(failures)


@pytest.mark.usefixtures("tenant")
async def test_calls_with_a_management_token_conform(
    client: httpx.AsyncClient, drawn: Drawn, auth: TokenFactory
) -> None:
    failures = await run(client, drawn, await auth(), prefixes=("/api/v2/",))
    assert not failures, report(failures)


async def test_calls_with_an_mfa_token_conform(
    client: httpx.AsyncClient, drawn: Drawn, runtime: Runtime
) -> None:
    token = await mfa_token(client, await a_client(runtime), await a_user(runtime))
    failures = await run(client, drawn, {"authorization": f"Bearer {token}"}, prefixes=("/mfa/",))
    assert not failures, report(failures)


async def test_calls_with_an_mfa_access_token_conform(
    client: httpx.AsyncClient, drawn: Drawn, runtime: Runtime, clock: FrozenClock
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    token = await mfa_token(
        client, app, person, audience=runtime.settings.mfa_audience, scope=MFA_SCOPES
    )
    secret = (await associate(client, token)).json()["secret"]
    granted = await otp_grant(client, app, token, code(secret, clock.now()))
    headers = {"authorization": f"Bearer {granted.json()['access_token']}"}
    failures = await run(client, drawn, headers, prefixes=("/mfa/",))
    assert not failures, report(failures)


def conforms(schema: BaseSchema, label: str, response: httpx.Response, **body: JsonValue) -> None:
    """Judge one response the way the generated runs do, for a request they cannot make."""
    method, path = label.split(" ", 1)
    operation = schema[path][method]
    case = operation.Case(body=body, media_type="application/json") if body else operation.Case()
    case.validate_response(response, checks=CHECKS)


async def test_answers_random_input_cannot_reach_conform(
    client: httpx.AsyncClient, schema: BaseSchema, runtime: Runtime, clock: FrozenClock
) -> None:
    """mfa_required, enrolment, codes, tokens and both kinds of 429, checked the same way."""
    app, person = await a_client(runtime), await a_user(runtime)
    credentials = {"client_id": app.client_id, "client_secret": app.client_secret}
    login = await password_login(client, app, person)
    conforms(schema, "POST /oauth/token", login)
    token = login.json()["mfa_token"]
    bearer = {"authorization": f"Bearer {token}"}
    enrolment = await associate(client, token)
    conforms(schema, "POST /mfa/associate", enrolment, authenticator_types="otp")
    listed = await client.get("/mfa/authenticators", headers=bearer)
    conforms(schema, "GET /mfa/authenticators", listed)
    image = await client.post(
        "/mfa/barcode", json={"barcode_uri": enrolment.json()["barcode_uri"]}, headers=bearer
    )
    conforms(schema, "POST /mfa/barcode", image, barcode_uri=enrolment.json()["barcode_uri"])
    secret = enrolment.json()["secret"]
    confirmed = await otp_grant(client, app, token, code(secret, clock.now()))
    conforms(schema, "POST /oauth/token", confirmed, grant_type=MFA_OTP)

    clock.advance(30)
    token = await mfa_token(client, app, person)
    challenged = await client.post("/mfa/challenge", json={"mfa_token": token, **credentials})
    conforms(schema, "POST /mfa/challenge", challenged, mfa_token=token)
    for _ in range(5):
        conforms(schema, "POST /oauth/token", await otp_grant(client, app, token, "000000"))
    exhausted = await otp_grant(client, app, token, code(secret, clock.now()))
    assert exhausted.status_code == 429
    assert "retry-after" in exhausted.headers
    conforms(schema, "POST /oauth/token", exhausted, grant_type=MFA_OTP)

    stranger = await a_user(runtime)
    wrong = type(stranger)(stranger.user_id, stranger.email, "wrong password!")
    for _ in range(10):
        await password_login(client, app, wrong)
    blocked = await password_login(client, app, stranger)
    assert blocked.status_code == 429
    assert "retry-after" not in blocked.headers
    conforms(schema, "POST /oauth/token", blocked, grant_type="password")


@pytest.mark.usefixtures("tenant")
async def test_webauthn_answers_conform(
    client: httpx.AsyncClient, schema: BaseSchema, runtime: Runtime, auth: TokenFactory
) -> None:
    """Registration and request options, the WebAuthn grant, and the listed key."""
    await switch(client, auth, enabled=True)
    app, person = await a_client(runtime), await a_user(runtime)
    key = security_key(runtime)
    token = await mfa_token(client, app, person)
    started = await associate_webauthn(client, token)
    conforms(schema, "POST /mfa/associate", started, authenticator_types=["webauthn-roaming"])
    body = started.json()
    created = key.create(body["authn_params_public_key"])
    confirmed = await webauthn_grant(client, app, body["auth_session"], created, mfa_token=token)
    conforms(schema, "POST /oauth/token", confirmed, grant_type=WEBAUTHN)

    token = await mfa_token(client, app, person)
    asked = await webauthn_challenge(client, app, token)
    conforms(schema, "POST /mfa/challenge", asked, mfa_token=token, challenge_type="webauthn")
    listed = await client.get("/mfa/authenticators", headers={"authorization": f"Bearer {token}"})
    conforms(schema, "GET /mfa/authenticators", listed)
    options = asked.json()["authn_params_public_key"]
    answered = await webauthn_grant(
        client, app, asked.json()["auth_session"], key.get(options), mfa_token=token
    )
    conforms(schema, "POST /oauth/token", answered, grant_type=WEBAUTHN)
