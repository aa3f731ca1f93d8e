"""Operational bookkeeping shown on the admin system page (PRODUCT.md §7): the last run of each Huey task."""

from __future__ import annotations

from domain.models._base import Field, SQLModel, datetime, integer, sa, text, ts


class TaskRun(SQLModel, table=True):
    """One row per task name, updated by the Huey signal handlers on every start, success and failure."""

    __tablename__ = "task_runs"

    task_name: str = Field(sa_column=sa.Column(sa.String(128), primary_key=True))
    last_started_at: datetime | None = ts()
    last_finished_at: datetime | None = ts()
    last_status: str | None = text(16, nullable=True)
    last_error: str | None = text(1000, nullable=True)
    runs: int = integer(0)
    failures: int = integer(0)
