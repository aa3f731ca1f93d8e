"""`GET /metrics` (issue 3 §5): Prometheus text format; HTTP requests by route template; webhook deliveries by outcome;
processing outcomes and points credited; Huey task runs and failures — in the web process (embedded consumer) and in
a real `huey_consumer app.worker.huey` process serving its own metrics (`WORKER_METRICS_PORT`, this xdist worker's
Redis database).

Counters are process-global, so every assertion is on a delta (value after − value before)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from nicegui.testing import User
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from app.adapters import metrics
from app.cli.devserver import child_env, free_port
from app.settings import ROOT
from app.system import System
from domain.models import TrackerConnection
from domain.models import User as Member
from tests.support.db import read_session, write_session
from tests.support.jobs import ensure_tasks, eventually, running_consumer
from tests.support.terra import daily_body, post_webhook, signed_headers, wait_processed

WORKER_REDIS_URL = f"{os.environ.get('TEST_REDIS_URL', 'redis://127.0.0.1:6379')}/9"


def value(name: str, **labels: str) -> float:
    """Current value of one sample in this process (0 when the label set was never used)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def make_member(terra_user_id: str) -> uuid.UUID:
    with write_session() as session:
        member = Member(email=f"{uuid.uuid4().hex[:8]}@example.test", password_hash="x", status="active")
        session.add(member)
        session.flush()
        session.add(TrackerConnection(user_id=member.id, provider="FITBIT", terra_user_id=terra_user_id,
                                      is_primary=True, status="connected"))
        return member.id


async def test_metrics_endpoint_serves_prometheus_text(user: User) -> None:
    response = await user.http_client.get("/metrics")  # public: no sign-in redirect
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    families = {family.name for family in text_string_to_metric_families(response.text)}
    assert {"fittrack_http_requests", "fittrack_http_request_duration_seconds", "fittrack_webhook_deliveries",
            "fittrack_webhook_processing", "fittrack_points_credited", "fittrack_points_held",
            "fittrack_huey_tasks"} <= families
    assert 'fittrack_webhook_deliveries_total{outcome="signature_rejected"}' in response.text
    assert "/metrics" not in (await user.http_client.get("/openapi.json")).text


async def test_requests_are_counted_by_route_template_and_status_class(user: User) -> None:
    board = {"method": "GET", "route": "/api/v1/leaderboards/{period}", "status": "4xx"}
    before = value("fittrack_http_requests_total", **board)
    latency_before = value("fittrack_http_request_duration_seconds_count", method="GET", route=board["route"])
    for period in ("weekly", "monthly"):
        response = await user.http_client.get(f"/api/v1/leaderboards/{period}")  # no token → 401
        assert response.status_code == 401
    assert value("fittrack_http_requests_total", **board) == before + 2
    assert value("fittrack_http_request_duration_seconds_count", method="GET", route=board["route"]) \
        == latency_before + 2
    assert value("fittrack_http_requests_total", method="GET", route="/api/v1/leaderboards/weekly",
                 status="4xx") == 0  # never the raw path

    live = {"method": "GET", "route": "/health/live", "status": "2xx"}
    before = value("fittrack_http_requests_total", **live)
    assert (await user.http_client.get("/health/live")).status_code == 200
    assert value("fittrack_http_requests_total", **live) == before + 1

    unmatched = {"method": "GET", "route": metrics.UNMATCHED_ROUTE, "status": "4xx"}
    before = value("fittrack_http_requests_total", **unmatched)
    assert (await user.http_client.get(f"/api/v1/no-such-thing/{uuid.uuid4()}")).status_code == 404
    assert value("fittrack_http_requests_total", **unmatched) == before + 1

    nicegui = {"method": "GET", "route": "/_nicegui", "status": "4xx"}
    before = value("fittrack_http_requests_total", **nicegui)
    await user.http_client.get(f"/_nicegui/{uuid.uuid4()}/missing.js")
    assert value("fittrack_http_requests_total", **nicegui) == before + 1


