"""Password hashing (PRODUCT.md §3 Argon2id parameters) and RS256 access tokens (ASVS 9.1–9.2)."""

from __future__ import annotations

import os
import stat
import uuid
from datetime import UTC, datetime, timedelta

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization

from app.security import jwt as tokens
from app.security.passwords import PRODUCTION_PARAMS, hash_password, password_context, verify_password
from app.settings import get_settings
from domain.errors import AuthenticationFailed


def test_production_argon2id_parameters_are_in_the_hash() -> None:
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert PRODUCTION_PARAMS == {"memory_cost": 65536, "rounds": 3, "parallelism": 4}
    assert verify_password("correct horse battery", hashed)
    assert not verify_password("wrong horse battery", hashed)
    assert not verify_password("anything", "not-a-hash")


def test_fast_hashing_only_in_test_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PASSWORD_HASH_FAST", "1")
    get_settings.cache_clear()
    assert hash_password("x" * 12).startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    monkeypatch.setenv("ENV", "dev")
    get_settings.cache_clear()
    assert hash_password("x" * 12).startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert password_context() is not None


def _settings():  # type: ignore[no-untyped-def]
    return get_settings()


def test_keys_generated_rsa3072_private_0600_and_kid_is_thumbprint() -> None:
    settings = _settings()
    pair = tokens.ensure_keys(settings)
    assert pair.private_key.key_size == 3072
    mode = stat.S_IMODE(os.stat(settings.jwt_private_key_path).st_mode)
    assert mode == 0o600
    public = serialization.load_pem_public_key(settings.jwt_public_key_path.read_bytes())
    assert pair.kid == tokens.key_thumbprint(public)  # type: ignore[arg-type]
    assert tokens.ensure_keys(settings).kid == pair.kid  # stable on reload


def test_valid_token_round_trip() -> None:
    settings = _settings()
    user_id = uuid.uuid4()
    token, expires_in = tokens.issue_access_token(user_id, "user", settings)
    assert expires_in == 3600
    header = pyjwt.get_unverified_header(token)
    assert header["alg"] == "RS256" and header["kid"] == tokens.ensure_keys(settings).kid
    claims = tokens.decode_access_token(token, settings)
    assert claims["sub"] == str(user_id)
    assert claims["typ"] == "access"
    assert claims["iss"] == settings.jwt_issuer and claims["aud"] == settings.jwt_audience
    assert claims["exp"] - claims["iat"] == 3600 and claims["nbf"] == claims["iat"] and claims["jti"]


def test_expired_token_rejected() -> None:
    settings = _settings()
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    token, _ = tokens.issue_access_token(uuid.uuid4(), "user", settings, now=long_ago)
    with pytest.raises(AuthenticationFailed):
        tokens.decode_access_token(token, settings)


def test_not_yet_valid_token_rejected() -> None:
    settings = _settings()
    token, _ = tokens.issue_access_token(uuid.uuid4(), "user", settings, now=datetime.now(UTC) + timedelta(hours=1))
    with pytest.raises(AuthenticationFailed):
        tokens.decode_access_token(token, settings)


def _sign(claims: dict, settings, **header) -> str:  # type: ignore[no-untyped-def]
    pair = tokens.ensure_keys(settings)
    return pyjwt.encode(claims, pair.private_key, algorithm="RS256", headers={"kid": pair.kid, **header})


def _claims(settings, **overrides):  # type: ignore[no-untyped-def]
    now = int(datetime.now(UTC).timestamp())
    claims = {"iss": settings.jwt_issuer, "aud": settings.jwt_audience, "sub": str(uuid.uuid4()), "iat": now,
              "nbf": now, "exp": now + 600, "jti": uuid.uuid4().hex, "typ": "access"}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


@pytest.mark.parametrize("override", [
    {"aud": "someone-else"}, {"iss": "evil"}, {"typ": "refresh"}, {"exp": None}, {"jti": None}, {"sub": None},
    {"typ": None}, {"nbf": None}, {"iat": None}, {"sub": "not-a-uuid"},
])
def test_wrong_or_missing_claims_rejected(override: dict) -> None:
    settings = _settings()
    assert tokens.decode_access_token(_sign(_claims(settings), settings), settings)  # the baseline is valid
    with pytest.raises(AuthenticationFailed):
        tokens.decode_access_token(_sign(_claims(settings, **override), settings), settings)


