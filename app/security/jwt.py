"""RS256 access tokens for the JSON API (PRODUCT.md §3; ASVS 9.1–9.2, notes/reliability.md §5.2).

- Keys: an RSA-3072 pair in `JWT_PRIVATE_KEY_PATH` / `JWT_PUBLIC_KEY_PATH`, generated on first use if absent (private
  key file mode 0600). `kid` = RFC 7638 JWK thumbprint (base64url SHA-256) of the public key.
- Decoding pins `algorithms=["RS256"]`, accepts only our own `kid` (keys come from the local file, never from the
  token: no `jku`/`x5u`/`jwk`), requires `exp iat nbf iss aud sub jti typ`, checks `iss`, `aud` and `typ == "access"`,
  with 30 s leeway. Any problem raises `domain.shared.errors.AuthenticationFailed`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.settings import Settings
from domain.shared.errors import AuthenticationFailed

ALGORITHM = "RS256"
RSA_BITS = 3072
LEEWAY_SECONDS = 30
ACCESS_TYPE = "access"
REQUIRED_CLAIMS = ["exp", "iat", "nbf", "iss", "aud", "sub", "jti", "typ"]
_INVALID = "Invalid or expired access token"


@dataclass(frozen=True)
class KeyPair:
    private_key: rsa.RSAPrivateKey
    public_key: rsa.RSAPublicKey
    kid: str


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def key_thumbprint(public_key: rsa.RSAPublicKey) -> str:
    """RFC 7638 thumbprint of an RSA public key: base64url(SHA-256 of `{"e":…,"kty":"RSA","n":…}`)."""
    numbers = public_key.public_numbers()
    jwk = {"e": _b64url(_int_bytes(numbers.e)), "kty": "RSA", "n": _b64url(_int_bytes(numbers.n))}
    canonical = json.dumps(jwk, separators=(",", ":"), sort_keys=True).encode()
    return _b64url(hashlib.sha256(canonical).digest())


def _write_private(path: Path, pem: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    os.chmod(path, 0o600)




def ensure_keys(settings: Settings) -> KeyPair:
    """Load the key pair, generating it (RSA 3072) if the private key file is missing; the public key file is
    (re)written from the private key when missing. Returns the pair with its `kid`."""
    priv_path, pub_path = Path(settings.jwt_private_key_path), Path(settings.jwt_public_key_path)
    if not priv_path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
        _write_private(priv_path, key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        pub_path.parent.mkdir(parents=True, exist_ok=True)
        pub_path.write_bytes(key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    elif not pub_path.exists():
        stored_key = serialization.load_pem_private_key(priv_path.read_bytes(), password=None)
        pub_path.parent.mkdir(parents=True, exist_ok=True)
        pub_path.write_bytes(stored_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    private_key = serialization.load_pem_private_key(priv_path.read_bytes(), password=None)
    public_key = serialization.load_pem_public_key(pub_path.read_bytes())
    if not isinstance(private_key, rsa.RSAPrivateKey) or not isinstance(public_key, rsa.RSAPublicKey):
        raise RuntimeError("JWT keys must be RSA keys")
    return KeyPair(private_key, public_key, key_thumbprint(public_key))


class AccessTokens:
    """Issues and verifies RS256 access tokens with one key pair (loaded once by the `System` at start-up)."""

    def __init__(self, keys: KeyPair, *, issuer: str, audience: str, ttl_seconds: int) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.ttl_seconds = ttl_seconds

    @classmethod
    def for_settings(cls, settings: Settings, keys: KeyPair | None = None) -> AccessTokens:
        """Tokens with `JWT_ISSUER`, `JWT_AUDIENCE`, `JWT_ACCESS_TTL_SECONDS` and the key pair from the key files
        (`ensure_keys`), or `keys` when given."""
        return cls(keys or ensure_keys(settings), issuer=settings.jwt_issuer, audience=settings.jwt_audience,
                   ttl_seconds=settings.jwt_access_ttl_seconds)

    def issue(self, user_id: uuid.UUID | str, role: str, now: datetime | None = None) -> tuple[str, int]:
        """Sign an access token for `user_id`. Returns `(token, expires_in_seconds)` (1 h by default). Claims: iss,
        aud, sub (user id string), iat/nbf/exp (UTC seconds), jti (random), typ="access", role (informational only —
        authorization always re-reads the role from the database)."""
        now = (now or datetime.now(UTC)).astimezone(UTC)
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": str(user_id),
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int((now + timedelta(seconds=self.ttl_seconds)).timestamp()),
            "jti": uuid.uuid4().hex,
            "typ": ACCESS_TYPE,
            "role": role,
        }
        token = jwt.encode(claims, self.keys.private_key, algorithm=ALGORITHM,
                           headers={"kid": self.keys.kid, "typ": "JWT"})
        return token, self.ttl_seconds

    def decode(self, token: str) -> dict[str, Any]:
        """Verify `token` and return its claims. Raises AuthenticationFailed for a bad signature, algorithm, `kid`,
        issuer, audience, type, a missing claim, or a token outside its `nbf`..`exp` window (30 s leeway)."""
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != ALGORITHM or header.get("kid") != self.keys.kid:
                raise AuthenticationFailed(_INVALID)
            claims = jwt.decode(
                token,
                self.keys.public_key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": REQUIRED_CLAIMS},
            )
        except AuthenticationFailed:
            raise
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise AuthenticationFailed(_INVALID) from exc
        if claims.get("typ") != ACCESS_TYPE:
            raise AuthenticationFailed(_INVALID)
        try:
            uuid.UUID(str(claims["sub"]))
        except ValueError as exc:
            raise AuthenticationFailed(_INVALID) from exc
        return claims