async def test_page_guard_redirect_is_labelled_with_the_page_route(user: User) -> None:
    redirect = {"method": "GET", "route": "/leaderboard", "status": "3xx"}
    before = value("fittrack_http_requests_total", **redirect)
    response = await user.http_client.get("/leaderboard", follow_redirects=False)
    assert response.status_code == 307  # answered by the page guard, before routing
    assert value("fittrack_http_requests_total", **redirect) == before + 1


async def test_signed_webhook_counts_accepted_processed_and_points(user: User, system: System) -> None:
    member_id = make_member("terra-metrics-1")
    accepted = value("fittrack_webhook_deliveries_total", outcome="accepted")
    duplicate = value("fittrack_webhook_deliveries_total", outcome="duplicate")
    processed = value("fittrack_webhook_processing_total", outcome="processed")
    credited = value("fittrack_points_credited_total")
    task_done = value("fittrack_huey_tasks_total", task="process_webhook_delivery", outcome="complete")
    task_seconds = value("fittrack_huey_task_duration_seconds_count", task="process_webhook_delivery")

    trace_id = str(uuid.uuid4())
    body = daily_body("terra-metrics-1", date(2024, 5, 6), steps=12_000, moderate_min=30)
    response = await post_webhook(user.http_client, body, trace_id=trace_id)
    assert response.json()["status"] == "accepted"
    assert value("fittrack_webhook_deliveries_total", outcome="accepted") == accepted + 1
    with running_consumer(system, workers=1):  # the app's embedded consumer, on this test's queue
        await wait_processed()
        # counters of the Huey worker thread move just after the database commit
        await eventually(lambda: value("fittrack_huey_tasks_total", task="process_webhook_delivery",
                                       outcome="complete") == task_done + 1, message="task counted")
    assert value("fittrack_webhook_processing_total", outcome="processed") == processed + 1
    assert value("fittrack_huey_task_duration_seconds_count", task="process_webhook_delivery") == task_seconds + 1
    with read_session() as session:
        balance = session.get(Member, member_id).point_balance  # type: ignore[union-attr]
    assert balance > 0
    assert value("fittrack_points_credited_total") == credited + balance

    response = await post_webhook(user.http_client, body, trace_id=trace_id)  # same trace id again
    assert response.json()["status"] == "duplicate"
    assert value("fittrack_webhook_deliveries_total", outcome="duplicate") == duplicate + 1


async def test_rejected_and_invalid_webhooks_are_counted(user: User) -> None:
    rejected = value("fittrack_webhook_deliveries_total", outcome="signature_rejected")
    invalid = value("fittrack_webhook_deliveries_total", outcome="invalid")
    raw = b'{"type": "daily"}'
    bad = signed_headers(raw, secret="not-the-secret")
    assert (await user.http_client.post("/webhooks/terra", content=raw, headers=bad)).status_code == 401
    assert value("fittrack_webhook_deliveries_total", outcome="signature_rejected") == rejected + 1
    raw = b"{not json"
    assert (await user.http_client.post("/webhooks/terra", content=raw, headers=signed_headers(raw))).status_code \
        == 400
    assert value("fittrack_webhook_deliveries_total", outcome="invalid") == invalid + 1
    assert value("fittrack_webhook_processing_total", outcome="failed") >= 0


