"""Shapes shared by every endpoint."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class OAuthErrorBody(BaseModel):
    error: str
    error_description: str


class MfaRequiredBody(OAuthErrorBody):
    mfa_token: str
    mfa_requirements: dict[str, list[dict[str, str]]] | None = None


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the OAuth-style errors an endpoint can answer."""
    return {
        status: {"model": OAuthErrorBody, "description": "OAuth-style error"} for status in statuses
    }


def request_body(model: type[BaseModel], *, form: bool = True) -> dict[str, Any]:
    """Document a body read by hand (api/params.py) in both encodings Auth0 accepts."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    content: dict[str, Any] = {"application/json": {"schema": schema}}
    if form:
        content["application/x-www-form-urlencoded"] = {"schema": schema}
    return {"requestBody": {"required": True, "content": content}}
