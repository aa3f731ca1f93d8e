"""Page plumbing shared by every NiceGUI page: the `PageContext` a page body receives, and the decorators that register
pages (`member_page`, `admin_page`, `public_page`) — so a page is only its own content:

    @member_page("/activity", title="Activity")
    async def activity_page(ctx: PageContext, page: int = 1) -> None:   # URL /activity?page=2
        history = await ctx.read(member_stats.activity_history, ctx.member_id, ...)   # fn(session, ...) off the loop
        ...

What the decorators do (wrapping NiceGUI's `@ui.page`, same URLs and query/path parameters as the body declares):
- `member_page(path, title=...)`: the signed-in member is the one the page guard read for this very request
  (`app.web.auth`, one query per request); without one the browser goes to /login. The body runs inside the shared
  `components.frame.frame(ctx, title)` (header, drawer, live balance).
- `admin_page(path, title=...)`: the same, and a member who is not an admin sees an "Administrators only" notice in
  the frame instead of the body (the page guard already answers 403 to HTTP requests; this is the second check).
- `public_page(path, title=..., with_user=False)`: no frame and no sign-in check of its own (public paths, listed in
  `app.web.auth`, need none; the page guard still covers the others, e.g. a redirect route); `with_user=True` reads
  the signed-in user (or None) for pages that look different when signed in (/, /login, /rules/…, /results/…).

`PageContext` carries the `System` (from `app.state.system`, set by `app.main.install`), the user as of page load,
the page's HTTP request (IP address, base URL) and the app's live feed (`app.web.realtime.LiveFeed`). Its helpers run
blocking work in a worker thread (`run.io_bound`), never on the event loop:
- `await ctx.read(fn, *a, **kw)`: `fn(session, *a, **kw)` in a read session (`system.read()`);
- `await ctx.write(fn, *a, **kw)`: `fn(uow, *a, **kw)` in one unit of work (`system.uow()`): committed on success,
  then the after-commit effects of the domain events it recorded run (live push, Redis boards, mail jobs);
- `await ctx.call(fn, *a, **kw)`: `fn(system, *a, **kw)`, for `app.services` functions (they open their own units of
  work);
- `ctx.guard(handler)`: wrap every admin UI event handler (events arrive over the websocket and skip the page
  guard): it re-reads the user from the database first and refuses non-admins with a notification
  (`domain.shared.errors.Forbidden`); inside, `ctx.admin` is the admin it confirmed. `await ctx.require_admin()` is
  the same check, for re-checking after a dialog the admin may have left open for a while;
- `await ctx.member()`: the same re-read for member handlers (None, after sending the browser to /login, when
  signed out or someone else signed in meanwhile).

All three helpers raise `asyncio.CancelledError` when the app shuts down during the call (`run.io_bound` returns
None then), or when the page was closed meanwhile, so callers never see a None they did not expect and never update
elements of a deleted page (background loads and timers end quietly).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import typing
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

from fastapi import Request
from nicegui import Client, run, ui
from sqlmodel import Session

from app.system import System
from app.web import auth
from app.web.realtime import LiveFeed, PointsLanded
from components.frame import frame
from components.notice import notice
from domain.models import User
from domain.shared.calendar import platform_day
from domain.shared.enums import Role
from domain.shared.errors import Forbidden
from domain.shared.uow import UnitOfWork

P = ParamSpec("P")
T = TypeVar("T")
Body = TypeVar("Body", bound=Callable[..., Any])

ADMIN_REQUIRED = "Administrator role required"
# The admin confirmed by the innermost `guard` / `require_admin` of the running UI event (one per asyncio task).
_acting_admin: contextvars.ContextVar[User | None] = contextvars.ContextVar("acting_admin", default=None)


def _unwrap(boxed: tuple[T] | None) -> T:
    # `run.io_bound` answers None when the app is shutting down: end the calling task quietly rather than hand it a
    # None it does not expect.
    if boxed is None:
        raise asyncio.CancelledError("the app is shutting down")
    return boxed[0]


def _in_read(system: System, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[T]:
    with system.read() as session:
        return (fn(session, *args, **kwargs),)


def _in_uow(system: System, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[T]:
    with system.uow() as uow:
        result = fn(uow, *args, **kwargs)
    return (result,)  # the commit and its effects are done here, before the page sees the result


def _with_system(system: System, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[T]:
    return (fn(system, *args, **kwargs),)


@dataclass(eq=False)
class PageContext:
    """What a page body works with (see the module docstring): `system`, the `user` as of page load (None on public
    pages for signed-out visitors), the page's HTTP `request` (None outside a request, e.g. in tests that build a
    context by hand) and the app's `live` feed."""

    system: System
    user: User | None
    request: Request | None
    live: LiveFeed
    client: Client | None = None  # the page's browser connection (set by the decorators)

    def _still_open(self, value: T) -> T:
        """`value`, unless the page was closed (its client deleted) while the work ran: then end the calling task
        quietly (`asyncio.CancelledError`) instead of letting it update elements that no longer exist. A write
        that got here has committed either way."""
        if self.client is not None and self.client.is_deleted:
            raise asyncio.CancelledError("the page was closed")
        return value

    # --- the request ------------------------------------------------------------------------------------------
    @property
    def member_id(self) -> uuid.UUID:
        """The id of the signed-in user of a member or admin page. Raises RuntimeError on a signed-out page."""
        if self.user is None:
            raise RuntimeError("no user is signed in on this page")
        return self.user.id

    @property
    def ip(self) -> str | None:
        """The IP address of the browser (for audit entries), or None when unknown."""
        client = self.request.client if self.request is not None else None
        return client.host if client else None

    @property
    def base_url(self) -> str:
        """The site's configured base URL without a trailing slash ("https://fittrack.example"): `PUBLIC_BASE_URL`,
        never the request's Host header (issue 13 §1)."""
        return self.system.settings.site_url

    def now(self) -> datetime:
        """"Now" on the system clock (aware UTC)."""
        return self.system.clock()

    def today(self) -> date:
        """Today's platform day (America/New_York) on the system clock."""
        return platform_day(self.system.clock())

    # --- blocking work, in a worker thread ----------------------------------------------------------------------
    async def read(self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`fn(session, *args, **kwargs)` in a read session, in a worker thread."""
        return self._still_open(_unwrap(await run.io_bound(_in_read, self.system, fn, args, kwargs)))

    async def write(self, fn: Callable[Concatenate[UnitOfWork, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`fn(uow, *args, **kwargs)` in one unit of work, in a worker thread: committed on success (then the
        after-commit effects of its events run), rolled back on any exception (which is re-raised here). When the
        app shuts down during the call the transaction may or may not have committed, as with a lost connection."""
        return self._still_open(_unwrap(await run.io_bound(_in_uow, self.system, fn, args, kwargs)))

    async def call(self, fn: Callable[Concatenate[System, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`fn(system, *args, **kwargs)` — an `app.services` function — in a worker thread."""
        return self._still_open(_unwrap(await run.io_bound(_with_system, self.system, fn, args, kwargs)))

    async def enqueue(self, task: str, *args: str) -> None:
        """Enqueue the job `task` by name (`system.jobs.enqueue`), in a worker thread."""
        await run.io_bound(self.system.jobs.enqueue, task, *args)

    # --- who is acting ------------------------------------------------------------------------------------------
    async def fresh_user(self) -> User | None:
        """This browser's signed-in, active user, read from the database now (None when signed out)."""
        return await auth.fresh_user(self.system)

    async def member(self) -> User | None:
        """For member UI event handlers: the page's member, re-read from the database; None (after sending the
        browser to /login) when nobody is signed in any more or another member signed in on this browser."""
        user = await self.fresh_user()
        if user is None or (self.user is not None and user.id != self.user.id):
            ui.navigate.to(auth.LOGIN_PATH)
            return None
        return user

    async def require_admin(self) -> User:
        """The signed-in admin, re-read from the database (one query, in a worker thread); it becomes `ctx.admin` for
        the rest of the event. Unless they are a signed-in admin: a notification, then `Forbidden`."""
        user = await self.fresh_user()
        if user is None or user.role != Role.admin.value:
            ui.notify(ADMIN_REQUIRED, type="negative")
            raise Forbidden(ADMIN_REQUIRED)
        _acting_admin.set(user)
        return user

    @property
    def admin(self) -> User:
        """The admin confirmed for the running UI event by `guard` (or the last `require_admin`). Raises RuntimeError
        outside a guarded handler."""
        admin = _acting_admin.get()
        if admin is None:
            raise RuntimeError("ctx.admin is only set inside a handler wrapped with ctx.guard")
        return admin

    def guard(self, handler: Callable[P, Any]) -> Callable[P, Awaitable[Any]]:
        """`handler` (sync or async, with or without the event argument) behind the admin check: every call first
        runs `require_admin()` (refused → notification + `Forbidden`, the handler does not run)."""

        @functools.wraps(handler)
        async def guarded(*args: P.args, **kwargs: P.kwargs) -> Any:
            token = _acting_admin.set(None)
            try:
                await self.require_admin()
                result = handler(*args, **kwargs)
                if inspect.isawaitable(result):
                    result = await result
                return result
            finally:
                _acting_admin.reset(token)

        return guarded

    # --- live updates -------------------------------------------------------------------------------------------
    def on_points(self, reload: Callable[[PointsLanded], Awaitable[Any]],
                  when: Callable[[PointsLanded], bool] = lambda _: True) -> None:
        """Subscribe the current page to "points landed" batches (`LiveFeed.on_points_landed`)."""
        self.live.on_points_landed(reload, when)


# --- the decorators -------------------------------------------------------------------------------------------------
def _context(request: Request, user: User | None) -> PageContext:
    state = request.app.state
    try:
        client: Client | None = ui.context.client
    except RuntimeError:  # no UI context (a context built outside a page)
        client = None
    return PageContext(system=state.system, user=user, request=request, live=state.live_feed, client=client)


async def _signed_in_user(request: Request) -> User | None:
    """The page guard's user for this request (no second query); read fresh when the guard did not resolve it."""
    resolved, user = auth.request_user(request)
    if resolved:
        return user
    return await auth.fresh_user(request.app.state.system)


async def _run(body: Callable[..., Any], ctx: PageContext, params: dict[str, Any]) -> Any:
    result = body(ctx, **params)
    if inspect.isawaitable(result):
        result = await result
    return result


def _register(path: str, body: Callable[..., Any], build: Callable[[Request, dict[str, Any]], Awaitable[Any]],
              page_kwargs: dict[str, Any]) -> None:
    """Register `build(request, params)` as NiceGUI page `path` with the body's parameters after `ctx` (query and
    path parameters, annotations resolved so FastAPI can read them) and the request."""
    hints = typing.get_type_hints(body)
    parameters = list(inspect.signature(body).parameters.values())[1:]  # without ctx
    parameters = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in parameters]
    request_parameter = inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)

    async def page(request: Request, **params: Any) -> Any:
        return await build(request, params)

    page.__signature__ = inspect.Signature([request_parameter, *parameters])  # type: ignore[attr-defined]
    page.__name__, page.__qualname__ = body.__name__, body.__qualname__
    page.__module__, page.__doc__ = body.__module__, body.__doc__
    ui.page(path, **page_kwargs)(page)


def member_page(path: str, *, title: str, **page_kwargs: Any) -> Callable[[Body], Body]:
    """Register `body(ctx, **params)` as the member page `path`, built inside the frame titled `title` (see the module
    docstring). `page_kwargs` go to `ui.page`. Returns the body unchanged."""

    def decorator(body: Body) -> Body:
        async def build(request: Request, params: dict[str, Any]) -> Any:
            user = await _signed_in_user(request)
            if user is None:
                ui.navigate.to(auth.LOGIN_PATH)
                return None
            ctx = _context(request, user)
            with frame(ctx, title):
                return await _run(body, ctx, params)

        _register(path, body, build, page_kwargs)
        return body

    return decorator


def admin_page(path: str, *, title: str, **page_kwargs: Any) -> Callable[[Body], Body]:
    """`member_page` for administrators: a signed-in member without the admin role gets an "Administrators only"
    notice inside the frame instead of the body."""

    def decorator(body: Body) -> Body:
        async def build(request: Request, params: dict[str, Any]) -> Any:
            user = await _signed_in_user(request)
            if user is None:
                ui.navigate.to(auth.LOGIN_PATH)
                return None
            ctx = _context(request, user)
            with frame(ctx, title):
                if user.role != Role.admin.value:  # the page guard refuses first; never render admin data regardless
                    notice("block", "Administrators only", "This page is for administrators.", kind="error")
                    return None
                return await _run(body, ctx, params)

        _register(path, body, build, page_kwargs)
        return body

    return decorator


def public_page(path: str, *, with_user: bool = False, **page_kwargs: Any) -> Callable[[Body], Body]:
    """Register `body(ctx, **params)` as a page without the frame and without a sign-in check of its own (anyone may
    open it when its path is public in `app.web.auth`). `ctx.user` is the signed-in user when `with_user` (one
    query), else None. `page_kwargs` (e.g. `title`) go to `ui.page`; the body may return a response (a redirect)."""

    def decorator(body: Body) -> Body:
        async def build(request: Request, params: dict[str, Any]) -> Any:
            user = await _signed_in_user(request) if with_user else None
            return await _run(body, _context(request, user), params)

        _register(path, body, build, page_kwargs)
        return body

    return decorator
