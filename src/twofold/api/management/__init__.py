"""The Management API subset (`/api/v2`), reached with client_credentials tokens."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v2", tags=["Management API"])
