"""Locust users for `bench.load_bench` (issue 12 §1, §6, §8): the member read mix and a bare endpoint.

Run by `bench.load_bench` as `python -m locust -f bench/locust_member_reads.py <UserClass> ... --headless`, with
`FITTRACK_LOAD_TOKENS` naming a JSON file of access tokens (one per bench member) and `FITTRACK_LOAD_THINK` the
think time between a user's requests, `min,max` seconds (`0,0`: a closed loop, each user fires again at once).

- `MemberReads`: balance, today's board of the member's tier, the first page of their activities (equal weights),
  each user signed in as one bench member (Bearer token).
- `HealthProbe`: one user asking `GET /health/live` twice a second — the liveness figure under load.
- `Bare`: `GET /health/live` in a closed loop — the bare endpoint the API throughput is compared with.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

from locust import FastHttpUser, between, constant, task

_TOKENS: list[str] = json.loads(Path(os.environ["FITTRACK_LOAD_TOKENS"]).read_text()) \
    if os.environ.get("FITTRACK_LOAD_TOKENS") else []
_NEXT = itertools.count()
_THINK_MIN, _THINK_MAX = (float(x) for x in os.environ.get("FITTRACK_LOAD_THINK", "0,0").split(","))


class MemberReads(FastHttpUser):
    """One member reading their balance, their board and their activities."""

    wait_time = constant(0) if _THINK_MAX == 0 else between(_THINK_MIN, _THINK_MAX)
    network_timeout = 60.0
    connection_timeout = 60.0

    def on_start(self) -> None:
        token = _TOKENS[next(_NEXT) % len(_TOKENS)]
        self.auth = {"Authorization": f"Bearer {token}"}

    @task
    def balance(self) -> None:
        self.client.get("/api/v1/points/balance", headers=self.auth, name="balance")

    @task
    def daily_board(self) -> None:
        self.client.get("/api/v1/leaderboards/daily", headers=self.auth, name="daily board")

    @task
    def activities(self) -> None:
        self.client.get("/api/v1/activities?limit=20", headers=self.auth, name="activities")


class HealthProbe(FastHttpUser):
    """A monitor: `/health/live` every 0.5 s (fixed: one user whatever the total)."""

    fixed_count = 1
    wait_time = constant(0.5)
    network_timeout = 60.0

    @task
    def live(self) -> None:
        self.client.get("/health/live", name="/health/live (probe)")


class Bare(FastHttpUser):
    """The bare endpoint, closed loop."""

    wait_time = constant(0)
    network_timeout = 60.0

    @task
    def live(self) -> None:
        self.client.get("/health/live", name="bare /health/live")
