"""`POST /webhooks/terra` — Terra's webhook (issue 2 §7, notes/terra.md §2).

Order of work: the body is bounded while it is read (`WEBHOOK_MAX_BODY_BYTES`, 1 MiB; 413 beyond — enforced by
`app.web.protections`, and again here for apps without it) → verify the signature over the raw body (401 and nothing
stored when it fails) → decode with the safe JSON reader (`protections.load_json`: nesting depth, NaN/Infinity/1e308
refused, issue 13 §2) and check the shape (400 problem details, nothing stored) → store the raw delivery (a repeated
`X-Terra-Trace-Id` — or, for a delivery without one, the same body: its SHA-256 stands in as the trace id, issue 13
§2 — is acknowledged and not stored or processed again) → enqueue its processing
(`system.jobs.enqueue("process_webhook_delivery", id)`) → answer 200. Processing happens in the
`process_webhook_delivery` task (`tasks.webhooks`). The route uses the `System` the app was built with
(`app.api.deps.SystemDep`).
"""

from __future__ import annotations

import hashlib
import json
import uuid

import sqlalchemy as sa
import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from starlette.concurrency import run_in_threadpool

from app.adapters import metrics
from app.adapters.terra import signature
from app.system import System
from app.web.deps import SystemDep
from app.web.problems import problem_response
from app.web.protections import UnsafeJson, load_json
from domain.models import WebhookDelivery
from domain.shared.errors import InvalidInput
from domain.tracking.terra_payloads import TerraEnvelope, parse_event

router = APIRouter(tags=["webhooks"])
log = structlog.get_logger(__name__)
CONTENT_TRACE_PREFIX = "sha256:"  # trace id of a delivery that came without X-Terra-Trace-Id (issue 13 §2)
PROCESS_TASK = "process_webhook_delivery"


def _ordering_ts(value: str | None, signed_at: int) -> int:
    """`X-Terra-Ordering-Timestamp` (unix ms); when absent or malformed, the signature's timestamp (unix s → ms),
    which a resent old payload keeps, so it still cannot overwrite newer data."""
    if value and value.strip().isdigit():
        return int(value.strip())
    return signed_at * 1000


def terra_user_id(event: TerraEnvelope) -> str | None:
    """The Terra user a delivery is about (unknown event types carry `user` as a plain dict), at most 64 chars."""
    user = getattr(event, "user", None) or getattr(event, "new_user", None)
    value = user.get("user_id") if isinstance(user, dict) else getattr(user, "user_id", None)
    return str(value)[:64] if value else None


def store_delivery(system: System, body: str, event: TerraEnvelope, trace_id: str | None, ordering_ts: int,
                   reference: str | None) -> uuid.UUID | None:
    """Insert the raw delivery; returns its id, or None when `trace_id` was already stored (a duplicate).

    One statement on SQLite and PostgreSQL (autocommit there; issue 12 §4): `INSERT … ON CONFLICT (trace_id)
    DO NOTHING RETURNING id` — no row back means a duplicate, whether stored earlier or by a concurrent request. On
    other databases: a look-up and an insert in one unit of work (a concurrent duplicate loses on the unique trace
    id)."""
    delivery = WebhookDelivery(
        trace_id=trace_id[:128] if trace_id else None, event_type=event.type[:64],
        terra_user_id=terra_user_id(event), reference=reference[:128] if reference else None,
        ordering_ts=ordering_ts, body=body,
    )
    dialect = system.db.dialect
    if dialect in ("sqlite", "postgresql"):
        insert = sqlite_insert(WebhookDelivery) if dialect == "sqlite" else pg_insert(WebhookDelivery)
        statement = (insert.values(**delivery.model_dump()).on_conflict_do_nothing(index_elements=["trace_id"])
                     .returning(col(WebhookDelivery.id)))
        if dialect == "postgresql":  # one statement is its own transaction: no BEGIN / COMMIT round trips
            with system.db.engine.connect() as connection:
                autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
                return autocommit.execute(statement).scalar_one_or_none()
        with system.db.engine.begin() as connection:
            return connection.execute(statement).scalar_one_or_none()
    try:
        with system.uow() as uow:
            if trace_id and uow.exec(
                select(WebhookDelivery.id).where(WebhookDelivery.trace_id == delivery.trace_id)
            ).first():
                return None
            uow.add(delivery)
    except sa.exc.IntegrityError:
        return None  # a concurrent duplicate won the race on the unique trace id
    return delivery.id


