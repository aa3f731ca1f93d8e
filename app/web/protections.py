"""Edge protections of the web app (issue 13 §1, §2, §4): one ASGI middleware that runs before any route does work,
plus the `ui.run` options they need. `install(app)` (from app/main.py) adds it; `run_options(settings)` goes into
`ui.run`. Settings: README "Settings" (`app/settings.py`, read per request from `app.state.system.settings`).

Per HTTP request, in this order (every refusal is an RFC 7807 problem, `app.web.problems.problem_response`):

1. **Trusted hosts** (production only, §1): a `Host` outside `Settings.allowed_hosts` (`TRUSTED_HOSTS`, else the
   host of `PUBLIC_BASE_URL`) → 400. `/health/*` is exempt (load-balancer probes use internal names). Absolute links
   never come from the Host anyway (`Settings.public_url`).
2. **Operator pages** (production only, §4): `/docs`, `/redoc`, `/openapi.json` and `/metrics` need
   `Authorization: Bearer <METRICS_TOKEN>`, an admin's access token, or an admin's browser session → else 401/403.
3. **Websocket origin** (§4): the NiceGUI websocket (`/_nicegui_ws/…`, websocket and polling) with an `Origin`
   other than the configured site (`Settings.site_origin`; outside production also the origin the request came
   to) → 403, so another site cannot drive a member's page (cross-site websocket hijacking).
4. **Bounded bodies** (§2), counted while `receive()` delivers them — never read whole first: a `Content-Length`
   above the limit → 413 at once; a body that grows past it → 413 as soon as the limit is crossed (nothing more is
   read). Limits: `/webhooks/*` `WEBHOOK_MAX_BODY_BYTES` (1 MiB); `/api/*` JSON `API_MAX_BODY_BYTES` (64 KiB);
   multipart uploads and every other path `UPLOAD_MAX_BODY_BYTES` (the 5 MiB picture limit + 64 KiB).
5. **Safe JSON** (§2): a JSON body of `/api/*` nested deeper than `JSON_MAX_DEPTH` (32), or holding `NaN`,
   `Infinity` or a number beyond ±2^53 (I-JSON, RFC 7493 §2.2; `1e308` included) → 400 before the route parses it.
   The webhook route applies the same check (`load_json`) after its signature check.
6. **Browser headers** (§4) on every response: CSP (pages: NiceGUI-compatible — NiceGUI evaluates its element
   props and `run_javascript` code and its page holds inline scripts, so `script-src` needs `'unsafe-inline'
   'unsafe-eval'`; everything else is 'self' only; API and other non-HTML responses: `default-src 'none'`),
   `frame-ancestors 'none'` + `X-Frame-Options: DENY`, `X-Content-Type-Options: nosniff`, `Referrer-Policy:
   same-origin` (reset and verification tokens ride in URLs), `Cross-Origin-Opener-Policy: same-origin`, and HSTS
   in production.

Forwarded headers (§1) are uvicorn's: `run_options` passes `FORWARDED_ALLOW_IPS` (only those peers' `X-Forwarded-For`
/ `-Proto` are honoured) and, in production, NiceGUI's session cookie is `Secure` (`https_only`) — also behind a
TLS-terminating proxy, where the app itself sees plain HTTP.
"""

from __future__ import annotations

import hmac
import json
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

import structlog
from fastapi import HTTPException
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers

from app.adapters import images
from app.settings import Env, Settings
from app.web.problems import is_problem_path, problem_response
from domain.shared.enums import Role, UserStatus
from domain.shared.errors import AuthenticationFailed

if TYPE_CHECKING:
    from app.system import System

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_log = structlog.get_logger("fittrack.edge")

UPLOAD_MAX_BODY_BYTES = images.MAX_UPLOAD_BYTES + 64 * 1024  # one picture plus the multipart envelope
MAX_JSON_NUMBER = 2 ** 53  # I-JSON (RFC 7493 §2.2): integers and magnitudes exactly representable everywhere
OPERATOR_PATHS = ("/docs", "/redoc", "/openapi.json", "/metrics")
WEBSOCKET_PREFIX = "/_nicegui_ws"
EXEMPT_HOST_PREFIX = "/health"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

