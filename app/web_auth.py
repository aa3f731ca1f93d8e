"""Sign-in for NiceGUI pages (PRODUCT.md §3 "Browser pages use a server-side session referenced from
app.storage.user", §7 "checked on every request and every UI event").

- `app.storage.user["sid"]` holds only an opaque browser-session token; role, status and balance are always read
  from the database. No database call runs on the event loop: reads and writes go through a worker thread.
- Every HTTP request: `install_page_guard(app)` adds a middleware that resolves the session ONCE per request (in a
  worker thread) and keeps the result on `request.state.user`; signed-out visitors of member pages are redirected to
  `/login?redirect_to=<path>`, non-admins get a 403 page on `/admin*`. Page functions read that user with
  `current_user()` (no second query).
- Every UI event: events arrive over the websocket and skip HTTP middleware, so admin event handlers must start with
  `await require_admin_event()`, which re-reads the user from the database; other handlers that need the user use
  `await resolve_user()`.
- `sign_in` uses the same sign-in sequence as the JSON API (`app.security.signin.verify_credentials`).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from nicegui import app, run, ui
from starlette.concurrency import run_in_threadpool
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from app.db import read_session, write_session
from app.security.signin import verify_credentials
from domain.accounts import create_browser_session, end_browser_session, resolve_browser_session
from domain.enums import Role
from domain.errors import Forbidden
from domain.models import User
from domain.types import utcnow

SESSION_KEY = "sid"
LOGIN_PATH = "/login"
# Paths anyone may open without signing in. Others may extend these (e.g. a public landing or results page).
# "/" is public: signed-out visitors get the landing page, members their dashboard (pages/home.py resolves the user).
PUBLIC_PATHS: set[str] = {"/", LOGIN_PATH, "/logout", "/favicon.ico", "/openapi.json", "/docs", "/redoc", "/metrics"}
PUBLIC_PATHS |= {"/register", "/verify-email", "/forgot-password", "/reset-password", "/dev/mailbox"}  # issue 4
PUBLIC_PREFIXES: list[str] = [
    "/_nicegui", "/assets/", "/api/", "/webhooks/", "/health", "/docs/", "/static/", "/u/",
    "/results/", "/rules/",  # issue 6: public draw results and official rules
]
ADMIN_PREFIX = "/admin"
# `request.state` attribute where the page guard keeps the user it resolved (a `User`, or None when signed out).
REQUEST_USER = "user"


def is_public_path(path: str) -> bool:
    """True for paths the page guard lets through without a signed-in user."""
    return path in PUBLIC_PATHS or path.startswith(tuple(PUBLIC_PREFIXES))


# --- blocking parts (worker threads only) ----------------------------------------------------------------------


def _user_for_token(token: str | None) -> User | None:
    """The active user behind a browser-session token, read from the database (blocking)."""
    if not token:
        return None
    with read_session() as session:
        return resolve_browser_session(session, token, utcnow)


def _open_session(email: str, password: str, ip: str | None) -> str:
    """Blocking part of `sign_in`: verify (read-only, ~0.1 s Argon2id), then a short write transaction for the
    browser session (no write lock is held while the password is checked). Returns the session token."""
    user = verify_credentials(email, password, ip)
    with write_session() as session:
        return create_browser_session(session, user.id, utcnow)


def _end_session(token: str | None) -> None:
    with write_session() as session:
        end_browser_session(session, token)


# --- NiceGUI context (event loop) ------------------------------------------------------------------------------


async def sign_in(email: str, password: str, ip: str | None = None) -> None:
    """Check the credentials and start a browser session for this browser (a new token on every sign-in; the
    previous session, if any, is ended). Raises `app.security.ratelimit.RateLimited` or
    `domain.errors.AuthenticationFailed` (its `detail` is safe to show). Must run in a NiceGUI UI context."""
    token = await run.io_bound(_open_session, email, password, ip)
    if token is None:  # NiceGUI is shutting down
        return
    previous = app.storage.user.get(SESSION_KEY)
    app.storage.user[SESSION_KEY] = token
    if previous:
        await run.io_bound(_end_session, previous)


async def sign_out() -> None:
    """End this browser's session (revoked in the database, in a worker thread) and forget its token."""
    token = app.storage.user.get(SESSION_KEY)
    if SESSION_KEY in app.storage.user:
        del app.storage.user[SESSION_KEY]
    if token:
        await run.io_bound(_end_session, token)


