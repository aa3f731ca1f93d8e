"""The local Terra stand-in as a FastAPI app (`create_app(config)`); see the package docstring and README "Local Terra
stand-in".

Terra API (served at the root and under `/api/v2`, so `TERRA_BASE_URL` may be either), checked for `dev-id` and
`x-api-key` (401 problem otherwise, like Terra):
- `POST /auth/generateWidgetSession` → `{"status": "success", "url": "<sim>/widget/<id>", "session_id", "expires_in"}`
- `DELETE /auth/deauthenticateUser?user_id=` → `{"status": "success"}` and a signed `deauth` webhook (404 if unknown)
- `GET /daily`, `GET /activity` (`user_id`, `start_date`, `end_date`, `to_webhook`) → `{"status": "success", "type",
  "user", "data": […]}` from the Fitbit dataset bound to the user (dates shifted; `to_webhook` not `false` → the
  data goes to the webhook and the answer is Terra's `DataSentToWebhook` acknowledgement)
- `GET /userInfo?user_id=`
Widget (what the member's browser sees): `GET /widget/{session_id}`, `POST /widget/{session_id}/connect` (form:
`provider`, `person`), `POST /widget/{session_id}/cancel`.
Test controls under `/_sim/`: `POST faults`, `GET requests`, `GET webhooks`, `GET users`, `POST users`,
`POST events`, `POST reset`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import structlog
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from tests.terra_sim.dataset import SimDataset, utc_today

log = structlog.get_logger("terra_sim")

DEFAULT_PROVIDERS = ("GARMIN", "FITBIT", "POLAR", "OURA", "WITHINGS", "COROS", "SUUNTO", "WAHOO")
PROVIDER_SCOPES = "activity,heartrate,profile"
TERRA_VERSION = "2022-03-16"
SIM_PREFIX = "/_sim"
WIDGET_PREFIX = "/widget"


@dataclass
class SimConfig:
    """How the stand-in behaves.

    `dev_id` / `api_key`: the credentials it accepts. `signing_secret`: TERRA_SIGNING_SECRET of the FitTrack it
    sends webhooks to (`fittrack_url` + `/webhooks/terra`; None = log only). `public_url`: the base of widget URLs
    (None = the URL the request came in on). `data_dir`: the Fitbit dataset folder. `data_webhook_days`: how many
    recent days of `daily` webhooks follow an `auth` (0 = none), after `data_delay_seconds`. `session_ttl_seconds`:
    widget session lifetime. `today`: UTC today (the date shift). `webhook_transport`: an httpx transport for the
    webhooks (tests: `ASGITransport` of an in-process FitTrack)."""

    dev_id: str = "fittrack-dev"
    api_key: str = "fittrack-dev-key"
    signing_secret: str = "dev-terra-signing-secret"
    fittrack_url: str | None = None
    public_url: str | None = None
    data_dir: Path = Path(__file__).resolve().parents[3] / "shared" / "data" / "fitbit" / "fitabase_4.12.16-5.12.16"
    data_webhook_days: int = 3
    data_delay_seconds: float = 1.0
    session_ttl_seconds: int = 900
    providers: tuple[str, ...] = DEFAULT_PROVIDERS
    today: Callable[[], date] = utc_today
    webhook_transport: httpx.AsyncBaseTransport | None = None
    webhook_timeout_seconds: float = 8.0


@dataclass
class WidgetSessionRecord:
    session_id: str
    providers: list[str]
    reference_id: str | None
    success_url: str | None
    failure_url: str | None
    language: str
    expires_at: float
    used: bool = False


@dataclass
class SimUser:
    user_id: str
    provider: str
    reference_id: str | None
    person: str
    active: bool = True
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    def terra(self, *, last_update: str | None = None) -> dict[str, Any]:
        """The TerraUser object (notes/terra.md §2.3)."""
        return {"user_id": self.user_id, "provider": self.provider, "last_webhook_update": last_update,
                "scopes": PROVIDER_SCOPES, "reference_id": self.reference_id, "active": self.active}


@dataclass
class Fault:
    status: int | None
    retry_after: str | None
    delay_seconds: float
    path: str | None


def sign(secret: str, raw_body: bytes, timestamp: int) -> str:
    """Terra's signature header value: `t=<unix>,v1=<hex HMAC-SHA256 of f"{t}.{raw_body}">` (written here
    independently of FitTrack's `app.adapters.terra.signature`, so a test of one against the other means something)."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + raw_body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


