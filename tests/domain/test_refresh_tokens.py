"""Refresh-token rotation with reuse detection (issue 4 item 4; notes/reliability.md §5.2; RFC 9700 §4.14.2) and the
token attacks of issue 4 item 9 against a protected API route (ASVS 5.0 V9 self-contained tokens, V10 OAuth tokens).

Domain tests run on a SQLite file and on the local PostgreSQL server (`db_system`); API tests drive the real app
through the NiceGUI `user` fixture's HTTP client. Decode-level JWT checks already in tests/unit/test_security.py are
not repeated, except as end-to-end 401 problems here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import jwt as pyjwt
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from nicegui.testing import User as SimUser
from sqlmodel import select

from app.system import System
from domain.accounts import refresh_tokens as rt
from domain.models import Profile, RefreshToken, User
from domain.shared.errors import AuthenticationFailed
from tests.support.accounts import create_account
from tests.support.db import read_session, write_session

PROBLEM = "application/problem+json"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _clock(at: datetime) -> Callable[[], datetime]:
    return lambda: at


def _member(db_system: System, status: str = "active") -> uuid.UUID:
    with write_session(db_system) as session:
        user = User(email=f"{uuid.uuid4().hex[:8]}@example.com", password_hash="x", status=status)
        session.add(user)
        session.flush()
        session.add(Profile(user_id=user.id, display_name="M", date_of_birth=date(1990, 1, 1), state_code="TX"))
        return user.id


def _login(db_system: System, user_id: uuid.UUID, at: datetime = T0) -> str:
    with write_session(db_system) as session:
        token, _ = rt.issue_family(session, user_id, _clock(at))
        return token


def _rotate(db_system: System, token: str, at: datetime = T0) -> str:
    """What `POST /auth/refresh` does: one write transaction, committed even when rotation is refused."""
    failure: AuthenticationFailed | None = None
    with write_session(db_system) as session:
        try:
            _, new_token = rt.rotate(session, token, _clock(at))
        except AuthenticationFailed as exc:
            failure = exc
    if failure is not None:
        raise failure
    return new_token


def _refused(db_system: System, token: str, at: datetime = T0) -> str:
    with pytest.raises(AuthenticationFailed) as info:
        _rotate(db_system, token, at)
    assert info.value.detail == "Invalid or expired refresh token"  # never says which check failed
    return str(info.value.extra["reason"])


def _rows(db_system: System, user_id: uuid.UUID) -> list[RefreshToken]:
    with read_session(db_system) as session:
        return list(session.exec(select(RefreshToken).where(RefreshToken.user_id == user_id)))


# --- domain -----------------------------------------------------------------------------------------------------


def test_rotation_spends_the_old_token_and_stores_only_hashes(db_system: System) -> None:
    user_id = _member(db_system)
    first = _login(db_system, user_id)
    second = _rotate(db_system, first, T0 + timedelta(minutes=5))
    assert second != first and len(second) >= 43  # 32 random bytes, base64url
    third = _rotate(db_system, second, T0 + timedelta(minutes=10))

    rows = sorted(_rows(db_system, user_id), key=lambda r: r.issued_at)
    assert len(rows) == 3 and len({r.family_id for r in rows}) == 1
    assert [r.token_hash for r in rows] == [hashlib.sha256(t.encode()).hexdigest() for t in (first, second, third)]
    assert rows[0].used_at == T0 + timedelta(minutes=5) and rows[0].replaced_by == rows[1].id
    assert rows[1].replaced_by == rows[2].id and rows[2].used_at is None and rows[2].revoked_at is None
    # no plaintext token anywhere in the table
    with db_system.db.engine.connect() as conn:
        dump = " ".join(str(v) for row in conn.execute(sa.text("SELECT * FROM refresh_tokens")) for v in row)
    for token in (first, second, third):
        assert token not in dump


def test_reusing_a_rotated_token_revokes_the_whole_family(db_system: System) -> None:
    user_id = _member(db_system)
    other_family = _login(db_system, user_id)  # another device: must survive
    stolen = _login(db_system, user_id)
    newest = _rotate(db_system, stolen)
    assert _refused(db_system, stolen) == "reuse"
    assert _refused(db_system, newest) == "reuse"  # the legitimate holder must sign in again
    by_family: dict[uuid.UUID, list[RefreshToken]] = {}
    for row in _rows(db_system, user_id):
        by_family.setdefault(row.family_id, []).append(row)
    revoked = [fam for fam in by_family.values() if all(r.revoked_at is not None for r in fam)]
    assert len(revoked) == 1 and len(revoked[0]) == 2
    assert _rotate(db_system, other_family)  # the other family is untouched


def test_unknown_token_is_refused_without_writing(db_system: System) -> None:
    user_id = _member(db_system)
    _login(db_system, user_id)
    assert _refused(db_system, "not-a-token") == "unknown"
    assert all(r.revoked_at is None for r in _rows(db_system, user_id))


def test_family_absolute_expiry_is_never_extended_by_rotation(db_system: System) -> None:
    user_id = _member(db_system)
    token = _login(db_system, user_id, T0)
    for day in (10, 20, 29):  # each rotation would give +30 days, but the family ends at T0 + 30 days
        token = _rotate(db_system, token, T0 + timedelta(days=day))
    newest = max(_rows(db_system, user_id), key=lambda r: r.issued_at)
    assert newest.expires_at == newest.family_expires_at == T0 + rt.FAMILY_TTL
    assert _refused(db_system, token, T0 + timedelta(days=30)) == "expired"
    assert newest.revoked_at is None  # expiry is not reuse: nothing revoked


def test_a_single_token_expires_after_30_days(db_system: System) -> None:
    user_id = _member(db_system)
    token = _login(db_system, user_id, T0)
    assert _refused(db_system, token, T0 + timedelta(days=30, seconds=1)) == "expired"


@pytest.mark.parametrize("status", ["suspended", "banned", "pending", "deleted"])
def test_inactive_user_cannot_refresh_and_the_family_is_revoked(db_system: System, status: str) -> None:
    user_id = _member(db_system)
    token = _login(db_system, user_id)
    with write_session(db_system) as session:
        user = session.get(User, user_id)
        assert user is not None
        user.status = status
        session.add(user)
    assert _refused(db_system, token) == "inactive"
    assert all(r.revoked_at is not None for r in _rows(db_system, user_id))


def test_revoke_family_and_revoke_all_for_user(db_system: System) -> None:
    user_id, stranger = _member(db_system), _member(db_system)
    a, b, c = _login(db_system, user_id), _login(db_system, user_id), _login(db_system, user_id)
    with write_session(db_system) as session:
        assert not rt.revoke_family(session, a, user_id=stranger)  # someone else's token: nothing happens
        assert not rt.revoke_family(session, "unknown-token")
        assert rt.revoke_family(session, a, user_id=user_id)
    assert _refused(db_system, a) == "reuse"
    b2 = _rotate(db_system, b)
    with write_session(db_system) as session:
        assert rt.revoke_all_for_user(session, user_id) == 3  # b (used), b2 and c; a's family was already revoked
    for token in (b2, c):
        assert _refused(db_system, token) == "reuse"


def test_concurrent_refresh_of_one_token_lets_at_most_one_win_and_ends_the_family(db_system: System) -> None:
    """Decision (domain/accounts/refresh_tokens.py): the row is locked FOR UPDATE, so the two refreshes serialise; the
    second sees a used token, which is reuse, and revokes the family — including the winner's new token."""
    user_id = _member(db_system)
    token = _login(db_system, user_id)
    barrier = threading.Barrier(2)
    results: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        barrier.wait()
        try:
            results.append(_rotate(db_system, token))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], AuthenticationFailed) and errors[0].extra["reason"] == "reuse"
    rows = _rows(db_system, user_id)
    assert len(rows) == 2 and all(r.revoked_at is not None for r in rows)  # single successor, then revoked
    assert _refused(db_system, results[0]) == "reuse"


