"""Account security glue across features: the 5th wrong password locks the account and emails its owner (and
nobody for unknown emails); a password reset ends every refresh-token family (ASVS 7.4.3, PRODUCT.md §3)."""

from __future__ import annotations

import pytest
from nicegui.testing import User
from sqlmodel import select

from app.db import read_session, write_session
from domain import refresh_tokens
from domain.errors import AuthenticationFailed
from domain.models import OutboxMessage
from domain.registration import request_password_reset, reset_password
from domain.types import utcnow
from tests.auth_support import create_account


def locked_mail(to: str) -> list[OutboxMessage]:
    with read_session() as session:
        return list(session.exec(select(OutboxMessage).where(
            OutboxMessage.to_address == to, OutboxMessage.template == "account_locked")).all())


async def test_fifth_wrong_password_locks_and_emails_the_owner_only(user: User) -> None:
    create_account("locked@example.test")
    for email in ("locked@example.test", "nobody@example.test"):
        for _ in range(5):
            response = await user.http_client.post("/api/v1/auth/login",
                                                   json={"email": email, "password": "wrong-password-1"})
            assert response.status_code == 401
        refused = await user.http_client.post("/api/v1/auth/login",
                                              json={"email": email, "password": "right-password-123"})
        assert refused.status_code == 429  # locked, whatever the password
    assert len(locked_mail("locked@example.test")) == 1
    assert locked_mail("nobody@example.test") == []


def test_password_reset_ends_every_refresh_token_family() -> None:
    user_id = create_account("reset@example.test")
    with write_session() as session:
        phone, _ = refresh_tokens.issue_family(session, user_id)
        laptop, _ = refresh_tokens.issue_family(session, user_id)
    with write_session() as session:
        found = request_password_reset(session, "reset@example.test", utcnow)
        assert found is not None
        reset_password(session, found[1], "a-brand-new-passphrase", lambda pw: f"hashed:{pw}", utcnow)
    for token in (phone, laptop):
        with write_session() as session, pytest.raises(AuthenticationFailed):
            refresh_tokens.rotate(session, token)
