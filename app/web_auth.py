"""Sign-in for NiceGUI pages (PRODUCT.md §3 "Browser pages use a server-side session referenced from
app.storage.user", §7 "checked on every request and every UI event").

- `app.storage.user["sid"]` holds only an opaque browser-session token; role, status and balance are always read
  from the database (`current_user()` resolves the token on every call).
- `install_page_guard(app)` adds an HTTP middleware: signed-out visitors of member pages are redirected to
  `/login?redirect_to=<path>`; non-admins get a 403 page on `/admin*`. UI events arrive over the websocket and skip
  HTTP middleware, so admin event handlers must start with `require_admin_event()`.
- `sign_in` uses the same throttling (`app.security.ratelimit`) and `domain.accounts.authenticate` as the JSON API.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from nicegui import app, run, ui
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from app.db import read_session, write_session
from app.security.passwords import verify_password
from app.security.ratelimit import check_login_allowed, record_login_failure
from domain.accounts import authenticate, create_browser_session, end_browser_session, resolve_browser_session
from domain.enums import Role
from domain.errors import AuthenticationFailed, Forbidden
from domain.models import User
from domain.types import utcnow

SESSION_KEY = "sid"
LOGIN_PATH = "/login"
# Paths anyone may open without signing in. Others may extend these (e.g. a public landing or results page).
PUBLIC_PATHS: set[str] = {LOGIN_PATH, "/logout", "/favicon.ico", "/openapi.json", "/docs", "/redoc"}
PUBLIC_PREFIXES: list[str] = [
    "/_nicegui", "/assets/", "/api/", "/webhooks/", "/health", "/docs/", "/static/",
]
ADMIN_PREFIX = "/admin"


def is_public_path(path: str) -> bool:
    """True for paths the page guard lets through without a signed-in user."""
    return path in PUBLIC_PATHS or path.startswith(tuple(PUBLIC_PREFIXES))


def _authenticate_and_open_session(email: str, password: str, ip: str | None) -> str:
    """Blocking part of `sign_in` (Argon2id verify + DB write), run in a worker thread. Returns the session token."""
    check_login_allowed(email, ip)
    with write_session() as session:
        try:
            user = authenticate(session, email, password, verify_password, utcnow)
        except AuthenticationFailed as exc:
            if exc.extra.get("reason") == "credentials":
                record_login_failure(email)
            raise
        return create_browser_session(session, user.id, utcnow)


def _end_session(token: str | None) -> None:
    with write_session() as session:
        end_browser_session(session, token)


async def sign_in(email: str, password: str, ip: str | None = None) -> None:
    """Check the credentials and start a browser session for this browser (a new token on every sign-in; the
    previous session, if any, is ended). Raises `app.security.ratelimit.RateLimited` or
    `domain.errors.AuthenticationFailed` (its `detail` is safe to show). Must run in a NiceGUI UI context."""
    token = await run.io_bound(_authenticate_and_open_session, email, password, ip)
    previous = app.storage.user.get(SESSION_KEY)
    app.storage.user[SESSION_KEY] = token
    if previous:
        await run.io_bound(_end_session, previous)


def sign_out() -> None:
    """End this browser's session (revoked in the database) and forget its token."""
    token = app.storage.user.get(SESSION_KEY)
    if SESSION_KEY in app.storage.user:
        del app.storage.user[SESSION_KEY]
    if token:
        _end_session(token)


def current_user() -> User | None:
    """The signed-in, active user of this browser, freshly read from the database, or None."""
    token = app.storage.user.get(SESSION_KEY)
    if not token:
        return None
    with read_session() as session:
        return resolve_browser_session(session, token, utcnow)


def require_admin_event() -> User:
    """Call first in every admin UI event handler: re-resolves the user from the database and raises
    `domain.errors.Forbidden` (after showing a notification) unless they are a signed-in admin."""
    user = current_user()
    if user is None or user.role != Role.admin:
        ui.notify("Administrator role required", type="negative")
        raise Forbidden("Administrator role required")
    return user


def _forbidden_page() -> HTMLResponse:
    body = (
        "<!doctype html><html><head><meta charset='utf-8'><meta name='viewport' content='width=device-width'>"
        "<title>403 · FitTrack</title></head><body style='font-family:system-ui,sans-serif;display:flex;"
        "min-height:90vh;align-items:center;justify-content:center;background:#f8fafc;color:#0f172a'>"
        "<div style='text-align:center;max-width:28rem;padding:1rem'><h1 style='font-size:3rem;margin:0'>403</h1>"
        "<p>This page is for administrators only.</p><p><a href='/'>Back to FitTrack</a></p></div></body></html>"
    )
    return HTMLResponse(body, status_code=403)


class PageGuardMiddleware(BaseHTTPMiddleware):
    """Redirect signed-out visitors to the login page; refuse `/admin*` to non-admins (HTTP page requests)."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        path = request.url.path
        if is_public_path(path):
            return await call_next(request)
        user = current_user()
        if user is None:
            target = path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"{LOGIN_PATH}?redirect_to={quote(target, safe='')}", status_code=307)
        if (path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")) and user.role != Role.admin:
            return _forbidden_page()
        return await call_next(request)


def install_page_guard(app_: Any) -> None:
    """Add `PageGuardMiddleware` to the NiceGUI app (from app/main.py, before `ui.run`)."""
    app_.add_middleware(PageGuardMiddleware)


def safe_redirect_target(target: str | None) -> str:
    """Only same-site relative paths are accepted as a post-login destination (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if target.startswith(LOGIN_PATH):
        return "/"
    return target