class SimState:
    """Everything the stand-in remembers (in memory): widget sessions, Terra users, queued faults, the request log
    and the webhook log. Reachable as `app.state.sim` for in-process tests and benchmarks."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.dataset = SimDataset(config.data_dir, config.today)
        self.sessions: dict[str, WidgetSessionRecord] = {}
        self.users: dict[str, SimUser] = {}
        self.faults: list[Fault] = []
        self.requests: list[dict[str, Any]] = []
        self.webhooks: list[dict[str, Any]] = []
        self._last_ordering = 0
        self._tasks: set[asyncio.Task[Any]] = set()
        self.app: FastAPI | None = None  # the ASGI app serving this state (set by create_app)

    def reset(self) -> None:
        self.sessions.clear()
        self.users.clear()
        self.faults.clear()
        self.requests.clear()
        self.webhooks.clear()

    # --- users ----------------------------------------------------------------------------------------------

    def pick_person(self, person: str | None = None) -> str:
        """`person` if it is in the dataset, else the first dataset person no active user is bound to (cycling
        when all are taken)."""
        if person and person in self.dataset.daily:
            return person
        taken = {u.person for u in self.users.values() if u.active}
        for candidate in self.dataset.persons:
            if candidate not in taken:
                return candidate
        return self.dataset.persons[len(self.users) % len(self.dataset.persons)]

    def create_user(self, *, provider: str, reference_id: str | None, person: str | None = None) -> SimUser:
        """A new Terra user (uuid4 id) bound to a dataset person."""
        user = SimUser(user_id=str(uuid.uuid4()), provider=provider.upper(), reference_id=reference_id,
                       person=self.pick_person(person))
        self.users[user.user_id] = user
        return user

    # --- webhooks -------------------------------------------------------------------------------------------

    def _ordering_ts(self) -> int:
        self._last_ordering = max(self._last_ordering + 1, int(time.time() * 1000))
        return self._last_ordering

    async def send_webhook(self, payload: dict[str, Any], *, reference: str | None = None) -> dict[str, Any]:
        """POST a signed webhook to FitTrack like Terra: raw body from `json.dumps` (Terra's separators),
        `terra-signature` and `X-Terra-Signature`, `X-Terra-Trace-Id`, `X-Terra-Ordering-Timestamp` (ms) and
        `terra-reference` when given. Failures are logged and recorded in the webhook log, never raised."""
        raw = json.dumps(payload).encode("utf-8")
        signature = sign(self.config.signing_secret, raw, int(time.time()))
        trace_id = str(uuid.uuid4())
        headers = {"content-type": "application/json", "terra-signature": signature,
                   "x-terra-signature": signature, "x-terra-trace-id": trace_id,
                   "x-terra-ordering-timestamp": str(self._ordering_ts())}
        if reference:
            headers["terra-reference"] = reference
        user = payload.get("user") or payload.get("new_user") or {}
        record: dict[str, Any] = {"type": payload.get("type"), "user_id": user.get("user_id"), "trace_id": trace_id,
                                  "status_code": None, "error": None, "sent_at": datetime.now(UTC).isoformat(),
                                  "body": payload}
        self.webhooks.append(record)
        if not self.config.fittrack_url:
            record["error"] = "no FitTrack URL configured"
            log.info("terra_sim.webhook_not_sent", type=record["type"], reason=record["error"])
            return record
        url = self.config.fittrack_url.rstrip("/") + "/webhooks/terra"
        try:
            async with httpx.AsyncClient(transport=self.config.webhook_transport,
                                         timeout=self.config.webhook_timeout_seconds) as client:
                response = await client.post(url, content=raw, headers=headers)
            record["status_code"] = response.status_code
            if response.status_code >= 400:
                record["error"] = response.text[:300]
                log.warning("terra_sim.webhook_refused", type=record["type"], status=response.status_code,
                            body=response.text[:300])
            else:
                log.info("terra_sim.webhook_sent", type=record["type"], status=response.status_code)
        except httpx.HTTPError as exc:
            record["error"] = f"{type(exc).__name__}: {exc}"
            log.warning("terra_sim.webhook_failed", type=record["type"], url=url, error=record["error"])
        return record

    def data_event(self, kind: str, user: SimUser, start: date, end: date) -> dict[str, Any]:
        """A data webhook / inline answer body for `kind` (`daily` / `activity`) and the days [start, end]."""
        items = (self.dataset.daily_items(user.person, start, end) if kind == "daily"
                 else self.dataset.activity_items(user.person, start, end))
        return {"type": kind, "version": TERRA_VERSION,
                "user": user.terra(last_update=datetime.now(UTC).isoformat(timespec="microseconds")), "data": items}

    async def send_recent_data(self, user: SimUser, days: int, delay: float = 0.0) -> None:
        """What Terra does after a connection: `daily` webhooks for the last `days` days (one day per webhook)."""
        if delay:
            await asyncio.sleep(delay)
        yesterday = self.config.today() - timedelta(days=1)
        for back in range(days - 1, -1, -1):
            day = yesterday - timedelta(days=back)
            event = self.data_event("daily", user, day, day)
            if event["data"]:
                await self.send_webhook(event)

    def spawn(self, coro: Awaitable[Any]) -> None:
        """Run `coro` in the background (kept referenced until done)."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for every background webhook send (tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def connect(self, session: WidgetSessionRecord | None, *, provider: str, reference_id: str | None,
                      person: str | None = None, data_days: int | None = None) -> SimUser:
        """A completed connection: new Terra user, signed `auth` webhook (awaited), then recent `daily` webhooks in
        the background."""
        user = self.create_user(provider=provider, reference_id=reference_id, person=person)
        await self.send_webhook({
            "type": "auth", "status": "success", "message": "User has successfully authenticated",
            "user": user.terra(), "reference_id": reference_id,
            "widget_session_id": session.session_id if session else None, "version": TERRA_VERSION,
        })
        days = self.config.data_webhook_days if data_days is None else data_days
        if days > 0:
            self.spawn(self.send_recent_data(user, days, self.config.data_delay_seconds))
        return user


