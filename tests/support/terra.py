"""Helpers to build and send signed Terra webhooks in tests (real signatures, real payload shapes)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from sqlmodel import select

from app.adapters.terra.signature import sign
from domain.models import WebhookDelivery
from tests.support.db import read_session

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
EXAMPLES = SHARED / "data" / "terra" / "openapi_webhook_examples"
SECRET = "test-signing-secret"
NY = ZoneInfo("America/New_York")


def daily_body(terra_user_id: str, day: date, *, steps: int, vigorous_min: int = 0, moderate_min: int = 0,
               light_min: int = 0, upload_type: int = 1) -> dict:
    start = datetime(day.year, day.month, day.day, tzinfo=NY)
    return {
        "type": "daily", "version": "2022-03-16",
        "user": {"user_id": terra_user_id, "provider": "FITBIT", "reference_id": None, "active": True},
        "data": [{
            "metadata": {"start_time": start.isoformat(), "end_time": (start + timedelta(days=1)).isoformat(),
                         "upload_type": upload_type},
            "distance_data": {"steps": steps, "distance_meters": steps * 0.7},
            "active_durations_data": {"vigorous_intensity_seconds": vigorous_min * 60,
                                      "moderate_intensity_seconds": moderate_min * 60,
                                      "low_intensity_seconds": light_min * 60},
        }],
    }


def signed_headers(raw: bytes, *, trace_id: str | None = None, ordering_ts: int | None = None,
                   secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "X-Terra-Signature": sign(secret, raw, timestamp)}
    headers["X-Terra-Trace-Id"] = trace_id or str(uuid.uuid4())
    if ordering_ts is not None:
        headers["X-Terra-Ordering-Timestamp"] = str(ordering_ts)
    return headers


async def post_webhook(client: httpx.AsyncClient, body: dict | bytes, **kwargs: object) -> httpx.Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await client.post("/webhooks/terra", content=raw, headers=signed_headers(raw, **kwargs))  # type: ignore[arg-type]


async def wait_processed(timeout: float = 15.0) -> None:
    """Wait until no stored delivery is still `received` (the Huey consumer has processed them all)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with read_session() as session:
            pending = session.exec(select(WebhookDelivery.id).where(WebhookDelivery.status == "received")).first()
        if pending is None:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("webhook deliveries were not processed in time")
