"""Async client of Terra's REST API v2 (issue 5 §1; notes/terra.md §1), on httpx.

Every request carries the `dev-id` and `x-api-key` headers; the base URL is `TERRA_BASE_URL` (Terra's
`https://access.tryterra.co/api/v2`, or the local stand-in `tests/terra_sim`). Endpoints used:

- `POST /auth/generateWidgetSession` (JSON body: `providers` comma-joined, `reference_id`, `language`,
  `auth_success_redirect_url`, `auth_failure_redirect_url`) → `WidgetSession`;
- `DELETE /auth/deauthenticateUser?user_id=…`;
- `GET /daily` and `GET /activity` with `user_id`, `start_date`, `end_date` (`YYYY-MM-DD`) and `to_webhook=false`
  (Terra's default is `true`, which would send the data to the webhook instead) → `TerraData`.

Failure handling, per request:
- timeouts (`TERRA_TIMEOUT_SECONDS`), 5xx and transport errors are retried up to `TERRA_MAX_RETRIES` times with
  exponential backoff plus jitter (`backoff_base` · 2^attempt + U(0, backoff_base), at most `backoff_max` s; a 5xx
  carrying `Retry-After` waits that instead), then raise `TerraUnavailable`;
- 429 (and Terra's `{"type": "processing", "retry_after_seconds": N}` answer) waits `Retry-After` (seconds or an
  HTTP date) and retries; a wait longer than `max_retry_after` seconds, or retries exhausted, raise
  `TerraRateLimited` (a `TerraUnavailable`) carrying `retry_after`;
- other 4xx and undecodable bodies raise `TerraError` at once (never retried);
- each failed attempt (5xx / timeout / transport error) counts towards the shared `CircuitBreaker`; while it is open
  calls fail fast with `TerraUnavailable(retry_after=…)` and no request is made. 4xx and 429 answers prove Terra is
  up and do not count.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any

import httpx
import structlog

from app.adapters.terra.circuit import CircuitBreaker, CircuitOpenError
from app.settings import Settings

log = structlog.get_logger(__name__)

USER_AGENT = "FitTrack-Terra-Client/1"


@dataclass(frozen=True)
class WidgetSession:
    """Terra's hosted widget: open `url` in the member's browser; it expires after `expires_in` seconds."""

    url: str
    session_id: str
    expires_in: int | None


@dataclass(frozen=True)
class TerraData:
    """A data read answered inline: `type` (`daily` / `activity`), the Terra `user` object and the `data` items,
    exactly as in Terra's response body (the same shapes the webhooks carry)."""

    type: str
    user: dict
    data: list[dict]

    def as_event(self) -> dict[str, Any]:
        """The body a webhook of the same data would have (`{"type", "user", "data"}`), for the one ingest path."""
        return {"type": self.type, "user": self.user, "data": self.data}


class TerraError(Exception):
    """Terra refused the request (a 4xx other than 429) or answered something undecodable. `status` is the HTTP
    status (None when there was no usable answer), `detail` Terra's explanation. Not retried."""

    def __init__(self, detail: str, *, status: int | None = None, endpoint: str | None = None) -> None:
        super().__init__(f"Terra{' ' + endpoint if endpoint else ''}: {detail}"
                         + (f" (HTTP {status})" if status else ""))
        self.detail = detail
        self.status = status
        self.endpoint = endpoint


class TerraUnavailable(TerraError):
    """Terra is down or unreachable (5xx / timeout / transport error after the retries), or the circuit breaker is
    open (no request made). `retry_after`: seconds after which trying again makes sense (None: unknown)."""

    def __init__(self, detail: str, *, status: int | None = None, retry_after: float | None = None,
                 endpoint: str | None = None) -> None:
        super().__init__(detail, status=status, endpoint=endpoint)
        self.retry_after = retry_after


class TerraRateLimited(TerraUnavailable):
    """Terra answered 429 (or `processing`) and asked for a wait longer than the client is willing to sleep, or
    the retries ran out. `retry_after` (seconds) is Terra's `Retry-After`."""


class TerraNotConfigured(TerraUnavailable):
    """`TERRA_DEV_ID` / `TERRA_API_KEY` are not set, so FitTrack cannot call Terra."""


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds (≥ 0): either delay-seconds or an HTTP date (RFC 9110 §10.2.3). None if absent or
    unparseable."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(float(text), 0.0)
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max((moment - (now or datetime.now(UTC))).total_seconds(), 0.0)


