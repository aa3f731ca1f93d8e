"""The Terra REST client (`app.adapters.terra.client`) against the local Terra stand-in (`tests/terra_sim`): the
documented endpoints with the right headers and parameters, 429 with `Retry-After` honoured, 5xx retried with backoff,
timeouts, and the circuit breaker (`app.adapters.terra.circuit`: opens after repeated failures, fails fast, half-open
recovery, state shared through the cache port)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.adapters.cache import MemoryCache, RedisCache
from app.adapters.terra.circuit import (
    CLOSED,
    HALF_OPEN,
    OPEN,
    CircuitBreaker,
    CircuitOpenError,
    CircuitStatus,
)
from app.adapters.terra.client import (
    TerraClient,
    TerraData,
    TerraError,
    TerraNotConfigured,
    TerraRateLimited,
    TerraUnavailable,
    parse_retry_after,
)
from app.system import System
from tests.terra_sim import SimConfig, SimState, create_app, running_sim

DEV_ID, API_KEY = "dev-test", "key-test"
BASE = "http://terra.test/api/v2"
YESTERDAY = datetime.now(UTC).date() - timedelta(days=1)


class Clock:
    """A settable unix-seconds clock for the circuit breaker."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sim_app() -> Any:
    return create_app(SimConfig(dev_id=DEV_ID, api_key=API_KEY, data_delay_seconds=0, data_webhook_days=0))


@pytest.fixture
def sim(sim_app: Any) -> SimState:
    return sim_app.state.sim


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def breaker(clock: Clock) -> CircuitBreaker:
    return CircuitBreaker(threshold=3, cooldown_seconds=30, probe_timeout=10, cache=MemoryCache(), clock=clock)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
async def terra(sim_app: Any, breaker: CircuitBreaker, sleeps: list[float]) -> AsyncIterator[TerraClient]:
    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    async with TerraClient(base_url=BASE, dev_id=DEV_ID, api_key=API_KEY, max_retries=3, circuit=breaker,
                           transport=httpx.ASGITransport(sim_app), sleep=fake_sleep) as client:
        yield client


def fault(sim: SimState, *, count: int, status: int | None = 500, retry_after: str | None = None) -> None:
    from tests.terra_sim.app import Fault

    sim.faults.extend(Fault(status, retry_after, 0.0, None) for _ in range(count))


# --- endpoints, headers, parameters -----------------------------------------------------------------------------

async def test_widget_session_sends_documented_body_and_headers(terra: TerraClient, sim: SimState) -> None:
    member = str(uuid.uuid4())
    session = await terra.generate_widget_session(
        reference_id=member, providers=["garmin", "FITBIT", " oura "],
        success_url="https://ft.test/connections/callback", failure_url="https://ft.test/connections?failed=1",
        language="en")
    assert session.url == f"http://terra.test/widget/{session.session_id}"
    assert session.expires_in == 900
    [request] = sim.requests
    assert (request["method"], request["path"]) == ("POST", "/api/v2/auth/generateWidgetSession")
    assert request["headers"]["dev-id"] == DEV_ID and request["headers"]["x-api-key"] == API_KEY
    assert request["headers"]["content-type"] == "application/json"
    assert request["json"] == {"providers": "GARMIN,FITBIT,OURA", "language": "en", "reference_id": member,
                               "auth_success_redirect_url": "https://ft.test/connections/callback",
                               "auth_failure_redirect_url": "https://ft.test/connections?failed=1"}
    assert sim.sessions[session.session_id].providers == ["GARMIN", "FITBIT", "OURA"]


@pytest.mark.parametrize("kind", ["daily", "activity"])
async def test_data_reads_use_documented_parameters(terra: TerraClient, sim: SimState, kind: str) -> None:
    user = sim.create_user(provider="FITBIT", reference_id="member-1")
    start, end = YESTERDAY - timedelta(days=29), YESTERDAY
    fetch = terra.get_daily if kind == "daily" else terra.get_activity
    result = await fetch(user.user_id, start, end)
    [request] = sim.requests
    assert (request["method"], request["path"]) == ("GET", f"/api/v2/{kind}")
    assert request["query"] == {"user_id": user.user_id, "start_date": start.isoformat(),
                                "end_date": end.isoformat(), "to_webhook": "false"}
    assert request["headers"]["dev-id"] == DEV_ID and request["headers"]["x-api-key"] == API_KEY
    assert isinstance(result, TerraData) and result.type == kind
    assert result.user["user_id"] == user.user_id and result.user["reference_id"] == "member-1"
    assert result.data, "the dataset person has data in the last 30 days"
    days = {date.fromisoformat(item["metadata"]["start_time"][:10]) for item in result.data}
    assert all(start <= day <= end for day in days)
    assert result.as_event() == {"type": kind, "user": result.user, "data": result.data}