PAGE_CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'",  # NiceGUI: inline bootstrap, eval of props/run_javascript
    "style-src 'self' 'unsafe-inline'",  # Quasar/Tailwind inject styles at run time
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",  # CSP 3: 'self' covers ws:/wss: to the same host (NiceGUI's websocket)
    "media-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DOCS_CSP = PAGE_CSP.replace("default-src 'self'", "default-src 'self' https://cdn.jsdelivr.net", 1) \
    .replace("script-src 'self'", "script-src 'self' https://cdn.jsdelivr.net", 1) \
    .replace("style-src 'self'", "style-src 'self' https://cdn.jsdelivr.net", 1) \
    .replace("img-src 'self'", "img-src 'self' https://fastapi.tiangolo.com", 1)  # Swagger UI's assets and favicon
HSTS = "max-age=63072000; includeSubDomains"


# --- JSON ------------------------------------------------------------------------------------------------------


class UnsafeJson(ValueError):
    """A JSON document refused before use (issue 13 §2): nested deeper than allowed, or holding a non-finite or
    out-of-range number. `str(exc)` is safe to show."""


def _refuse_constant(name: str) -> Any:
    raise UnsafeJson(f"non-finite number {name} is not accepted")


def first_problem(document: Any, max_depth: int) -> str | None:
    """Why a parsed JSON `document` is refused — nested deeper than `max_depth`, or a number beyond ±2^53 (which
    includes the infinities `1e400` parses to) — or None. Iterative (no recursion), one visit per value."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > max_depth:
                return f"JSON nested deeper than {max_depth} levels is not accepted"
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
        elif isinstance(node, int | float) and not isinstance(node, bool) and not abs(node) <= MAX_JSON_NUMBER:
            return f"number {str(node)[:32]} is out of range (at most ±2^53)"  # NaN fails `<=` too
    return None


def load_json(raw: bytes | str, max_depth: int) -> Any:
    """Parse `raw` like `json.loads`, refusing (issue 13 §2, `UnsafeJson`) documents nested deeper than `max_depth`,
    the constants `NaN`/`Infinity`/`-Infinity`, and numbers beyond ±2^53 (`1e308`; I-JSON). Parsing is json's C
    decoder; a document too deep even for it (a `RecursionError`) or an integer literal too long for Python is
    refused the same way. Malformed JSON raises `json.JSONDecodeError` as usual."""
    try:
        document = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise UnsafeJson(f"JSON nested deeper than {max_depth} levels is not accepted") from None
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        if isinstance(exc, UnsafeJson):
            raise
        raise UnsafeJson("number out of range (at most ±2^53)") from None
    problem = first_problem(document, max_depth)
    if problem is not None:
        raise UnsafeJson(problem)
    return document


# --- the middleware --------------------------------------------------------------------------------------------


class BodyTooLarge(HTTPException):
    """A request body crossed its limit while being read (raised from the counting `receive`). An `HTTPException`
    (413), so wherever a route or FastAPI reads the body it ends as a 413 problem, never as a 400 or a 500."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes")
        self.limit = limit


def _settings(scope: Scope) -> Settings | None:
    system = getattr(getattr(scope.get("app"), "state", None), "system", None)
    return getattr(system, "settings", None)


def body_limit(settings: Settings, path: str, content_type: str) -> int:
    """The body limit in bytes for a request to `path` with `content_type` (see the module docstring)."""
    if path.startswith("/webhooks/"):
        return settings.webhook_max_body_bytes
    if path.startswith("/api/") and not content_type.startswith("multipart/"):
        return settings.api_max_body_bytes
    return UPLOAD_MAX_BODY_BYTES


