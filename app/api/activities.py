"""Activity history of the signed-in member: `GET /api/v1/activities` (daily rows, paginated, date filters) and
`GET /api/v1/activities/summary` (issue 2 deliverable 13). Dates are platform days (`YYYY-MM-DD`, inclusive)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from fastapi import APIRouter, Query

from app.api.deps import CurrentUser, ReleasingRoute, SessionDep
from app.api.pagination import Paging, page_response
from domain.points import member_stats

router = APIRouter(prefix="/activities", tags=["activities"], route_class=ReleasingRoute)

_START = Query(None, description="First platform day, inclusive (YYYY-MM-DD)")
_END = Query(None, description="Last platform day, inclusive (YYYY-MM-DD)")


def day_json(row: member_stats.DayRow) -> dict[str, Any]:
    """One day: steps, active minutes (moderate + vigorous), light minutes, calories (kcal), distance (km), points
    credited that day, number of workout sessions, and whether the data was entered manually (earns nothing)."""
    data = asdict(row)
    data["date"] = data.pop("day").isoformat()
    return data


@router.get("")
def list_activities(user: CurrentUser, session: SessionDep, params: Paging, start: date | None = _START,
                    end: date | None = _END) -> dict[str, Any]:
    """Daily activity rows, newest first, paginated. 400 problem when `start` is after `end`."""
    rows, total = member_stats.activities(session, user.id, start=start, end=end, page=params.page,
                                          limit=params.limit)
    return page_response([day_json(row) for row in rows], total, params)


@router.get("/summary")
def get_summary(user: CurrentUser, session: SessionDep, start: date | None = _START,
                end: date | None = _END) -> dict[str, Any]:
    """Totals and per-day averages over the range (see `domain.points.member_stats.ActivitySummary`)."""
    summary = member_stats.activity_summary(session, user.id, start, end)
    data = asdict(summary)
    data["start"] = summary.start.isoformat() if summary.start else None
    data["end"] = summary.end.isoformat() if summary.end else None
    return data