def test_huey_task_runs_and_failures_are_counted(system: System) -> None:
    huey = ensure_tasks(system).jobs.huey  # the metrics' Huey signal handlers come with the tasks

    @huey.task(name="metrics_test_failing_task")
    def metrics_test_failing_task() -> None:
        """A task that always fails (no retries), to see the failure counted."""
        raise RuntimeError("boom")

    done = value("fittrack_huey_tasks_total", task="ping", outcome="complete")
    failed = value("fittrack_huey_tasks_total", task="metrics_test_failing_task", outcome="error")
    huey.execute(system.jobs.task("ping").s())  # what a consumer worker does with a dequeued task
    huey.execute(metrics_test_failing_task.s())
    assert value("fittrack_huey_tasks_total", task="ping", outcome="complete") == done + 1
    assert value("fittrack_huey_tasks_total", task="metrics_test_failing_task", outcome="error") == failed + 1
    assert value("fittrack_huey_tasks_total", task="metrics_test_failing_task", outcome="retrying") == 0


def test_worker_metrics_server_only_with_redis_and_a_port(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.settings import Settings

    monkeypatch.setenv("WORKER_METRICS_PORT", "0")
    assert metrics.start_worker_metrics_server(Settings(redis_url=None)) is None  # embedded: the app serves them
    monkeypatch.setenv("WORKER_METRICS_PORT", "not-a-port")
    assert metrics.start_worker_metrics_server(Settings(redis_url=WORKER_REDIS_URL)) is None
    monkeypatch.setenv("WORKER_METRICS_PORT", "0")
    port = metrics.start_worker_metrics_server(Settings(redis_url=WORKER_REDIS_URL))
    try:
        assert port
        assert metrics.start_worker_metrics_server(Settings(redis_url=WORKER_REDIS_URL)) == port  # once per process
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            assert b"fittrack_huey_tasks" in response.read()
    finally:
        metrics.stop_worker_metrics_server()


def test_huey_consumer_process_serves_its_own_task_metrics(tmp_path: Path, redis_url: str,
                                                            system_factory: Callable[..., System]) -> None:
    port = free_port()
    env = {k: v for k, v in child_env(tmp_path, free_port(), {"REDIS_URL": redis_url}).items()
           if not k.startswith("PROMETHEUS_")}
    env.update(WORKER_METRICS_PORT=str(port))
    consumer = subprocess.Popen(
        [str(Path(sys.executable).parent / "huey_consumer"), "app.worker.huey", "-w", "2", "-k", "thread", "-n",
         "-m", "0.5"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        producer = ensure_tasks(system_factory(redis_url=redis_url))  # enqueues by name into the worker's Redis
        result = producer.jobs.enqueue("ping")
        assert result is not None and result.get(blocking=True, timeout=60) == "pong"
        deadline = time.monotonic() + 10
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
                    text = response.read().decode()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
                   for family in text_string_to_metric_families(text) for s in family.samples}
        assert samples[("fittrack_huey_tasks_total", (("outcome", "complete"), ("task", "ping")))] == 1
    finally:
        consumer.send_signal(signal.SIGINT)
        try:
            output, _ = consumer.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            consumer.kill()
            output, _ = consumer.communicate()
    assert "Traceback" not in output


def test_multiprocess_mode_aggregates_every_process(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "NICEGUI_"))}
    env.update(PROMETHEUS_MULTIPROC_DIR=str(tmp_path), PYTHONPATH=str(ROOT))
    count = ("from app.adapters import metrics; metrics.webhook_delivery('accepted'); "
             "metrics.HUEY_TASKS.labels('ping', 'complete').inc()")
    for _ in range(2):  # two short-lived processes (think: web app and worker) write their own files
        subprocess.run([sys.executable, "-c", count], cwd=ROOT, env=env, check=True, timeout=60)
    render = ("from prometheus_client import generate_latest; from app.adapters import metrics; "
              "print(generate_latest(metrics.exposition_registry()).decode())")
    text = subprocess.run([sys.executable, "-c", render], cwd=ROOT, env=env, check=True, timeout=60,
                          capture_output=True, text=True).stdout
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(text) for s in family.samples}
    assert samples[("fittrack_webhook_deliveries_total", (("outcome", "accepted"),))] == 2
    assert samples[("fittrack_huey_tasks_total", (("outcome", "complete"), ("task", "ping")))] == 2
