"""Domain errors. Each carries a stable `code` and a human `detail`; the API maps them to RFC 7807 problem
details (`app.web.problems`) and pages show `detail` to the member. Domain code never speaks HTTP."""

from __future__ import annotations


class DomainError(Exception):
    """Base class. `code` is a stable machine-readable slug; `detail` is a readable sentence."""

    code = "domain-error"
    title = "Request could not be completed"

    def __init__(self, detail: str, **extra: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(DomainError):
    code = "not-found"
    title = "Not found"


class InvalidInput(DomainError):
    code = "invalid-input"
    title = "Invalid input"


class Conflict(DomainError):
    code = "conflict"
    title = "Conflict"


class Forbidden(DomainError):
    code = "forbidden"
    title = "Forbidden"


class AuthenticationFailed(DomainError):
    code = "authentication-failed"
    title = "Authentication failed"


class InsufficientPoints(DomainError):
    code = "insufficient-points"
    title = "Insufficient points"


class IdempotencyConflict(Conflict):
    code = "idempotency-conflict"
    title = "Idempotency key reused with a different request"