# --- API --------------------------------------------------------------------------------------------------------


async def _sign_in(user: SimUser, email: str) -> dict:
    response = await user.http_client.post(
        "/api/v1/auth/login", json={"email": email, "password": "right-password-123"})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _refresh(user: SimUser, refresh_token: str):  # type: ignore[no-untyped-def]
    return await user.http_client.post("/api/v1/auth/refresh", json={"refresh_token": refresh_token})


async def _me(user: SimUser, access_token: str):  # type: ignore[no-untyped-def]
    return await user.http_client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {access_token}"})


def _assert_401_problem(response, label: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 401, f"{label}: {response.status_code} {response.text}"
    assert response.headers["content-type"].startswith(PROBLEM), label
    assert response.json()["status"] == 401, label


async def test_api_login_refresh_rotation_and_reuse(user: SimUser) -> None:
    create_account("rita@example.com")
    first = await _sign_in(user, "rita@example.com")
    assert set(first) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert first["token_type"] == "bearer" and first["expires_in"] == 3600

    rotated = await _refresh(user, first["refresh_token"])
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()
    assert second["refresh_token"] != first["refresh_token"] and second["token_type"] == "bearer"
    assert (await _me(user, second["access_token"])).status_code == 200

    reused = await _refresh(user, first["refresh_token"])
    _assert_401_problem(reused, "reused refresh token")
    assert reused.json()["detail"] == "Invalid or expired refresh token"
    _assert_401_problem(await _refresh(user, second["refresh_token"]), "newest token after reuse")
    _assert_401_problem(await _refresh(user, "x" * 43), "unknown refresh token")
    assert (await _refresh(user, "")).status_code == 422


async def test_api_logout_revokes_the_family(user: SimUser) -> None:
    create_account("lou@example.com")
    pair = await _sign_in(user, "lou@example.com")
    other_device = await _sign_in(user, "lou@example.com")
    body = {"refresh_token": pair["refresh_token"]}
    _assert_401_problem(await user.http_client.post("/api/v1/auth/logout", json=body), "logout without access")
    out = await user.http_client.post("/api/v1/auth/logout", json=body,
                                      headers={"Authorization": f"Bearer {pair['access_token']}"})
    assert out.status_code == 204 and out.content == b""
    _assert_401_problem(await _refresh(user, pair["refresh_token"]), "refresh after logout")
    assert (await _refresh(user, other_device["refresh_token"])).status_code == 200  # other sessions stay


async def test_api_suspended_member_cannot_refresh(user: SimUser) -> None:
    user_id = create_account("sue@example.com")
    pair = await _sign_in(user, "sue@example.com")
    with write_session() as session:
        row = session.get(User, user_id)
        assert row is not None
        row.status = "suspended"
        session.add(row)
    _assert_401_problem(await _refresh(user, pair["refresh_token"]), "suspended member")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def test_token_attacks_on_a_protected_route_all_get_401_problems(user: SimUser, system: System) -> None:
    """Issue 4 item 9: expired, wrong audience / issuer, alg none, HS256 with the public key, tampered payload,
    missing / unknown kid, a refresh-typed JWT, the opaque refresh token as a Bearer token, a reused refresh token."""
    user_id = create_account("tom@example.com")
    settings = system.settings
    pair = system.tokens.keys  # the app's signing keys (the test System's)
    public_pem = pair.public_key.public_bytes(serialization.Encoding.PEM,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)  # the public key file
    now = int(datetime.now(UTC).timestamp())
    base = {"iss": settings.jwt_issuer, "aud": settings.jwt_audience, "sub": str(user_id), "iat": now, "nbf": now,
            "exp": now + 600, "jti": uuid.uuid4().hex, "typ": "access"}

    def signed(headers: dict | None = None, **claims: object) -> str:
        hdr = {"kid": pair.kid} if headers is None else headers
        return pyjwt.encode({**base, **claims}, pair.private_key, algorithm="RS256", headers=hdr)

    valid = signed()
    assert (await _me(user, valid)).status_code == 200  # the baseline works

    head, payload, signature = valid.split(".")
    flipped = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    flipped["role"] = "admin"
    flipped["sub"] = str(uuid.uuid4())
    tampered = f"{head}.{_b64(json.dumps(flipped).encode())}.{signature}"

    hs_header = _b64(json.dumps({"alg": "HS256", "kid": pair.kid, "typ": "JWT"}).encode())
    hs_input = f"{hs_header}.{_b64(json.dumps(base).encode())}"
    hs_mac = hmac.new(public_pem, hs_input.encode(), "sha256").digest()
    hs256 = f"{hs_input}.{_b64(hs_mac)}"
    none_header = _b64(json.dumps({"alg": "none", "kid": pair.kid, "typ": "JWT"}).encode())
    alg_none = f"{none_header}.{_b64(json.dumps(base).encode())}."

    session_pair = await _sign_in(user, "tom@example.com")
    assert (await _refresh(user, session_pair["refresh_token"])).status_code == 200  # spends it
    _assert_401_problem(await _refresh(user, session_pair["refresh_token"]), "reused refresh token")

    attacks = {
        "expired": signed(exp=now - 3600, iat=now - 7200, nbf=now - 7200),
        "wrong audience": signed(aud="another-api"),
        "wrong issuer": signed(iss="https://evil.example"),
        "alg none": alg_none,
        "HS256 signed with the public key": hs256,
        "tampered payload": tampered,
        "missing kid": signed(headers={}),
        "unknown kid": signed(headers={"kid": "not-our-key"}),
        "refresh-typed JWT": signed(typ="refresh"),
        "refresh token as access token": session_pair["refresh_token"],
    }
    for label, token in attacks.items():
        response = await _me(user, token)
        _assert_401_problem(response, label)
        assert response.headers["www-authenticate"] == "Bearer", label
