"""Points of the signed-in member: `GET /api/v1/points/balance` and `GET /api/v1/points/transactions`
(PRODUCT.md §4; issue 2 deliverable 13). Thin: every figure comes from `domain.points.member_stats`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.api.deps import CurrentUser, ReleasingRoute, SessionDep, SystemDep
from app.api.pagination import Paging, page_response
from domain.points import member_stats
from domain.shared.calendar import platform_day

router = APIRouter(prefix="/points", tags=["points"], route_class=ReleasingRoute)


@router.get("/balance")
def get_balance(user: CurrentUser, session: SessionDep, system: SystemDep) -> dict[str, int]:
    """`{"balance", "points_earned", "earned_today", "cap_remaining_today"}` in points; "today" is the platform day
    (America/New_York) and the cap is 1,000 points a day."""
    figures = member_stats.points_balance(session, user.id, platform_day(system.clock()))
    return {"balance": figures.balance, "points_earned": figures.points_earned,
            "earned_today": figures.earned_today, "cap_remaining_today": figures.cap_remaining_today}


def transaction_json(line: member_stats.LedgerLine) -> dict[str, Any]:
    """One ledger entry as JSON (ISO 8601 UTC `created_at`, ISO `platform_day`)."""
    return {
        "id": str(line.id), "type": line.transaction_type, "amount": line.amount,
        "balance_before": line.balance_before, "balance_after": line.balance_after,
        "reference_type": line.reference_type, "reference_id": line.reference_id, "description": line.description,
        "platform_day": line.platform_day.isoformat() if line.platform_day else None,
        "created_at": line.created_at.isoformat().replace("+00:00", "Z"),
    }


@router.get("/transactions")
def list_transactions(params: Paging, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    """The member's ledger entries, newest first, paginated (`?page=1&limit=20`)."""
    lines, total = member_stats.ledger_entries(session, user.id, page=params.page, limit=params.limit)
    return page_response([transaction_json(line) for line in lines], total, params)
