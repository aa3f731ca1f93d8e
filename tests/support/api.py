"""Helpers for the JSON API tests: Bearer headers signed by the test System's key pair, and RFC 7807 checks."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from app.system import System
from domain.models import User
from tests.support.system import current

PROBLEM = "application/problem+json"


def bearer(user_id: uuid.UUID, role: str | None = None, system: System | None = None) -> dict[str, str]:
    """`Authorization: Bearer <access token>` for `user_id` with `role` (default: the role stored in the database),
    issued by `system` (default: the current test System; every test System shares the session's key pair)."""
    system = system or current()
    if role is None:
        with system.read() as session:
            user = session.get(User, user_id)
            assert user is not None, f"no user {user_id}"
            role = user.role
    token, _ = system.tokens.issue(user_id, role)
    return {"Authorization": f"Bearer {token}"}


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The body of `response`, asserting it is an RFC 7807 problem with HTTP `status`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    return body
