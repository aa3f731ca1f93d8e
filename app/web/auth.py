"""Sign-in for NiceGUI pages (PRODUCT.md §3 "Browser pages use a server-side session referenced from
app.storage.user", §7 "checked on every request and every UI event").

- `app.storage.user["sid"]` holds only an opaque browser-session token; role, status and balance are always read
  from the database. No database call runs on the event loop: reads and writes go through a worker thread, on the
  `System` of the app (`request.app.state.system`, set by `app.main.install`).
- Every HTTP request: `install_page_guard(app)` adds a middleware that resolves the session ONCE per request (in a
  worker thread) and keeps the result on `request.state.user`; signed-out visitors of member pages are redirected to
  `/login?redirect_to=<path>`, non-admins get a 403 page on `/admin*`. The page decorators
  (`components.page.member_page` / `admin_page`) read that user with `request_user(request)` (no second query).
- Every UI event: events arrive over the websocket and skip HTTP middleware, so handlers re-read the user with
  `await fresh_user(system)` (`components.page.PageContext.guard` / `.member` do it for pages).
- `sign_in` uses the same sign-in sequence as the JSON API (`app.services.signin.verify_credentials`).
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from nicegui import app, run
from starlette.concurrency import run_in_threadpool
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from app.services.signin import verify_credentials
from app.settings import ROOT
from domain.accounts.users import create_browser_session, end_browser_session, resolve_browser_session
from domain.models import User
from domain.shared.enums import Role

if TYPE_CHECKING:
    from app.system import System

SESSION_KEY = "sid"
LOGIN_PATH = "/login"
# Paths anyone may open without signing in. Others may extend these (e.g. a public landing or results page).
# "/" is public: signed-out visitors get the landing page, members their dashboard (pages/member/home.py reads the user
# through `components.page.public_page(..., with_user=True)`).
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


def user_for_token(system: System, token: str | None) -> User | None:
    """The active user behind a browser-session token, read from the database (blocking)."""
    if not token:
        return None
    with system.read() as session:
        return resolve_browser_session(session, token, system.clock)


def _open_session(system: System, email: str, password: str, ip: str | None) -> str:
    """Blocking part of `sign_in`: verify (read-only, ~0.1 s Argon2id), then a short write transaction for the
    browser session (no write lock is held while the password is checked). Returns the session token."""
    user = verify_credentials(system, email, password, ip)
    with system.uow() as uow:
        return create_browser_session(uow, user.id, system.clock)


def _end_session(system: System, token: str | None) -> None:
    with system.uow() as uow:
        end_browser_session(uow, token)


# --- NiceGUI context (event loop) ------------------------------------------------------------------------------


async def sign_in(system: System, email: str, password: str, ip: str | None = None) -> None:
    """Check the credentials and start a browser session for this browser (a new token on every sign-in; the
    previous session, if any, is ended). Raises `app.security.ratelimit.RateLimited` or
    `domain.shared.errors.AuthenticationFailed` (its `detail` is safe to show). Must run in a NiceGUI UI context."""
    token = await run.io_bound(_open_session, system, email, password, ip)
    if token is None:  # NiceGUI is shutting down
        return
    previous = app.storage.user.get(SESSION_KEY)
    app.storage.user[SESSION_KEY] = token
    if previous:
        await run.io_bound(_end_session, system, previous)


async def sign_out(system: System) -> None:
    """End this browser's session (revoked in the database, in a worker thread) and forget its token."""
    token = app.storage.user.get(SESSION_KEY)
    if SESSION_KEY in app.storage.user:
        del app.storage.user[SESSION_KEY]
    if token:
        await run.io_bound(_end_session, system, token)


def request_user(request: Request) -> tuple[bool, User | None]:
    """`(True, user)` when the page guard resolved this HTTP request (`user` is None for a signed-out visitor);
    `(False, None)` when it did not (public paths)."""
    state = request.state
    if not hasattr(state, REQUEST_USER):
        return False, None
    return True, getattr(state, REQUEST_USER)


async def fresh_user(system: System) -> User | None:
    """This browser's signed-in, active user read from the database now, in a worker thread (None without a session
    token, for an ended session, or while NiceGUI shuts down). Use it in UI event handlers."""
    token = app.storage.user.get(SESSION_KEY)
    if not token:
        return None
    return await run.io_bound(user_for_token, system, token)


FORBIDDEN_PAGE = (ROOT / "assets" / "forbidden.html").read_text(encoding="utf-8")


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
        user = await run_in_threadpool(user_for_token, request.app.state.system, app.storage.user.get(SESSION_KEY))
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
