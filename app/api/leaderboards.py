"""Leaderboard API (PRODUCT.md §5; mounted under `/api/v1`): a board for the signed-in member, and archived final
standings. Thin: validation and shaping only; `domain.competition.leaderboards` does the work, Redis serves reads when
configured.

Privacy is decided in the domain (`BoardEntry.public_user_id`, `ArchivedBoard.seen_by`): hidden members are shown as
"Hidden member" and their `user_id` is `null` (except to themselves); the routes only serialize.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Query

from app.api.deps import CurrentUser, ReleasingRoute, SessionDep, SystemDep
from app.api.pagination import Paging, page_response
from domain.competition import leaderboards
from domain.shared.calendar import platform_day
from domain.shared.enums import Period

router = APIRouter(prefix="/leaderboards", tags=["leaderboards"], route_class=ReleasingRoute)


def _tier_param(tier: str | None) -> str | None:
    # A tier code never contains spaces; an unencoded "+" (F-60+-ADV) arrives as a space in a query string.
    return tier.strip().replace(" ", "+") if tier is not None else None


def _id(user_id: uuid.UUID | None) -> str | None:
    return str(user_id) if user_id is not None else None


def _entry(entry: leaderboards.BoardEntry) -> dict[str, Any]:
    return {
        "rank": entry.rank,
        "user_id": _id(entry.public_user_id),
        "display_name": entry.display_name,
        "points": entry.points,
        "active_days": entry.active_days,
        "is_viewer": entry.is_viewer,
    }


@router.get("/archives", summary="Browse archived final standings (newest first)")
def list_archives(
    _user: CurrentUser,
    session: SessionDep,
    params: Paging,
    tier: str | None = Query(None, description="A tier code such as M-30-39-INT, or OPEN"),
    period: Period | None = Query(None, description="daily, weekly or monthly"),
) -> dict[str, Any]:
    """`{"items": [{"tier", "period", "period_start", "period_end", "archived_at", "entries"}], "pagination"}`."""
    found = leaderboards.list_archives(session, _tier_param(tier), period, params.page, params.limit)
    items = [
        {"tier": a.board, "period": a.period.value, "period_start": a.period_start.isoformat(),
         "period_end": a.period_end.isoformat(), "archived_at": a.archived_at.isoformat(), "entries": a.entries}
        for a in found.items
    ]
    return page_response(items, found.total, params)


@router.get("/archives/{tier}/{period}/{period_start}", summary="One archived board's final standings")
def get_archive(
    tier: str,
    period: Period,
    period_start: date,
    user: CurrentUser,
    session: SessionDep,
) -> dict[str, Any]:
    """`{"tier", "period", "period_start", "period_end", "archived_at", "standings": [{"rank", "user_id",
    "display_name", "points", "active_days"}]}`; 404 problem when that period is not archived."""
    archived = leaderboards.get_archive(session, _tier_param(tier) or "", period, period_start)
    summary = archived.summary
    standings = [
        {"rank": s.rank, "user_id": _id(s.user_id), "display_name": s.display_name, "points": s.points,
         "active_days": s.active_days}
        for s in archived.seen_by(user.id)
    ]
    return {"tier": summary.board, "period": summary.period.value, "period_start": summary.period_start.isoformat(),
            "period_end": summary.period_end.isoformat(), "archived_at": summary.archived_at.isoformat(),
            "standings": standings}


@router.get("/{period}", summary="A leaderboard: top entries, my rank and the 10 positions around it")
def get_leaderboard(
    period: Period,
    user: CurrentUser,
    session: SessionDep,
    system: SystemDep,
    tier: str | None = Query(None, description="A tier code or OPEN; default: my tier (OPEN if I have none)"),
    limit: int = Query(leaderboards.DEFAULT_LIMIT, ge=1, le=leaderboards.MAX_LIMIT),
    on: date | None = Query(None, alias="date", description="A platform day (YYYY-MM-DD) in the period; default today"),
) -> dict[str, Any]:
    """`{"board", "period", "period_start", "period_end", "total_members", "entries": [{"rank", "user_id",
    "display_name", "points", "active_days", "is_viewer"}], "me": {...} | null, "around_me": [...]}`.
    Periods: daily, weekly (Monday 00:00 America/New_York), monthly, alltime (`period_start`/`end` null).
    400 problem for an unknown tier; 422 for a bad period, limit or date."""
    board = _tier_param(tier) or leaderboards.default_board(session, user.id)
    result = leaderboards.get_board(
        session, board=board, period=period, day=on or platform_day(system.clock()), viewer_id=user.id, limit=limit,
        store=system.boards,
    )
    return {
        "board": result.board,
        "period": result.period.value,
        "period_start": result.period_start.isoformat() if result.period_start else None,
        "period_end": result.period_end.isoformat() if result.period_end else None,
        "total_members": result.total_members,
        "entries": [_entry(e) for e in result.entries],
        "me": _entry(result.me) if result.me else None,
        "around_me": [_entry(e) for e in result.around_me],
    }
