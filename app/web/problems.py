"""RFC 7807 problem details (`application/problem+json`) for every error of the JSON API, the webhook route and
the health endpoints (paths starting with `/api/`, `/webhooks/`, `/health`).

Body: `{"type", "title", "status", "detail", "instance", "code", ...}`; validation errors add
`"errors": [{"field": "body.email", "message": "..."}]`. Domain errors map to statuses (NotFound 404, InvalidInput 400,
Conflict/IdempotencyConflict 409, Forbidden 403, AuthenticationFailed 401, InsufficientPoints 400), rate limits to
429 with `Retry-After`, anything unexpected to a 500 that reveals nothing internal (the traceback is logged).

Other paths (NiceGUI pages) keep NiceGUI's own behaviour: its 404 page and its 500 page are delegated to, so
installing these handlers does not change what page visitors see.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from http import HTTPStatus
from typing import Any, cast

import structlog
from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from app.security.ratelimit import RateLimited
from domain.shared.errors import (
    AuthenticationFailed,
    Conflict,
    DomainError,
    Forbidden,
    InsufficientPoints,
    InvalidInput,
    NotFound,
)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_PATH_PREFIXES = ("/api/", "/webhooks/", "/health")
_log = structlog.get_logger("fittrack.api")

DOMAIN_STATUS: list[tuple[type[DomainError], int]] = [
    (NotFound, 404), (InvalidInput, 400), (Conflict, 409), (Forbidden, 403), (AuthenticationFailed, 401),
    (InsufficientPoints, 400),
]
_STATUS_CODES = {400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found",
                 405: "method-not-allowed", 409: "conflict", 413: "payload-too-large", 415: "unsupported-media-type",
                 422: "validation-failed", 429: "rate-limited", 500: "internal-error", 503: "unavailable"}


def is_problem_path(path: str) -> bool:
    """True for paths whose errors are problem details (JSON API, webhooks, health)."""
    return path.startswith(PROBLEM_PATH_PREFIXES)


def _status_title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_response(
    status: int, title: str | None = None, detail: str | None = None, *,
    headers: dict[str, str] | None = None, **extra: Any,
) -> JSONResponse:
    """A problem-details response. `title` defaults to the HTTP phrase, `type` to "about:blank", `code` to a slug
    of the status (e.g. 404 → "not-found"); `extra` adds members (e.g. `instance="/api/v1/x"`, `errors=[...]`)."""
    body: dict[str, Any] = {
        "type": extra.pop("type", "about:blank"),
        "title": title or _status_title(status),
        "status": status,
        "detail": detail if detail is not None else _status_title(status),
        "code": extra.pop("code", _STATUS_CODES.get(status, f"http-{status}")),
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def domain_status(exc: DomainError) -> int:
    """The HTTP status for a domain error (400 for kinds not listed)."""
    for kind, status in DOMAIN_STATUS:
        if isinstance(exc, kind):
            return status
    return 400


def _field(loc: Any) -> str:
    return ".".join(str(part) for part in loc) if isinstance(loc, list | tuple) else str(loc)


Handler = Callable[[Request, Any], Awaitable[Response]]


def _delegating(handler: Handler, fallback: Handler | None) -> Handler:
    """Wrap `handler` so it only answers problem paths; other paths go to `fallback` (or re-raise)."""

    async def wrapper(request: Request, exc: Any) -> Response:
        if is_problem_path(request.url.path):
            return await handler(request, exc)
        if fallback is None:
            raise exc
        return await fallback(request, exc)

    wrapper._fittrack_fallback = fallback  # type: ignore[attr-defined]
    return wrapper


def _existing(app: FastAPI, key: Any, default: Handler | None) -> Handler | None:
    """The handler registered before ours (unwrapping ours, so re-installing in tests never nests wrappers)."""
    current = app.exception_handlers.get(key)
    if current is None:
        return default
    # Starlette types handlers as sync-or-async; the ones on this app (FastAPI's, NiceGUI's, ours) are all async.
    return cast(Handler, getattr(current, "_fittrack_fallback", current))


async def _http_problem(request: Request, exc: StarletteHTTPException) -> Response:
    detail = exc.detail if isinstance(exc.detail, str) else _status_title(exc.status_code)
    return problem_response(exc.status_code, None, detail, headers=getattr(exc, "headers", None),
                            instance=request.url.path)


async def _validation_problem(request: Request, exc: RequestValidationError) -> Response:
    errors = [{"field": _field(err.get("loc", ())), "message": err.get("msg", "invalid")} for err in exc.errors()]
    fields = ", ".join(e["field"] for e in errors)
    return problem_response(422, "Validation failed", f"Invalid or missing fields: {fields}",
                            instance=request.url.path, errors=errors)


async def _domain_problem(request: Request, exc: DomainError) -> Response:
    status = domain_status(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    safe_extra = {k: v for k, v in exc.extra.items() if isinstance(v, str | int | float | bool | None)}
    return problem_response(status, exc.title, exc.detail, headers=headers, type=f"urn:fittrack:problem:{exc.code}",
                            code=exc.code, instance=request.url.path, **safe_extra)


async def _rate_limited_problem(request: Request, exc: RateLimited) -> Response:
    return problem_response(429, "Too many requests", exc.detail, headers={"Retry-After": str(exc.retry_after)},
                            instance=request.url.path, retry_after=exc.retry_after)


class ProblemCatchAllMiddleware:
    """ASGI middleware: an unexpected exception on a problem path becomes a 500 problem (no internals); it is
    logged with its traceback. Other paths are untouched (NiceGUI renders its own error page)."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not is_problem_path(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: MutableMapping[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            _log.exception("unhandled error", path=scope.get("path"))
            if started:
                raise
            response = problem_response(500, "Internal Server Error", "An unexpected error occurred.",
                                        instance=scope.get("path"))
            await response(scope, receive, send)


def install_problem_handlers(app: FastAPI) -> None:
    """Register the problem-details handlers on `app` (safe to call again; NiceGUI's own handlers stay the
    fallback for page paths)."""
    app.add_exception_handler(
        StarletteHTTPException, _delegating(_http_problem, _existing(app, StarletteHTTPException,
                                                                      http_exception_handler)))
    app.add_exception_handler(404, _delegating(_http_problem, _existing(app, 404, http_exception_handler)))
    app.add_exception_handler(
        RequestValidationError, _delegating(_validation_problem, _existing(app, RequestValidationError,
                                                                           request_validation_exception_handler)))
    page_error = _existing(app, Exception, None)
    app.add_exception_handler(DomainError, _delegating(_domain_problem, page_error))
    app.add_exception_handler(RateLimited, _delegating(_rate_limited_problem, page_error))
    app.add_middleware(ProblemCatchAllMiddleware)