def host_allowed(settings: Settings, host_header: str) -> bool:
    """True when `host_header` ("fittrack.example:443") names an allowed host (`Settings.allowed_hosts`; entries
    may be "*" or "*.example.com")."""
    host = host_header.rsplit(":", 1)[0] if not host_header.endswith("]") else host_header
    host = host.strip().lower()
    for pattern in settings.allowed_hosts:
        if pattern == "*" or host == pattern or (pattern.startswith("*.") and host.endswith(pattern[1:])):
            return True
    return False


def origin_allowed(settings: Settings, origin: str, scope: Scope, headers: Headers) -> bool:
    """True when a websocket `origin` may talk to this app: the configured site; outside production also the
    origin of the request itself (dev servers reached as localhost or 127.0.0.1)."""
    origin = origin.rstrip("/").lower()
    if origin == settings.site_origin.lower():
        return True
    if settings.env == Env.prod:
        return False
    scheme = "https" if scope.get("scheme") in ("https", "wss") else "http"
    return origin == f"{scheme}://{headers.get('host', '')}".lower()


def _is_operator_path(path: str) -> bool:
    return path in OPERATOR_PATHS or path.startswith("/docs/")


def _bearer(headers: Headers) -> str | None:
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credentials.strip() or None


def _admin_of_token(system: System, token: str) -> bool | None:
    """True for an active admin's access token, False for another member's, None for no valid token (blocking)."""
    from domain.models import User

    try:
        claims = system.tokens.decode(token)
    except AuthenticationFailed:
        return None
    with system.read() as session:
        user = session.get(User, uuid.UUID(claims["sub"]))
    if user is None or user.status != UserStatus.active.value:
        return None
    return user.role == Role.admin.value


def _admin_of_browser(system: System) -> bool | None:
    """The same for this browser's NiceGUI session (None without one, or outside a NiceGUI app) (blocking)."""
    from app.web.auth import SESSION_KEY, user_for_token

    try:
        from nicegui import app as nicegui_app

        token = nicegui_app.storage.user.get(SESSION_KEY)
    except (RuntimeError, AssertionError, KeyError, LookupError):
        return None
    user = user_for_token(system, token)
    return None if user is None else user.role == Role.admin.value


async def operator_access(system: System, headers: Headers) -> int | None:
    """None when the request may open an operator path in production (metrics token, admin token or admin browser
    session); else the status to answer (401 without credentials, 403 for a non-admin)."""
    settings = system.settings
    token = _bearer(headers)
    if token and settings.metrics_token and hmac.compare_digest(token.encode(), settings.metrics_token.encode()):
        return None
    verdict = await run_in_threadpool(_admin_of_token, system, token) if token else None
    if verdict is None:
        verdict = await run_in_threadpool(_admin_of_browser, system)
    if verdict is None:
        return 401
    return None if verdict else 403


