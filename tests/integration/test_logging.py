"""Logging: JSON lines in prod, emails masked, secrets redacted, request ids echoed."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import structlog
from nicegui.testing import User as SimUser

from app.adapters.log_config import configure_logging, mask_email_text
from app.settings import Env
from app.system import System
from tests.support.system import make_settings


def test_mask_email_text() -> None:
    assert mask_email_text("login by jane.doe@example.com failed") == "login by j***@example.com failed"


def test_prod_logs_are_json_with_masked_emails_and_no_secrets(
    system: System, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    prod = make_settings(tmp_path, system.settings.database_url, env=Env.prod,
                         storage_secret="a-real-secret-for-this-test")
    configure_logging(prod)
    try:
        structlog.get_logger("fittrack.test").info("signed in", email="jane@example.com", password="hunter2")
        logging.getLogger("thirdparty").warning("mail to bob@example.org bounced")
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    finally:
        configure_logging(system.settings)
    ours = next(line for line in lines if line["event"] == "signed in")
    assert ours["email"] == "j***@example.com" and ours["password"] == "[redacted]"
    assert ours["level"] == "info" and ours["logger"] == "fittrack.test" and ours["timestamp"]
    foreign = next(line for line in lines if line["logger"] == "thirdparty")
    assert foreign["event"] == "mail to b***@example.org bounced"
    assert "hunter2" not in json.dumps(lines)


async def test_request_id_is_taken_or_made_and_echoed(user: SimUser) -> None:
    given = await user.http_client.get("/health/live", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = await user.http_client.get("/health/live", headers={"X-Request-ID": "bad id with spaces"})
    assert made.headers["x-request-id"] != "bad id with spaces" and len(made.headers["x-request-id"]) == 32
