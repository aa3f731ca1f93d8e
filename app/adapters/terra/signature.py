"""Terra webhook signatures (notes/terra.md §2.1): header `t=<unix>,v1=<hex>[,v1=…]`, HMAC-SHA256 keyed with the
signing secret (UTF-8) over `f"{t}.{raw_body}"`, lowercase hex, compared in constant time against every `v1`.
Other schemes (e.g. `v0`) are ignored to prevent downgrade attacks."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

SIGNATURE_HEADERS = ("x-terra-signature", "terra-signature")


class SignatureError(Exception):
    """The signature is missing, malformed, does not match, or its timestamp is outside the tolerance."""


def signature_header(headers: Mapping[str, str]) -> str | None:
    """The signature header value, trying `X-Terra-Signature` then `terra-signature`, case-insensitively."""
    lowered = {k.lower(): v for k, v in headers.items()}
    for name in SIGNATURE_HEADERS:
        if lowered.get(name):
            return lowered[name]
    return None


def compute(secret: str, timestamp: int | str, raw_body: bytes) -> str:
    """Hex HMAC-SHA256 of `f"{timestamp}.{raw_body}"` keyed with `secret`."""
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + raw_body, hashlib.sha256).hexdigest()


def sign(secret: str, raw_body: bytes, timestamp: int | None = None) -> str:
    """A header value Terra would send for `raw_body` at `timestamp` (unix seconds; default now)."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={compute(secret, t, raw_body)}"


def verify(raw_body: bytes, header: str | None, secret: str, *, tolerance: int | None = 300,
           now: float | None = None) -> int:
    """Verify a delivery. Returns the signed timestamp (unix seconds); raises `SignatureError` otherwise.

    `tolerance` (seconds) bounds |now − t| in both directions; `None` or 0 disables the timestamp check."""
    if not header:
        raise SignatureError("missing signature header")
    timestamp: str | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            timestamp = value.strip()
        elif key == "v1":
            candidates.append(value.strip().lower())
    if not timestamp or not timestamp.isdigit() or not candidates:
        raise SignatureError("malformed signature header")
    expected = compute(secret, timestamp, raw_body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise SignatureError("signature does not match")
    if tolerance and abs((time.time() if now is None else now) - int(timestamp)) > tolerance:
        raise SignatureError("signature timestamp outside the tolerance")
    return int(timestamp)