async def test_deauthenticate_user(terra: TerraClient, sim: SimState) -> None:
    user = sim.create_user(provider="GARMIN", reference_id="member-2")
    await terra.deauthenticate_user(user.user_id)
    await sim.drain()
    [request] = sim.requests
    assert (request["method"], request["path"], request["query"]) == (
        "DELETE", "/api/v2/auth/deauthenticateUser", {"user_id": user.user_id})
    assert user.user_id not in sim.users
    assert [w["type"] for w in sim.webhooks] == ["deauth"]
    with pytest.raises(TerraError) as refused:  # Terra no longer knows the user: 404, not retried
        await terra.deauthenticate_user(user.user_id)
    assert refused.value.status == 404 and refused.value.detail == "user not found"
    assert not isinstance(refused.value, TerraUnavailable)
    assert len(sim.requests) == 2


async def test_wrong_credentials_are_refused_without_retry(sim_app: Any, sim: SimState, breaker: CircuitBreaker,
                                                           sleeps: list[float]) -> None:
    async with TerraClient(base_url=BASE, dev_id=DEV_ID, api_key="wrong", circuit=breaker,
                           transport=httpx.ASGITransport(sim_app)) as client:
        with pytest.raises(TerraError) as refused:
            await client.get_daily("anyone", YESTERDAY, YESTERDAY)
    assert refused.value.status == 401 and "x-api-key" in refused.value.detail
    assert len(sim.requests) == 1 and sleeps == []
    assert breaker.status().failures == 0  # Terra answered: not a failure of Terra


# --- 429 and 5xx ---------------------------------------------------------------------------------------------------

async def test_429_retry_after_seconds_is_honoured(terra: TerraClient, sim: SimState, sleeps: list[float]) -> None:
    user = sim.create_user(provider="FITBIT", reference_id=None)
    fault(sim, count=2, status=429, retry_after="7")
    result = await terra.get_daily(user.user_id, YESTERDAY, YESTERDAY)
    assert len(result.data) == 1
    assert [r["status"] for r in sim.requests] == [429, 429, 200]
    assert sleeps == [7.0, 7.0]


async def test_429_retry_after_http_date_is_honoured(terra: TerraClient, sim: SimState, sleeps: list[float]) -> None:
    user = sim.create_user(provider="FITBIT", reference_id=None)
    fault(sim, count=1, status=429, retry_after=format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True))
    await terra.get_activity(user.user_id, YESTERDAY - timedelta(days=6), YESTERDAY)
    assert len(sleeps) == 1 and 17 <= sleeps[0] <= 20


async def test_429_with_a_long_retry_after_is_handed_to_the_caller(terra: TerraClient, sim: SimState,
                                                                  sleeps: list[float]) -> None:
    fault(sim, count=1, status=429, retry_after="3600")
    with pytest.raises(TerraRateLimited) as limited:
        await terra.get_daily("someone", YESTERDAY, YESTERDAY)
    assert limited.value.retry_after == 3600 and limited.value.status == 429
    assert isinstance(limited.value, TerraUnavailable)
    assert sleeps == [] and len(sim.requests) == 1


async def test_5xx_is_retried_with_exponential_backoff_then_succeeds(terra: TerraClient, sim: SimState,
                                                                     sleeps: list[float],
                                                                     breaker: CircuitBreaker) -> None:
    user = sim.create_user(provider="FITBIT", reference_id=None)
    fault(sim, count=2, status=503)
    result = await terra.get_daily(user.user_id, YESTERDAY, YESTERDAY)
    assert result.data
    assert [r["status"] for r in sim.requests] == [503, 503, 200]
    assert 0.5 <= sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 1.5  # 0.5·2^n plus jitter in [0, 0.5]
    assert breaker.status().state == CLOSED and breaker.status().failures == 0


async def test_503_with_retry_after_waits_that_long(terra: TerraClient, sim: SimState, sleeps: list[float]) -> None:
    user = sim.create_user(provider="FITBIT", reference_id=None)
    fault(sim, count=1, status=503, retry_after="12")
    assert (await terra.get_daily(user.user_id, YESTERDAY, YESTERDAY)).data
    assert sleeps == [12.0]


