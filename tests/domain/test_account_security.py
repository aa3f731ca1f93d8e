"""Account security glue across features: the shared sign-in sequence (`app.services.signin`, API and login form),
the 5th wrong password locks the account and emails its owner (and nobody for unknown emails); a password reset ends
every refresh-token family (ASVS 7.4.3, PRODUCT.md §3)."""

from __future__ import annotations

import pytest
from nicegui.testing import User
from sqlmodel import select

from app.security.ratelimit import RateLimited
from app.services.signin import verify_credentials
from app.system import System
from domain.accounts import refresh_tokens
from domain.accounts.registration import request_password_reset, reset_password
from domain.models import OutboxMessage
from domain.shared.errors import AuthenticationFailed
from domain.shared.types import utcnow
from tests.support.accounts import create_account
from tests.support.db import read_session, write_session


def locked_mail(to: str) -> list[OutboxMessage]:
    with read_session() as session:
        return list(session.exec(select(OutboxMessage).where(
            OutboxMessage.to_address == to, OutboxMessage.template == "account_locked")).all())


# --- the shared sign-in sequence (API and login form) ---------------------------------------------------------
def test_verify_credentials_returns_the_user_for_any_email_spelling(system: System) -> None:
    user_id = create_account("gil@example.com")
    assert verify_credentials(system, " Gil@Example.COM ", "right-password-123", "10.0.0.1").id == user_id


def test_wrong_credentials_lock_the_account_after_five_failures(system: System) -> None:
    create_account("hal@example.com")
    for _ in range(5):
        with pytest.raises(AuthenticationFailed) as failed:
            verify_credentials(system, "hal@example.com", "wrong-password", "10.0.0.2")
        assert failed.value.detail == "Email or password is incorrect"
    with pytest.raises(RateLimited) as limited:  # even the right password: locked (checked before the password)
        verify_credentials(system, "HAL@example.com", "right-password-123", "10.0.0.3")
    assert limited.value.detail.startswith("Too many failed sign-in attempts")
    assert 0 < limited.value.retry_after <= 15 * 60
    assert len(locked_mail("hal@example.com")) == 1  # the owner is told once, by the 5th failure


def test_inactive_account_with_right_password_does_not_count_toward_lockout(system: System) -> None:
    create_account("ivy@example.com", status="pending")
    for _ in range(5):
        with pytest.raises(AuthenticationFailed) as failed:
            verify_credentials(system, "ivy@example.com", "right-password-123", "10.0.0.4")
        assert failed.value.extra["reason"] == "pending"
    with pytest.raises(RateLimited) as limited:  # the per-minute attempt limit, not the failure lockout
        verify_credentials(system, "ivy@example.com", "right-password-123", "10.0.0.4")
    assert limited.value.detail == "Too many sign-in attempts for this account. Try again in a minute."
    assert locked_mail("ivy@example.com") == []


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