def dedupe_key(trace_id: str | None, raw: bytes) -> str:
    """The key a delivery is deduplicated by: its `X-Terra-Trace-Id`, else `sha256:<hex of the raw body>` (issue 13
    §2), so a resent body without a trace id is stored and credited once."""
    if trace_id and trace_id.strip():
        return trace_id.strip()
    return CONTENT_TRACE_PREFIX + hashlib.sha256(raw).hexdigest()


def enqueue(system: System, delivery_id: uuid.UUID) -> None:
    """Hand the delivery to the queue. A failure here loses nothing: the sweeper re-enqueues stored deliveries."""
    try:
        system.jobs.enqueue(PROCESS_TASK, str(delivery_id))
    except Exception:  # noqa: BLE001 - the delivery is stored; the periodic sweeper will pick it up
        log.exception("webhook.enqueue_failed", delivery_id=str(delivery_id))


@router.post("/webhooks/terra", summary="Terra webhook (signed)", responses={401: {}, 400: {}, 413: {}})
async def terra_webhook(request: Request, system: SystemDep) -> JSONResponse:
    settings = system.settings
    raw = await request.body()  # counted while read by app.web.protections (413 beyond the limit)
    if len(raw) > settings.webhook_max_body_bytes:
        metrics.webhook_delivery("invalid")
        return problem_response(413, detail=f"webhook body larger than {settings.webhook_max_body_bytes} bytes")
    try:
        signed_at = signature.verify(raw, signature.signature_header(request.headers), settings.terra_signing_secret,
                         tolerance=settings.terra_signature_tolerance_seconds or None)
    except signature.SignatureError as exc:
        log.warning("webhook.signature_rejected", reason=str(exc))
        metrics.webhook_delivery("signature_rejected")
        return problem_response(
            401, "Invalid webhook signature", str(exc), headers={"WWW-Authenticate": "Terra-Signature"}
        )
    try:
        body = raw.decode("utf-8")
        event = parse_event(load_json(raw, settings.json_max_depth))
    except UnsafeJson as exc:
        metrics.webhook_delivery("invalid")
        return problem_response(400, "Refused JSON", str(exc))
    except UnicodeDecodeError:
        metrics.webhook_delivery("invalid")
        return problem_response(400, "Malformed body", "the webhook body must be UTF-8 encoded JSON")
    except json.JSONDecodeError as exc:
        metrics.webhook_delivery("invalid")
        return problem_response(400, "Malformed JSON", f"the webhook body is not valid JSON: {exc}")
    except InvalidInput as exc:
        metrics.webhook_delivery("invalid")
        return problem_response(400, "Invalid webhook payload", exc.detail, errors=exc.extra.get("errors"))
    trace_id = dedupe_key(request.headers.get("x-terra-trace-id"), raw)
    delivery_id = await run_in_threadpool(
        store_delivery, system, body, event, trace_id,
        _ordering_ts(request.headers.get("x-terra-ordering-timestamp"), signed_at),
        request.headers.get("terra-reference"),
    )
    if delivery_id is None:
        log.info("webhook.duplicate", trace_id=trace_id, event_type=event.type)
        metrics.webhook_delivery("duplicate")
        return JSONResponse({"status": "duplicate", "trace_id": trace_id})
    await run_in_threadpool(enqueue, system, delivery_id)
    log.info("webhook.accepted", delivery_id=str(delivery_id), event_type=event.type, trace_id=trace_id)
    metrics.webhook_delivery("accepted")
    return JSONResponse({"status": "accepted", "delivery_id": str(delivery_id)})