async def test_5xx_exhausted_raises_terra_unavailable(sim_app: Any, sim: SimState, sleeps: list[float]) -> None:
    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    fault(sim, count=10, status=500)
    async with TerraClient(base_url=BASE, dev_id=DEV_ID, api_key=API_KEY, max_retries=2, sleep=fake_sleep,
                           transport=httpx.ASGITransport(sim_app)) as client:
        with pytest.raises(TerraUnavailable) as down:
            await client.generate_widget_session(reference_id="m", providers=["FITBIT"], success_url="https://a",
                                                 failure_url="https://b")
    assert down.value.status == 500 and "injected fault" in down.value.detail
    assert len(sim.requests) == 3 and len(sleeps) == 2


async def test_timeouts_are_retried_then_unavailable_over_real_http(breaker: CircuitBreaker) -> None:
    config = SimConfig(dev_id=DEV_ID, api_key=API_KEY, data_webhook_days=0)
    with running_sim(config) as base_url:
        async with httpx.AsyncClient(base_url=base_url) as control:
            await control.post("/_sim/faults", json={"count": 2, "status": None, "delay_seconds": 0.6})
            async with TerraClient(base_url=base_url + "/api/v2", dev_id=DEV_ID, api_key=API_KEY, timeout=0.2,
                                   max_retries=1, backoff_base=0.01, circuit=breaker) as client:
                with pytest.raises(TerraUnavailable) as down:
                    await client.get_daily("someone", YESTERDAY, YESTERDAY)
            assert "Timeout" in down.value.detail and down.value.status is None
            assert len((await control.get("/_sim/requests")).json()) == 2
    assert breaker.status().failures == 2


async def test_processing_answer_is_waited_for_and_bad_json_is_an_error() -> None:
    answers = [
        httpx.Response(200, json={"type": "processing", "retry_after_seconds": 4, "user": {"user_id": "u"}}),
        httpx.Response(200, json={"type": "daily", "user": {"user_id": "u"}, "data": [{"metadata": {}}]}),
        httpx.Response(200, content=b"<html>oops</html>"),
    ]
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    transport = httpx.MockTransport(lambda request: answers.pop(0))
    async with TerraClient(base_url=BASE, dev_id="d", api_key="k", transport=transport, sleep=fake_sleep) as client:
        data = await client.get_daily("u", YESTERDAY, YESTERDAY)
        assert waits == [4.0] and data.data == [{"metadata": {}}]
        with pytest.raises(TerraError, match="not valid JSON"):
            await client.get_daily("u", YESTERDAY, YESTERDAY)


# --- circuit breaker -----------------------------------------------------------------------------------------------

async def test_circuit_opens_after_repeated_failures_and_fails_fast(terra: TerraClient, sim: SimState,
                                                                   breaker: CircuitBreaker, clock: Clock) -> None:
    terra.max_retries = 1
    fault(sim, count=100, status=502)
    with pytest.raises(TerraUnavailable):
        await terra.get_daily("u", YESTERDAY, YESTERDAY)  # 2 failed attempts
    assert breaker.status().state == CLOSED and breaker.status().failures == 2
    with pytest.raises(TerraUnavailable) as opened:
        await terra.get_daily("u", YESTERDAY, YESTERDAY)  # the 3rd failure opens it; no retry after that
    assert len(sim.requests) == 3 and "circuit breaker open" in opened.value.detail
    status = breaker.status()
    assert status.state == OPEN and status.failures == 3
    assert status.opened_until == datetime.fromtimestamp(clock.now + 30, UTC)

    clock.now += 10
    with pytest.raises(TerraUnavailable) as fast:
        await terra.generate_widget_session(reference_id="m", providers=["FITBIT"], success_url="https://a",
                                            failure_url="https://b")
    assert len(sim.requests) == 3, "no request is made while the circuit is open"
    assert fast.value.retry_after == pytest.approx(20)


async def test_half_open_probe_success_closes_the_circuit(terra: TerraClient, sim: SimState,
                                                          breaker: CircuitBreaker, clock: Clock) -> None:
    user = sim.create_user(provider="FITBIT", reference_id=None)
    terra.max_retries = 0
    fault(sim, count=3, status=500)
    for _ in range(3):
        with pytest.raises(TerraUnavailable):
            await terra.get_daily(user.user_id, YESTERDAY, YESTERDAY)
    assert breaker.status().state == OPEN
    clock.now += 31
    assert breaker.status().state == HALF_OPEN  # the next call probes
    result = await terra.get_daily(user.user_id, YESTERDAY, YESTERDAY)
    assert result.data
    assert breaker.status() == CircuitStatus(CLOSED, 0, None, 3, 30)


