"""Fixtures of the integration tests: the bare web app with the webhook route (`web_app`, `http`), a Huey `consumer`
on the test's queue, and the Terra stand-in (`terra`)."""

from __future__ import annotations

from tests.support.terra_standin import terra_fixture  # noqa: F401  (fixture)
from tests.support.web import consumer, http, web_app  # noqa: F401  (fixtures)