# --- helpers -----------------------------------------------------------------------------------------------------

def problem(status: int, title: str, detail: str, request: Request, headers: dict[str, str] | None = None) -> Response:
    """Terra's error body: RFC 9457 problem details (`type`, `title`, `instance`, `detail`)."""
    instance = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return JSONResponse({"type": "about:blank", "title": title, "instance": instance, "detail": detail},
                        status_code=status, media_type="application/problem+json", headers=headers)


def parse_day(value: str | None) -> date | None:
    """`YYYY-MM-DD` or a 10-digit unix timestamp (seconds, UTC) → date; None when absent; ValueError when bad."""
    if value is None or value == "":
        return None
    if value.isdigit() and len(value) == 10:
        return datetime.fromtimestamp(int(value), UTC).date()
    return date.fromisoformat(value)


def with_query(url: str, params: dict[str, str]) -> str:
    """`url` with `params` added to its query string."""
    parts = urlsplit(url)
    query = parts.query + ("&" if parts.query else "") + urlencode(params)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def is_api_path(path: str) -> bool:
    return not path.startswith((SIM_PREFIX, WIDGET_PREFIX, "/docs", "/openapi.json", "/favicon"))


class FaultSpec(BaseModel):
    """`POST /_sim/faults`: the next `count` API responses (optionally only for paths starting with `path`) are
    `status` (e.g. 500, 503, 429) with `retry_after` as the `Retry-After` header, after `delay_seconds`
    (a delay with no status slows a normal answer, to provoke client timeouts)."""

    count: int = Field(default=1, ge=1, le=1000)
    status: int | None = Field(default=500, ge=400, le=599)
    retry_after: str | None = None
    delay_seconds: float = Field(default=0.0, ge=0, le=120)
    path: str | None = None


class UserSpec(BaseModel):
    """`POST /_sim/users`: create a Terra user without the widget (`send_auth`: also send the `auth` webhook)."""

    provider: str = "FITBIT"
    reference_id: str | None = None
    person: str | None = None
    send_auth: bool = False
    data_days: int = 0


class EventSpec(BaseModel):
    """`POST /_sim/events`: make Terra send `type` about `user_id` now: `daily` / `activity` (the last `days`
    days), `deauth`, `access_revoked`, `connection_error`, or `user_reauth` (a new user id for the same person,
    then `user_reauth` and `auth`)."""

    user_id: str
    type: str
    days: int = Field(default=1, ge=1, le=60)


# --- the app -------------------------------------------------------------------------------------------------------

