"""RS256 access tokens (PRODUCT.md §3, ASVS 9.1–9.2): key generation, issuing and every rejection rule.

Tokens are issued and checked by the test System's `AccessTokens` (`system.tokens`, the session's key pair);
Argon2id parameters are in `tests/unit/test_passwords.py`."""

from __future__ import annotations

import os
import stat
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization

from app.security import jwt as tokens
from app.security.jwt import AccessTokens
from app.system import System
from domain.shared.errors import AuthenticationFailed
from tests.support.system import make_settings


def test_keys_generated_rsa3072_private_0600_and_kid_is_thumbprint(tmp_path: Path) -> None:
    """The one key generation of the suite (every System shares the session's pair): first use writes both files."""
    settings = make_settings(tmp_path)
    assert not settings.jwt_private_key_path.exists()
    pair = tokens.ensure_keys(settings)
    assert pair.private_key.key_size == 3072
    mode = stat.S_IMODE(os.stat(settings.jwt_private_key_path).st_mode)
    assert mode == 0o600
    public = serialization.load_pem_public_key(settings.jwt_public_key_path.read_bytes())
    assert pair.kid == tokens.key_thumbprint(public)  # type: ignore[arg-type]
    assert tokens.ensure_keys(settings).kid == pair.kid  # stable on reload
    settings.jwt_public_key_path.unlink()  # a lost public key file is rewritten from the private key
    assert tokens.ensure_keys(settings).kid == pair.kid
    assert AccessTokens.for_settings(settings).keys.kid == pair.kid  # the System's tokens load the same files


def test_valid_token_round_trip(system: System) -> None:
    settings = system.settings
    user_id = uuid.uuid4()
    token, expires_in = system.tokens.issue(user_id, "user")
    assert expires_in == 3600
    header = pyjwt.get_unverified_header(token)
    assert header["alg"] == "RS256" and header["kid"] == system.tokens.keys.kid
    claims = system.tokens.decode(token)
    assert claims["sub"] == str(user_id)
    assert claims["typ"] == "access"
    assert claims["iss"] == settings.jwt_issuer and claims["aud"] == settings.jwt_audience
    assert claims["exp"] - claims["iat"] == 3600 and claims["nbf"] == claims["iat"] and claims["jti"]


def test_expired_token_rejected(system: System) -> None:
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    token, _ = system.tokens.issue(uuid.uuid4(), "user", now=long_ago)
    with pytest.raises(AuthenticationFailed):
        system.tokens.decode(token)


def test_not_yet_valid_token_rejected(system: System) -> None:
    token, _ = system.tokens.issue(uuid.uuid4(), "user", now=datetime.now(UTC) + timedelta(hours=1))
    with pytest.raises(AuthenticationFailed):
        system.tokens.decode(token)


def _sign(claims: dict, system: System, **header: str) -> str:
    pair = system.tokens.keys
    return pyjwt.encode(claims, pair.private_key, algorithm="RS256", headers={"kid": pair.kid, **header})


def _claims(system: System, **overrides: object) -> dict:
    settings = system.settings
    now = int(datetime.now(UTC).timestamp())
    claims = {"iss": settings.jwt_issuer, "aud": settings.jwt_audience, "sub": str(uuid.uuid4()), "iat": now,
              "nbf": now, "exp": now + 600, "jti": uuid.uuid4().hex, "typ": "access"}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


@pytest.mark.parametrize("override", [
    {"aud": "someone-else"}, {"iss": "evil"}, {"typ": "refresh"}, {"exp": None}, {"jti": None}, {"sub": None},
    {"typ": None}, {"nbf": None}, {"iat": None}, {"sub": "not-a-uuid"},
])
def test_wrong_or_missing_claims_rejected(system: System, override: dict) -> None:
    assert system.tokens.decode(_sign(_claims(system), system))  # the baseline is valid
    with pytest.raises(AuthenticationFailed):
        system.tokens.decode(_sign(_claims(system, **override), system))


def test_hs256_forged_with_public_key_rejected(system: System) -> None:
    pair = system.tokens.keys
    public_pem = pair.public_key.public_bytes(serialization.Encoding.PEM,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)  # the public key file
    header = {"alg": "HS256", "kid": pair.kid, "typ": "JWT"}
    # PyJWT refuses to HMAC-sign with a PEM key, so build the forgery by hand, as an attacker would.
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(_claims(system)).encode())}"
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    with pytest.raises(AuthenticationFailed):
        system.tokens.decode(f"{signing_input}.{b64(signature)}")


def test_unknown_kid_and_foreign_key_rejected(system: System) -> None:
    with pytest.raises(AuthenticationFailed):
        system.tokens.decode(_sign(_claims(system), system, kid="other-key"))
    from cryptography.hazmat.primitives.asymmetric import rsa

    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = pyjwt.encode(_claims(system), stranger, algorithm="RS256", headers={"kid": system.tokens.keys.kid})
    with pytest.raises(AuthenticationFailed):
        system.tokens.decode(forged)


def test_none_algorithm_and_garbage_rejected(system: System) -> None:
    # PyJWT's "none" algorithm takes key "" or None (its type hints only allow the former); same token either way.
    unsigned = pyjwt.encode(_claims(system), key="", algorithm="none", headers={"kid": system.tokens.keys.kid})
    for bad in (unsigned, "garbage", "", "a.b.c"):
        with pytest.raises(AuthenticationFailed):
            system.tokens.decode(bad)