def _page_request_user() -> tuple[bool, User | None]:
    """`(True, user)` while a page is being built for an HTTP request the page guard resolved; `(False, None)`
    otherwise (public paths, or UI events — after the browser connected the request's user may be stale)."""
    client = ui.context.client
    if client.has_socket_connection:
        return False, None
    try:
        state = client.request.state
    except RuntimeError:  # a client without a request
        return False, None
    if not hasattr(state, REQUEST_USER):
        return False, None
    return True, getattr(state, REQUEST_USER)


async def _fresh_user() -> User | None:
    """This browser's user read from the database in a worker thread (None without a session token)."""
    token = app.storage.user.get(SESSION_KEY)
    if not token:
        return None
    return await run.io_bound(_user_for_token, token)  # None also when NiceGUI is shutting down


def current_user() -> User | None:
    """The signed-in, active user for the page being built, or None — as the page guard read it from the database
    for this very HTTP request (one query per request; call at the top of a member page function).

    Raises RuntimeError where there is no such request-resolved user (public paths such as /login, or UI event
    handlers after the page was sent): use `await resolve_user()` or `await require_admin_event()` there."""
    resolved, user = _page_request_user()
    if not resolved:
        raise RuntimeError("current_user() is for member page functions; use `await resolve_user()` here")
    return user


async def resolve_user() -> User | None:
    """The signed-in, active user of this browser, or None: the page guard's user while the page is built for its
    HTTP request, otherwise freshly read from the database in a worker thread (e.g. in a UI event handler)."""
    resolved, user = _page_request_user()
    if resolved:
        return user
    return await _fresh_user()


async def require_admin_event() -> User:
    """Await first in every admin UI event handler: re-reads the user from the database (one query, in a worker
    thread) and raises `domain.errors.Forbidden` (after showing a notification) unless they are a signed-in admin."""
    user = await _fresh_user()
    if user is None or user.role != Role.admin:
        ui.notify("Administrator role required", type="negative")
        raise Forbidden("Administrator role required")
    return user


FORBIDDEN_PAGE = (Path(__file__).resolve().parent.parent / "assets" / "forbidden.html").read_text(encoding="utf-8")


def _forbidden_page() -> HTMLResponse:
    """The 403 page signed-in non-admins get on `/admin*` (static HTML in assets/forbidden.html)."""
    return HTMLResponse(FORBIDDEN_PAGE, status_code=403)


class PageGuardMiddleware(BaseHTTPMiddleware):
    """Resolve the browser session once per request (worker thread) into `request.state.user`; redirect signed-out
    visitors to the login page; refuse `/admin*` to non-admins (HTTP page requests)."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        path = request.url.path
        if is_public_path(path):
            return await call_next(request)
        user = await run_in_threadpool(_user_for_token, app.storage.user.get(SESSION_KEY))
        setattr(request.state, REQUEST_USER, user)  # shared with the page's request (same ASGI scope)
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
    """`target` when it is a same-site relative path ("/leaderboard?period=daily"), else "/" (no open redirects).

    Refused: empty; any whitespace or control/format character anywhere (browsers drop tab/newline, so
    "/\\t/evil.com" would become "//evil.com"); backslashes (browsers read them as "/"); anything with a scheme or
    host ("https://…", "javascript:…", "//evil.com"); paths not starting with exactly one "/"; the login page itself.
    `target` is the already-decoded query value."""
    if not target or "\\" in target:
        return "/"
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") for ch in target):
        return "/"
    try:
        parts = urlsplit(target)
    except ValueError:
        return "/"
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return "/"
    if target.startswith(LOGIN_PATH):
        return "/"
    return target