def test_hs256_forged_with_public_key_rejected() -> None:
    settings = _settings()
    pair = tokens.ensure_keys(settings)
    public_pem = settings.jwt_public_key_path.read_bytes()
    header = {"alg": "HS256", "kid": pair.kid, "typ": "JWT"}
    # PyJWT refuses to HMAC-sign with a PEM key, so build the forgery by hand, as an attacker would.
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(_claims(settings)).encode())}"
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    with pytest.raises(AuthenticationFailed):
        tokens.decode_access_token(f"{signing_input}.{b64(signature)}", settings)


def test_unknown_kid_and_foreign_key_rejected() -> None:
    settings = _settings()
    with pytest.raises(AuthenticationFailed):
        tokens.decode_access_token(_sign(_claims(settings), settings, kid="other-key"), settings)
    from cryptography.hazmat.primitives.asymmetric import rsa

    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = pyjwt.encode(_claims(settings), stranger, algorithm="RS256",
                          headers={"kid": tokens.ensure_keys(settings).kid})
    with pytest.raises(AuthenticationFailed):
        tokens.decode_access_token(forged, settings)


def test_none_algorithm_and_garbage_rejected() -> None:
    settings = _settings()
    # PyJWT's "none" algorithm takes key "" or None (its type hints only allow the former); same token either way.
    unsigned = pyjwt.encode(_claims(settings), key="", algorithm="none",
                            headers={"kid": tokens.ensure_keys(settings).kid})
    for bad in (unsigned, "garbage", "", "a.b.c"):
        with pytest.raises(AuthenticationFailed):
            tokens.decode_access_token(bad, settings)


# --- the shared sign-in sequence (API and login form) ---------------------------------------------------------


@pytest.fixture
def fast_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PASSWORD_HASH_FAST", "1")
    get_settings.cache_clear()  # also gives this test a fresh in-memory rate limiter


def test_dummy_hash_for_unknown_emails_uses_production_parameters() -> None:
    from domain.accounts import _DUMMY_HASH

    assert _DUMMY_HASH.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert password_context().identify(_DUMMY_HASH) == "argon2"


def test_verify_credentials_returns_the_user_for_any_email_spelling(fast_hash: None) -> None:
    from app.security.signin import verify_credentials
    from tests.auth_support import create_account

    user_id = create_account("gil@example.com")
    assert verify_credentials(" Gil@Example.COM ", "right-password-123", "10.0.0.1").id == user_id


def test_wrong_credentials_lock_the_account_after_five_failures(fast_hash: None) -> None:
    from app.security.ratelimit import RateLimited
    from app.security.signin import verify_credentials
    from tests.auth_support import create_account

    create_account("hal@example.com")
    for _ in range(5):
        with pytest.raises(AuthenticationFailed) as failed:
            verify_credentials("hal@example.com", "wrong-password", "10.0.0.2")
        assert failed.value.detail == "Email or password is incorrect"
    with pytest.raises(RateLimited) as limited:  # even the right password: locked (checked before the password)
        verify_credentials("HAL@example.com", "right-password-123", "10.0.0.3")
    assert limited.value.detail.startswith("Too many failed sign-in attempts")
    assert 0 < limited.value.retry_after <= 15 * 60


def test_inactive_account_with_right_password_does_not_count_toward_lockout(fast_hash: None) -> None:
    from app.security.ratelimit import RateLimited
    from app.security.signin import verify_credentials
    from tests.auth_support import create_account

    create_account("ivy@example.com", status="pending")
    for _ in range(5):
        with pytest.raises(AuthenticationFailed) as failed:
            verify_credentials("ivy@example.com", "right-password-123", "10.0.0.4")
        assert failed.value.extra["reason"] == "pending"
    with pytest.raises(RateLimited) as limited:  # the per-minute attempt limit, not the failure lockout
        verify_credentials("ivy@example.com", "right-password-123", "10.0.0.4")
    assert limited.value.detail == "Too many sign-in attempts for this account. Try again in a minute."
