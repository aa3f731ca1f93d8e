"""Fixtures of the integration tests: the bare web app with the webhook route (`web_app`, `http`), a Huey `consumer`
on the test's queue, and the Terra stand-in (`terra`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from tests.support.terra_standin import terra_fixture  # noqa: F401  (fixture)
from tests.support.web import consumer, http, web_app  # noqa: F401  (fixtures)


@pytest.fixture
def rds(redis_url: str) -> Iterator[redis.Redis]:
    """A decoded-strings client on this worker's Redis database, flushed before and after the test."""
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()
