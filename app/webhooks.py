"""`POST /webhooks/terra` — Terra's webhook (issue 2 §7, notes/terra.md §2).

Order of work: verify the signature over the raw body (401 and nothing stored when it fails) → decode and check the
shape (400 problem details, nothing stored) → store the raw delivery (a repeated `X-Terra-Trace-Id` is acknowledged
and not stored or processed again) → enqueue its processing on Huey → answer 200. Processing happens in
`tasks.webhooks.process_webhook_delivery`.
"""

from __future__ import annotations

import json
import uuid

import sqlalchemy as sa
import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlmodel import select
from starlette.concurrency import run_in_threadpool

from app import metrics
from app.api.problems import problem_response
from app.db import write_session
from app.settings import get_settings
from app.terra import signature
from domain.errors import InvalidInput
from domain.models import WebhookDelivery
from domain.terra_payloads import TerraEnvelope, parse_event

router = APIRouter(tags=["webhooks"])
log = structlog.get_logger(__name__)
MAX_BODY_BYTES = 10 * 1024 * 1024  # Terra chunks large requests to at most 10 MB per payload


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


def store_delivery(body: str, event: TerraEnvelope, trace_id: str | None, ordering_ts: int,
                   reference: str | None) -> uuid.UUID | None:
    """Insert the raw delivery; returns its id, or None when `trace_id` was already stored (a duplicate)."""
    delivery = WebhookDelivery(
        trace_id=trace_id[:128] if trace_id else None, event_type=event.type[:64],
        terra_user_id=terra_user_id(event), reference=reference[:128] if reference else None,
        ordering_ts=ordering_ts, body=body,
    )
    try:
        with write_session() as session:
            if trace_id and session.exec(
                select(WebhookDelivery.id).where(WebhookDelivery.trace_id == delivery.trace_id)
            ).first():
                return None
            session.add(delivery)
    except sa.exc.IntegrityError:
        return None  # a concurrent duplicate won the race on the unique trace id
    return delivery.id


def enqueue(delivery_id: uuid.UUID) -> None:
    """Hand the delivery to Huey. A failure here loses nothing: the sweeper re-enqueues stored deliveries."""
    from tasks.webhooks import process_webhook_delivery

    try:
        process_webhook_delivery(str(delivery_id))
    except Exception:  # noqa: BLE001 - the delivery is stored; the periodic sweeper will pick it up
        log.exception("webhook.enqueue_failed", delivery_id=str(delivery_id))


@router.post("/webhooks/terra", summary="Terra webhook (signed)", responses={401: {}, 400: {}, 413: {}})
async def terra_webhook(request: Request) -> JSONResponse:
    settings = get_settings()
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        metrics.webhook_delivery("invalid")
        return problem_response(413, detail="webhook body larger than 10 MB")
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
        event = parse_event(json.loads(body))
    except UnicodeDecodeError:
        metrics.webhook_delivery("invalid")
        return problem_response(400, "Malformed body", "the webhook body must be UTF-8 encoded JSON")
    except json.JSONDecodeError as exc:
        metrics.webhook_delivery("invalid")
        return problem_response(400, "Malformed JSON", f"the webhook body is not valid JSON: {exc}")
    except InvalidInput as exc:
        metrics.webhook_delivery("invalid")
        return problem_response(400, "Invalid webhook payload", exc.detail, errors=exc.extra.get("errors"))
    trace_id = request.headers.get("x-terra-trace-id")
    delivery_id = await run_in_threadpool(
        store_delivery, body, event, trace_id,
        _ordering_ts(request.headers.get("x-terra-ordering-timestamp"), signed_at),
        request.headers.get("terra-reference"),
    )
    if delivery_id is None:
        log.info("webhook.duplicate", trace_id=trace_id, event_type=event.type)
        metrics.webhook_delivery("duplicate")
        return JSONResponse({"status": "duplicate", "trace_id": trace_id})
    await run_in_threadpool(enqueue, delivery_id)
    log.info("webhook.accepted", delivery_id=str(delivery_id), event_type=event.type, trace_id=trace_id)
    metrics.webhook_delivery("accepted")
    return JSONResponse({"status": "accepted", "delivery_id": str(delivery_id)})
