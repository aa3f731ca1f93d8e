"""System tasks: `ping`, used by `GET /health/ready` to prove a consumer is answering."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.system import System


def register(system: System) -> None:
    """Define this module's tasks on `system.jobs`."""
    huey = system.jobs.huey

    @system.jobs.add
    @huey.task(expires=30, name="ping")
    def ping() -> str:
        """Return "pong". Expires after 30 s if no consumer picks it up, so unanswered pings never pile up."""
        return "pong"