def security_headers(settings: Settings, path: str, content_type: str) -> list[tuple[bytes, bytes]]:
    """The browser-protection headers for a response to `path` (issue 13 §4)."""
    if content_type.startswith("text/html"):
        csp = DOCS_CSP if path.startswith(("/docs", "/redoc")) else PAGE_CSP
    else:
        csp = API_CSP
    headers = [
        (b"content-security-policy", csp.encode()),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    if settings.env == Env.prod:
        headers.append((b"strict-transport-security", HSTS.encode()))
    return headers


class EdgeMiddleware:
    """The ASGI middleware of this module (see the module docstring for what it checks, in which order)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        settings = _settings(scope)
        if scope["type"] not in ("http", "websocket") or settings is None:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        path: str = scope.get("path", "")
        refusal = await self._refusal(scope, settings, headers, path)
        if refusal is not None:
            status, detail = refusal
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008, "reason": detail[:120]})
                return
            extra = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            await self._respond(scope, receive, send, settings, status, detail, extra)
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        await self._http(scope, receive, send, settings, headers, path)

    async def _refusal(self, scope: Scope, settings: Settings, headers: Headers, path: str) -> tuple[int, str] | None:
        prod = settings.env == Env.prod
        if prod and not path.startswith(EXEMPT_HOST_PREFIX) and not host_allowed(settings, headers.get("host", "")):
            return 400, "unknown Host"
        origin = headers.get("origin")
        if path.startswith(WEBSOCKET_PREFIX) and origin and not origin_allowed(settings, origin, scope, headers):
            _log.warning("edge.websocket_origin_refused", origin=origin[:200])
            return 403, "cross-site websocket refused"
        if prod and scope["type"] == "http" and _is_operator_path(path):
            system = scope["app"].state.system
            status = await operator_access(system, headers)
            if status is not None:
                return status, ("administrator or metrics token required" if status == 401
                                else "Administrator role required")
        return None

    async def _http(self, scope: Scope, receive: Receive, send: Send, settings: Settings, headers: Headers,
                    path: str) -> None:
        content_type = headers.get("content-type", "").lower()
        limit = body_limit(settings, path, content_type)
        declared = headers.get("content-length", "")
        if declared.strip().isdigit() and int(declared) > limit:
            await self._respond(scope, receive, send, settings, 413, f"request body larger than {limit} bytes")
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        downstream: Receive = counting_receive
        if scope.get("method") in _BODY_METHODS and is_problem_path(path):
            # API and webhook bodies (at most the limit) are read here, before any route or middleware runs: a
            # refusal is then always this 413, never an error raised inside another middleware's task.
            try:
                body = await _read_all(counting_receive)
            except BodyTooLarge as exc:
                await self._respond(scope, receive, send, settings, 413, exc.detail)
                return
            if path.startswith("/api/") and content_type.startswith("application/json"):
                problem = _json_problem(body, settings.json_max_depth)
                if problem is not None:
                    await self._respond(scope, receive, send, settings, 400, problem, title="Refused JSON")
                    return
            downstream = _replay(body, receive)
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                response_type = Headers(raw=message.get("headers", [])).get("content-type", "")
                existing = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in security_headers(settings, path, response_type) if k not in existing]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        try:
            await self.app(scope, downstream, send_with_headers)
        except Exception:  # pages' bodies are counted as they stream: the refusal may come back wrapped (task groups)
            if started or received <= limit:
                raise
            await self._respond(scope, receive, send, settings, 413, f"request body larger than {limit} bytes")

    @staticmethod
    async def _respond(scope: Scope, receive: Receive, send: Send, settings: Settings, status: int, detail: str,
                       headers: dict[str, str] | None = None, title: str | None = None) -> None:
        response = problem_response(status, title, detail, headers=headers, instance=scope.get("path"))
        for key, value in security_headers(settings, scope.get("path", ""), "application/problem+json"):
            response.headers[key.decode()] = value.decode()
        if status == 413:
            response.headers["connection"] = "close"  # the rest of the body is never read
        await response(scope, receive, send)


async def _read_all(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands `body` over once, then defers to the original (for `http.disconnect`)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _json_problem(body: bytes, max_depth: int) -> str | None:
    """Why `body` is refused (depth, non-finite or out-of-range numbers), or None. Malformed JSON is left to the
    route (FastAPI answers 422)."""
    try:
        load_json(body, max_depth)
    except UnsafeJson as exc:
        return str(exc)
    except (ValueError, RecursionError):
        return None
    return None


def install(app: Any) -> None:
    """Add `EdgeMiddleware` to the NiceGUI/FastAPI `app` (issue 13 §1, §2, §4). Call from app/main.py before the
    request-id middleware, so refusals still carry an `X-Request-ID`."""
    app.add_middleware(EdgeMiddleware)


def run_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for `ui.run` (passed on to uvicorn and NiceGUI's session middleware): forwarded headers
    only from `FORWARDED_ALLOW_IPS`, and in production a `Secure`, `SameSite=Lax` session cookie (issue 13 §1, §4)."""
    options: dict[str, Any] = {"proxy_headers": True, "forwarded_allow_ips": settings.forwarded_allow_ips}
    if settings.env == Env.prod:
        options["session_middleware_kwargs"] = {"https_only": True, "same_site": "lax"}
    return options
