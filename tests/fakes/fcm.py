"""A loopback Firebase Cloud Messaging: Google's OAuth token endpoint and FCM HTTP v1 send.

The token endpoint checks the service account's RS256 JWT assertion (signature, `iss`,
`scope`, `aud`, a one-hour life) as Google's does; `messages:send` checks the bearer and the
message shape, and answers FCM's error JSON (`google.rpc.Status` with an FcmError detail)
for unregistered tokens and for faults a test queues (503 UNAVAILABLE, 429 QUOTA_EXCEEDED).
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.loopback import serving
from twofold.clock import FrozenClock

PROJECT_ID = "twofold-test"
CLIENT_EMAIL = "push@twofold-test.iam.gserviceaccount.com"
SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_LIFETIME = 3599
FAULTS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    429: "QUOTA_EXCEEDED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
RPC_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
TTL = re.compile(r"\d+(\.\d{1,9})?s")


def fcm_error(status: int, error_code: str, message: str) -> JSONResponse:
    body = {
        "error": {
            "code": status,
            "message": message,
            "status": RPC_STATUS[status],
            "details": [
                {
                    "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                    "errorCode": error_code,
                }
            ],
        }
    }
    return JSONResponse(body, status_code=status)


def oauth_error(error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=400)


@dataclass(frozen=True)
class Fault:
    status: int
    retry_after: int | None = None


class FakeFcm:
    def __init__(self, clock: FrozenClock) -> None:
        self.clock = clock
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._public = RSAKey.import_key(
            self.key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        self.url = ""
        self.token_calls = 0
        self.send_calls = 0
        self.messages: list[dict[str, object]] = []
        self.unregistered: set[str] = set()
        self._access_tokens: set[str] = set()
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self.app = Starlette(
            routes=[
                Route("/token", self._token, methods=["POST"]),
                Route("/v1/projects/{project}/messages:send", self._send, methods=["POST"]),
            ]
        )

    @property
    def token_uri(self) -> str:
        return f"{self.url}/token"

    def fail(self, status: int, *, times: int = 1, retry_after: int | None = None) -> None:
        with self._lock:
            self._faults.extend(Fault(status, retry_after) for _ in range(times))

    def revoke_access_tokens(self) -> None:
        """Every access token issued so far stops working (401), as after a key rotation."""
        self._access_tokens.clear()

    def write_service_account(self, directory: Path) -> Path:
        """The JSON key file Google's console hands out, pointing at this fake."""
        pem = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        account = {
            "type": "service_account",
            "project_id": PROJECT_ID,
            "private_key_id": secrets.token_hex(20),
            "private_key": pem,
            "client_email": CLIENT_EMAIL,
            "client_id": "1" * 21,
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": self.token_uri,
        }
        path = directory / "service-account.json"
        path.write_text(json.dumps(account))
        return path

    async def _token(self, request: Request) -> JSONResponse:
        self.token_calls += 1
        form = await request.form()
        if form.get("grant_type") != GRANT_TYPE:
            return oauth_error("unsupported_grant_type", "Invalid grant_type.")
        assertion = form.get("assertion")
        if not isinstance(assertion, str):
            return oauth_error("invalid_request", "Missing required parameter: assertion")
        refusal = self._assertion_refusal(assertion)
        if refusal:
            return oauth_error("invalid_grant", refusal)
        token = "ya29." + secrets.token_urlsafe(32)
        self._access_tokens.add(token)
        reply = {"access_token": token, "expires_in": TOKEN_LIFETIME, "token_type": "Bearer"}
        return JSONResponse(reply)

    def _assertion_refusal(self, assertion: str) -> str:
        try:
            decoded = jwt.decode(assertion, self._public, algorithms=["RS256"])
        except (JoseError, ValueError):
            return "Invalid JWT Signature."
        claims = decoded.claims
        now = int(self.clock.now().timestamp())
        iat, exp = claims.get("iat"), claims.get("exp")
        expected = (CLIENT_EMAIL, SCOPE, self.token_uri)
        if (claims.get("iss"), claims.get("scope"), claims.get("aud")) != expected:
            return "Invalid JWT: iss, scope or aud."
        if not isinstance(iat, int) or not isinstance(exp, int):
            return "Invalid JWT: iat and exp are required."
        if not (iat <= now < exp) or exp - iat > 3600:
            return "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe."
        return ""

    async def _send(self, request: Request) -> JSONResponse:
        with self._lock:
            self.send_calls += 1
            fault = self._faults.popleft() if self._faults else None
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme != "Bearer" or token not in self._access_tokens:
            return fcm_error(401, "THIRD_PARTY_AUTH_ERROR", "Request had invalid credentials.")
        if request.path_params["project"] != PROJECT_ID:
            return fcm_error(403, "SENDER_ID_MISMATCH", "SenderId mismatch")
        if fault is not None:
            response = fcm_error(fault.status, FAULTS[fault.status], "The service is unavailable.")
            if fault.retry_after is not None:
                response.headers["retry-after"] = str(fault.retry_after)
            return response
        body = json.loads(await request.body())
        message = body.get("message") if isinstance(body, dict) else None
        problem = self._shape_problem(message)
        if problem or not isinstance(message, dict):
            return fcm_error(400, "INVALID_ARGUMENT", problem or "message")
        if message["token"] in self.unregistered:
            return fcm_error(404, "UNREGISTERED", "Requested entity was not found.")
        self.messages.append(message)
        name = f"projects/{PROJECT_ID}/messages/0:{secrets.randbelow(10**16)}"
        return JSONResponse({"name": name})

    @staticmethod
    def _shape_problem(message: object) -> str:
        if not isinstance(message, dict) or not isinstance(message.get("token"), str):
            return "message.token is required"
        notification, data = message.get("notification"), message.get("data", {})
        if not isinstance(notification, dict) or set(notification) - {"title", "body"}:
            return "Invalid JSON payload received. Unknown name in message.notification"
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            return "Invalid value at 'message.data[0].value' (TYPE_STRING)"
        android = message.get("android", {})
        if not isinstance(android, dict) or not TTL.fullmatch(str(android.get("ttl", "0s"))):
            return "Invalid value at 'message.android.ttl' (type.googleapis.com/Duration)"
        if android.get("priority") not in (None, "normal", "high"):
            return "Invalid value at 'message.android.priority'"
        return ""


@contextmanager
def fake_fcm(clock: FrozenClock) -> Iterator[FakeFcm]:
    fcm = FakeFcm(clock)
    with serving(fcm.app) as server:
        fcm.url = server.url
        yield fcm