async def test_half_open_probe_failure_reopens_for_another_cooldown(terra: TerraClient, sim: SimState,
                                                                    breaker: CircuitBreaker, clock: Clock) -> None:
    terra.max_retries = 0
    fault(sim, count=4, status=500)
    for _ in range(3):
        with pytest.raises(TerraUnavailable):
            await terra.get_daily("u", YESTERDAY, YESTERDAY)
    clock.now += 31
    with pytest.raises(TerraUnavailable) as probe:
        await terra.get_daily("u", YESTERDAY, YESTERDAY)
    assert probe.value.status == 500 and len(sim.requests) == 4
    assert breaker.status().state == OPEN
    assert breaker.status().opened_until == datetime.fromtimestamp(clock.now + 30, UTC)
    with pytest.raises(TerraUnavailable, match="circuit breaker open"):
        await terra.get_daily("u", YESTERDAY, YESTERDAY)
    assert len(sim.requests) == 4


def test_only_one_probe_at_a_time(breaker: CircuitBreaker, clock: Clock) -> None:
    for _ in range(3):
        breaker.record_failure()
    clock.now += 30
    breaker.before_call()  # this caller is the probe
    with pytest.raises(CircuitOpenError) as others:
        breaker.before_call()
    assert others.value.retry_after == pytest.approx(10)  # until the probe's lease ends
    clock.now += 10
    breaker.before_call()  # the probe never reported back: the next caller probes


@given(st.lists(st.booleans(), max_size=40), st.integers(min_value=1, max_value=6))
def test_circuit_is_open_exactly_after_threshold_consecutive_failures(outcomes: list[bool], threshold: int) -> None:
    """Without time passing: open ⇔ the failures since the last success reached the threshold."""
    breaker = CircuitBreaker(threshold=threshold, cache=MemoryCache(), clock=lambda: 1000.0)
    trailing = 0
    for ok in outcomes:
        if ok:
            breaker.record_success()
            trailing = 0
        else:
            breaker.record_failure()
            trailing += 1
        assert (breaker.status().state == OPEN) == (trailing >= threshold)
        assert breaker.status().failures == trailing


def test_circuit_state_is_shared_through_redis(redis_url: str, system_factory: Callable[..., System]) -> None:
    """Two processes (here: two breakers with their own Redis connections) see one circuit; the System's breaker
    (`system.terra_circuit`, built from the settings) reads it for the admin system page."""
    system = system_factory(redis_url=redis_url, terra_circuit_threshold=2)
    web = CircuitBreaker(threshold=2, cooldown_seconds=60, cache=RedisCache(redis_url))
    worker = CircuitBreaker(threshold=2, cooldown_seconds=60, cache=RedisCache(redis_url))
    web.reset()
    try:
        web.record_failure()
        worker.record_failure()
        with pytest.raises(CircuitOpenError):
            web.before_call()
        status = system.terra_circuit.status()
        assert (status.state, status.failures, status.threshold) == (OPEN, 2, 2)
        assert status.opened_until is not None and status.opened_until > datetime.now(UTC)
        worker.record_success()
        assert system.terra_circuit.status().state == CLOSED and system.terra_circuit.status().opened_until is None
    finally:
        web.reset()


# --- configuration and small parts ---------------------------------------------------------------------------------

async def test_from_settings(system: System, system_factory: Callable[..., System], sim_app: Any,
                             sim: SimState) -> None:
    with pytest.raises(TerraNotConfigured):
        TerraClient.from_settings(system.settings, circuit=None)
    configured = system_factory(terra_dev_id=DEV_ID, terra_api_key=API_KEY, terra_base_url=BASE, terra_max_retries=0,
                                terra_timeout_seconds=2.5)
    client = TerraClient.from_settings(configured.settings, circuit=configured.terra_circuit,
                                       transport=httpx.ASGITransport(sim_app))
    async with client:
        assert client.max_retries == 0 and client.circuit is not None
        assert client._http.timeout.read == 2.5
        user = sim.create_user(provider="OURA", reference_id=None)
        assert (await client.get_daily(user.user_id, YESTERDAY, YESTERDAY)).type == "daily"
    assert sim.requests[0]["headers"]["x-api-key"] == API_KEY


@pytest.mark.parametrize(("header", "expected"), [
    ("120", 120.0), (" 0 ", 0.0), ("-5", 0.0), (None, None), ("", None), ("soon", None),
    ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # a date in the past: retry now
])
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_parse_retry_after_http_date() -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("Sun, 01 Mar 2026 12:01:30 GMT", now=now) == 90.0