def _detail(response: httpx.Response) -> str:
    """Terra's explanation: `detail` / `message` of a problem or error body, else the start of the text."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, dict):
        for key in ("detail", "message", "title"):
            if body.get(key):
                return str(body[key])[:500]
    return response.text[:200]


class TerraClient:
    """Terra REST client. Use as `async with TerraClient.from_settings(system.settings, circuit=system.terra_circuit) as
    terra: …` or call `aclose()`. Constructor arguments: `timeout` seconds per request; `max_retries` extra attempts;
    `circuit` the shared breaker (None: no breaker); `transport` an httpx transport (tests: `ASGITransport` of the
    stand-in); `sleep` / `backoff_base` / `backoff_max` / `max_retry_after` tune the waits (seconds).

    The connection pool belongs to the event loop that first uses it: create one client per loop (e.g. inside each
    `asyncio.run(...)` of a Huey task) and close it there."""

    def __init__(self, *, base_url: str, dev_id: str, api_key: str, timeout: float = 10.0, max_retries: int = 3,
                 circuit: CircuitBreaker | None = None, transport: httpx.AsyncBaseTransport | None = None,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep, backoff_base: float = 0.5,
                 backoff_max: float = 8.0, max_retry_after: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.max_retries = max(max_retries, 0)
        self.circuit = circuit
        self._sleep = sleep
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._max_retry_after = max_retry_after
        self._http = httpx.AsyncClient(
            base_url=self.base_url + "/", transport=transport, timeout=httpx.Timeout(timeout),
            headers={"dev-id": dev_id, "x-api-key": api_key, "accept": "application/json",
                     "user-agent": USER_AGENT},
        )

    @classmethod
    def from_settings(cls, settings: Settings, *, circuit: CircuitBreaker | None,
                      transport: httpx.AsyncBaseTransport | None = None) -> TerraClient:
        """A client for `TERRA_BASE_URL` with `TERRA_DEV_ID` / `TERRA_API_KEY`, `TERRA_TIMEOUT_SECONDS`,
        `TERRA_MAX_RETRIES`, guarded by `circuit` (the System's shared breaker, `system.terra_circuit`; None: no
        breaker). Raises `TerraNotConfigured` when the id or key is unset."""
        if not settings.terra_dev_id or not settings.terra_api_key:
            raise TerraNotConfigured("TERRA_DEV_ID and TERRA_API_KEY are not set")
        return cls(base_url=settings.terra_base_url, dev_id=settings.terra_dev_id, api_key=settings.terra_api_key,
                   timeout=settings.terra_timeout_seconds, max_retries=settings.terra_max_retries,
                   circuit=circuit, transport=transport)

    async def __aenter__(self) -> TerraClient:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    # --- endpoints -------------------------------------------------------------------------------------------

    async def generate_widget_session(self, *, reference_id: str, providers: Sequence[str], success_url: str,
                                      failure_url: str, language: str = "en") -> WidgetSession:
        """`POST /auth/generateWidgetSession`: a hosted widget URL where the member picks one of `providers` (Terra
        names, e.g. `FITBIT`) and logs in. `reference_id` is our member id (it comes back in the `auth` webhook);
        Terra redirects to `success_url` / `failure_url` afterwards. Raises `TerraError` / `TerraUnavailable`."""
        body = {
            "providers": ",".join(p.strip().upper() for p in providers if p.strip()),
            "language": language,
            "reference_id": reference_id,
            "auth_success_redirect_url": success_url,
            "auth_failure_redirect_url": failure_url,
        }
        answer = await self._request("POST", "auth/generateWidgetSession", json_body=body)
        if not isinstance(answer, dict) or not answer.get("url") or not answer.get("session_id"):
            raise TerraError("the answer has no url / session_id", status=200,
                             endpoint="POST /auth/generateWidgetSession")
        expires = answer.get("expires_in")
        return WidgetSession(url=str(answer["url"]), session_id=str(answer["session_id"]),
                             expires_in=int(expires) if isinstance(expires, int | float) else None)

    async def deauthenticate_user(self, terra_user_id: str) -> None:
        """`DELETE /auth/deauthenticateUser?user_id=…`: Terra deletes the user and revokes provider access (it then
        sends a `deauth` webhook). Raises `TerraError` (404 when Terra does not know the user) / `TerraUnavailable`."""
        await self._request("DELETE", "auth/deauthenticateUser", params={"user_id": terra_user_id})

    async def get_daily(self, terra_user_id: str, start: date, end: date) -> TerraData:
        """`GET /daily` for the days `start`..`end` (inclusive, `YYYY-MM-DD`), answered inline (`to_webhook=false`)."""
        return await self._get_data("daily", terra_user_id, start, end)

    async def get_activity(self, terra_user_id: str, start: date, end: date) -> TerraData:
        """`GET /activity` (workouts) for `start`..`end`, answered inline (`to_webhook=false`)."""
        return await self._get_data("activity", terra_user_id, start, end)

    async def _get_data(self, kind: str, terra_user_id: str, start: date, end: date) -> TerraData:
        params = {"user_id": terra_user_id, "start_date": start.isoformat(), "end_date": end.isoformat(),
                  "to_webhook": "false"}
        answer = await self._request("GET", kind, params=params)
        if not isinstance(answer, dict):
            raise TerraError("the answer is not a JSON object", status=200, endpoint=f"GET /{kind}")
        data = answer.get("data")
        if data is None:
            data = []  # e.g. a DataSentToWebhook acknowledgement: nothing inline
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise TerraError("the answer has a malformed data list", status=200, endpoint=f"GET /{kind}")
        raw_user = answer.get("user")
        user: dict[str, Any] = raw_user if isinstance(raw_user, dict) else {"user_id": terra_user_id}
        return TerraData(type=str(answer.get("type") or kind), user=user, data=data)

    # --- transport, retries, circuit ---------------------------------------------------------------------------

    def _backoff(self, attempt: int) -> float:
        delay = min(self._backoff_base * (2 ** attempt), self._backoff_max)
        return delay + random.uniform(0, self._backoff_base)

    def _check_circuit(self, endpoint: str) -> None:
        if self.circuit is None:
            return
        try:
            self.circuit.before_call()
        except CircuitOpenError as exc:
            raise TerraUnavailable("Terra is unavailable (circuit breaker open)", retry_after=exc.retry_after,
                                   endpoint=endpoint) from exc

    async def _request(self, method: str, path: str, *, params: dict[str, str] | None = None,
                       json_body: dict[str, Any] | None = None) -> Any:
        """Send one logical request with retries; returns the decoded JSON body of a 2xx answer."""
        attempt = 0
        endpoint = f"{method} /{path}"
        while True:
            self._check_circuit(endpoint)
            wait: float
            try:
                response = await self._http.request(method, path, params=params, json=json_body)
            except httpx.TransportError as exc:  # timeouts, refused connections, protocol errors
                self._failed()
                failure: TerraUnavailable = TerraUnavailable(
                    f"{type(exc).__name__}: {exc}".rstrip(": "), endpoint=endpoint)
                wait = self._backoff(attempt)
            else:
                status = response.status_code
                if status >= 500:
                    self._failed()
                    asked = parse_retry_after(response.headers.get("retry-after"))  # e.g. a 503 with Retry-After
                    wait = asked if asked is not None and asked <= self._max_retry_after else self._backoff(attempt)
                    failure = TerraUnavailable(_detail(response), status=status, endpoint=endpoint,
                                               retry_after=asked)
                elif status == 429:
                    self._succeeded()
                    retry_after = parse_retry_after(response.headers.get("retry-after"))
                    wait = self._backoff(attempt) if retry_after is None else retry_after
                    failure = TerraRateLimited(f"rate limited: {_detail(response)}", status=429, retry_after=wait,
                                               endpoint=endpoint)
                    if wait > self._max_retry_after:
                        raise failure
                elif status >= 400:
                    self._succeeded()
                    raise TerraError(_detail(response), status=status, endpoint=endpoint)
                else:
                    self._succeeded()
                    body = self._decode(response, method, path)
                    processing = (isinstance(body, dict) and body.get("type") == "processing"
                                  and method == "GET")
                    if not processing:
                        return body
                    retry_after = parse_retry_after(str(body.get("retry_after_seconds") or ""))
                    wait = self._backoff(attempt) if retry_after is None else retry_after
                    failure = TerraRateLimited("Terra is still processing the request", status=status,
                                               retry_after=wait, endpoint=endpoint)
                    if wait > self._max_retry_after:
                        raise failure
            if attempt >= self.max_retries:
                raise failure
            attempt += 1
            log.info("terra.retry", method=method, path=path, attempt=attempt, wait_seconds=round(wait, 3),
                     reason=failure.detail)
            await self._sleep(wait)

    @staticmethod
    def _decode(response: httpx.Response, method: str, path: str) -> Any:
        if not response.content:
            return {}
        try:
            return response.json()
        except (ValueError, json.JSONDecodeError) as exc:
            raise TerraError("the answer is not valid JSON", status=response.status_code,
                             endpoint=f"{method} /{path}") from exc

    def _failed(self) -> None:
        if self.circuit is not None:
            self.circuit.record_failure()

    def _succeeded(self) -> None:
        if self.circuit is not None:
            self.circuit.record_success()