def create_app(config: SimConfig | None = None) -> FastAPI:
    """The stand-in as an ASGI app. Run it in-process (`httpx.ASGITransport(app)`) or with uvicorn (`tests.terra_sim
    .server.running_sim`, or `python -m tests.terra_sim`). Its state is `app.state.sim` (`SimState`)."""
    config = config or SimConfig()
    sim = SimState(config)
    app = FastAPI(title="Terra stand-in (FitTrack tests)", docs_url="/_sim/docs", openapi_url="/_sim/openapi.json")
    app.state.sim = sim
    sim.app = app

    @app.middleware("http")
    async def log_and_fault(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        path = request.url.path
        if not is_api_path(path):
            return await call_next(request)
        body = await request.body()
        entry: dict[str, Any] = {
            "method": request.method, "path": path, "query": dict(request.query_params),
            "headers": {k.lower(): v for k, v in request.headers.items()},
            "json": _json_or_none(body), "status": None, "at": datetime.now(UTC).isoformat(),
        }
        sim.requests.append(entry)
        fault = next((f for f in sim.faults if f.path is None or path.startswith(f.path)), None)
        if fault is not None:
            sim.faults.remove(fault)
            if fault.delay_seconds:
                await asyncio.sleep(fault.delay_seconds)
            if fault.status is not None:
                entry["status"] = fault.status
                headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else None
                title = "too many requests" if fault.status == 429 else "internal server error"
                return problem(fault.status, title, "injected fault (terra_sim)", request, headers)
        response = await call_next(request)
        entry["status"] = response.status_code
        return response

    async def credentials(request: Request) -> None:
        dev_id, api_key = request.headers.get("dev-id"), request.headers.get("x-api-key")
        if not dev_id or not api_key:
            raise _Refusal(401, "unauthorized", "dev-id or x-api-key headers are missing")
        if not (hmac.compare_digest(dev_id, config.dev_id) and hmac.compare_digest(api_key, config.api_key)):
            raise _Refusal(401, "unauthorized", "invalid dev-id or x-api-key")

    @app.exception_handler(_Refusal)
    async def refused(request: Request, exc: _Refusal) -> Response:
        return problem(exc.status, exc.title, exc.detail, request)

    api = APIRouter(dependencies=[Depends(credentials)])

    @api.post("/auth/generateWidgetSession")
    async def generate_widget_session(request: Request) -> dict[str, Any]:
        params = _json_or_none(await request.body())
        if not isinstance(params, dict):
            raise _Refusal(400, "bad request", "the body must be a JSON object (WidgetSessionParams)")
        providers = params.get("providers") or ",".join(config.providers)
        if isinstance(providers, list):
            providers = ",".join(str(p) for p in providers)
        session = WidgetSessionRecord(
            session_id=str(uuid.uuid4()),
            providers=[p.strip().upper() for p in str(providers).split(",") if p.strip()],
            reference_id=_str_or_none(params.get("reference_id")),
            success_url=_str_or_none(params.get("auth_success_redirect_url")),
            failure_url=_str_or_none(params.get("auth_failure_redirect_url")),
            language=str(params.get("language") or "en"),
            expires_at=time.time() + config.session_ttl_seconds,
        )
        sim.sessions[session.session_id] = session
        base = (config.public_url or str(request.base_url)).rstrip("/")
        return {"status": "success", "url": f"{base}{WIDGET_PREFIX}/{session.session_id}",
                "session_id": session.session_id, "expires_in": config.session_ttl_seconds}

    @api.delete("/auth/deauthenticateUser")
    async def deauthenticate_user(request: Request) -> dict[str, Any]:
        user = _user(sim, request.query_params.get("user_id"))
        user.active = False
        sim.users.pop(user.user_id, None)  # Terra deletes every record it holds for the user
        sim.spawn(sim.send_webhook({"type": "deauth", "status": "success", "message": "User has deauthenticated",
                                    "user": user.terra(), "version": TERRA_VERSION}))
        return {"status": "success"}

    @api.get("/userInfo")
    async def user_info(request: Request) -> dict[str, Any]:
        user = _user(sim, request.query_params.get("user_id"))
        return {"status": "success", "user": user.terra(), "is_authenticated": user.active}

    async def data(kind: str, request: Request) -> dict[str, Any]:
        q = request.query_params
        user = _user(sim, q.get("user_id"))
        try:
            start = parse_day(q.get("start_date"))
        except ValueError:
            raise _Refusal(400, "bad request", "invalid start_date") from None
        if start is None:
            raise _Refusal(400, "bad request", "start_date is required")
        try:
            end = parse_day(q.get("end_date")) or config.today()
        except ValueError:
            raise _Refusal(400, "bad request", "invalid end_date") from None
        if end < start:
            raise _Refusal(400, "bad request", "end_date is before start_date")
        if (end - start).days > 1825:
            raise _Refusal(400, "bad request", "the requested window is longer than 1825 days")
        event = sim.data_event(kind, user, start, end)
        if q.get("to_webhook", "true").lower() in {"false", "0"}:
            return {"status": "success", "type": kind, "user": event["user"], "data": event["data"]}
        reference = str(uuid.uuid4())
        sim.spawn(sim.send_webhook(event, reference=reference))
        return {"status": "success", "type": kind, "reference": reference, "trace_id": str(uuid.uuid4()),
                "message": "Data is being sent to your webhook", "user": {"user_id": user.user_id,
                                                                          "provider": user.provider}}

    @api.get("/daily")
    async def daily(request: Request) -> dict[str, Any]:
        return await data("daily", request)

    @api.get("/activity")
    async def activity(request: Request) -> dict[str, Any]:
        return await data("activity", request)

    app.include_router(api)
    app.include_router(api, prefix="/api/v2")

    # --- the widget ---------------------------------------------------------------------------------------------

    def widget_session(session_id: str) -> WidgetSessionRecord:
        session = sim.sessions.get(session_id)
        if session is None:
            raise _WidgetRefusal(404, "This widget session does not exist.")
        if session.expires_at < time.time():
            raise _WidgetRefusal(410, "This widget session has expired. Start the connection again from FitTrack.")
        return session

    @app.exception_handler(_WidgetRefusal)
    async def widget_refused(request: Request, exc: _WidgetRefusal) -> Response:
        return HTMLResponse(_page("Terra (stand-in)", f"<p class='error'>{html.escape(exc.message)}</p>"),
                            status_code=exc.status)

    @app.get(WIDGET_PREFIX + "/{session_id}", response_class=HTMLResponse)
    async def widget(session_id: str) -> HTMLResponse:
        session = widget_session(session_id)
        default = sim.pick_person()
        options = "".join(
            f"<option value='{p}'{' selected' if p == default else ''}>{html.escape(sim.dataset.summary(p))}</option>"
            for p in sim.dataset.persons)
        buttons = "".join(
            f"<button type='submit' name='provider' value='{html.escape(p)}' data-provider='{html.escape(p)}'>"
            f"Connect {html.escape(p.title())}</button>" for p in session.providers)
        body = (
            "<p>Choose the tracker to connect. This is FitTrack's local Terra stand-in: no real account is used; "
            "the data comes from the public Fitbit dataset (Furberg et al. 2016), dates shifted so its last day is "
            "yesterday.</p>"
            f"<form method='post' action='{WIDGET_PREFIX}/{session_id}/connect'>"
            "<label for='person'>Fitbit dataset person</label>"
            f"<select id='person' name='person'>{options}</select>"
            f"<div class='providers'>{buttons}</div></form>"
            f"<form method='post' action='{WIDGET_PREFIX}/{session_id}/cancel'>"
            "<button type='submit' class='cancel'>Cancel</button></form>"
        )
        return HTMLResponse(_page("Connect a tracker", body))

    @app.post(WIDGET_PREFIX + "/{session_id}/connect")
    async def widget_connect(session_id: str, request: Request) -> Response:
        session = widget_session(session_id)
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8")).items()}
        provider = (form.get("provider") or "").upper()
        if provider not in session.providers:
            raise _WidgetRefusal(400, f"Provider {provider or '(none)'} is not offered in this session.")
        user = await sim.connect(session, provider=provider, reference_id=session.reference_id,
                                 person=form.get("person"))
        session.used = True
        params = {"user_id": user.user_id, "resource": provider, "reference_id": session.reference_id or ""}
        if not session.success_url:
            return HTMLResponse(_page("Connected", f"<p>Connected {html.escape(provider)} as Terra user "
                                                   f"<code>{user.user_id}</code>.</p>"))
        return RedirectResponse(with_query(session.success_url, params), status_code=303)

    @app.post(WIDGET_PREFIX + "/{session_id}/cancel")
    async def widget_cancel(session_id: str) -> Response:
        session = widget_session(session_id)
        sim.spawn(sim.send_webhook({"type": "auth_cancelled", "status": "error", "flow_id": session.session_id,
                                    "reason": "user_cancelled", "reference_id": session.reference_id}))
        params = {"reference_id": session.reference_id or "", "reason": "cancelled"}
        if not session.failure_url:
            return HTMLResponse(_page("Cancelled", "<p>The connection was cancelled.</p>"))
        return RedirectResponse(with_query(session.failure_url, params), status_code=303)

    # --- test controls -----------------------------------------------------------------------------------------

    @app.post(SIM_PREFIX + "/faults")
    async def add_faults(spec: FaultSpec) -> dict[str, Any]:
        for _ in range(spec.count):
            sim.faults.append(Fault(spec.status, spec.retry_after, spec.delay_seconds, spec.path))
        return {"queued": len(sim.faults)}

    @app.get(SIM_PREFIX + "/requests")
    async def requests_log() -> list[dict[str, Any]]:
        return sim.requests

    @app.get(SIM_PREFIX + "/webhooks")
    async def webhooks_log() -> list[dict[str, Any]]:
        await sim.drain()
        return sim.webhooks

    @app.get(SIM_PREFIX + "/users")
    async def users() -> list[dict[str, Any]]:
        return [asdict(u) for u in sim.users.values()]

    @app.post(SIM_PREFIX + "/users")
    async def add_user(spec: UserSpec) -> dict[str, Any]:
        if spec.send_auth:
            user = await sim.connect(None, provider=spec.provider, reference_id=spec.reference_id,
                                     person=spec.person, data_days=spec.data_days)
        else:
            user = sim.create_user(provider=spec.provider, reference_id=spec.reference_id, person=spec.person)
        return asdict(user)

    @app.post(SIM_PREFIX + "/events", response_model=None)
    async def send_event(spec: EventSpec) -> Any:
        user = sim.users.get(spec.user_id)
        if user is None:
            return JSONResponse({"detail": "unknown user_id"}, status_code=404)
        yesterday = config.today() - timedelta(days=1)
        if spec.type in {"daily", "activity"}:
            record = await sim.send_webhook(sim.data_event(spec.type, user, yesterday - timedelta(days=spec.days - 1),
                                                           yesterday))
        elif spec.type == "user_reauth":
            new = sim.create_user(provider=user.provider, reference_id=user.reference_id, person=user.person)
            sim.users.pop(user.user_id, None)
            record = await sim.send_webhook({"type": "user_reauth", "status": "warning",
                                             "message": "User has reauthenticated", "version": TERRA_VERSION,
                                             "old_user": user.terra(), "new_user": new.terra()})
            await sim.send_webhook({"type": "auth", "status": "success", "reference_id": new.reference_id,
                                    "message": "User has successfully authenticated", "user": new.terra(),
                                    "widget_session_id": None, "version": TERRA_VERSION})
            record = {**record, "new_user_id": new.user_id}
        elif spec.type in {"deauth", "access_revoked", "connection_error"}:
            if spec.type != "connection_error":
                user.active = False
                sim.users.pop(user.user_id, None)
            message = {"deauth": "User has deauthenticated", "access_revoked": "User revoked access",
                       "connection_error": "Provider returned 401: the user must reconnect"}[spec.type]
            record = await sim.send_webhook({"type": spec.type, "status": "success" if spec.type == "deauth"
                                             else "warning", "message": message, "user": user.terra(),
                                             "version": TERRA_VERSION})
        else:
            return JSONResponse({"detail": f"unsupported event type {spec.type!r}"}, status_code=400)
        return record

    @app.post(SIM_PREFIX + "/reset")
    async def reset() -> dict[str, str]:
        await sim.drain()
        sim.reset()
        return {"status": "reset"}

    return app


class _Refusal(Exception):
    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


class _WidgetRefusal(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def _user(sim: SimState, user_id: str | None) -> SimUser:
    if not user_id:
        raise _Refusal(400, "bad request", "user_id is required")
    user = sim.users.get(user_id)
    if user is None:
        raise _Refusal(404, "not found", "user not found")
    return user


def _json_or_none(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def _str_or_none(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _page(title: str, body: str) -> str:
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(title)} · Terra stand-in</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 28rem; margin: 2rem auto; padding: 0 1rem; color: #1f2937; }}
h1 {{ font-size: 1.4rem; }} label {{ display: block; font-weight: 600; margin: 1rem 0 .3rem; }}
select, button {{ width: 100%; padding: .7rem; font-size: 1rem; border-radius: .5rem; }}
.providers {{ display: grid; gap: .5rem; margin-top: 1rem; }}
.providers button {{ background: #2563eb; color: white; border: 0; cursor: pointer; }}
.cancel {{ margin-top: .8rem; background: white; border: 1px solid #9ca3af; cursor: pointer; }}
.error {{ color: #b91c1c; }}
</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>"""
