"""After points land (webhook task, review approval, replay): refresh the members' Redis leaderboard entries and
publish one `points` event per member on the publish/subscribe port, so open pages in every process update
(PRODUCT.md §5 "Live"). Call only after the transaction that credited the points has committed."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from sqlmodel import col, select

from app.db import read_session
from app.leaderboard_store import refresh_member
from app.pubsub import get_pubsub
from domain.ingest import PointsChange
from domain.leaderboards import boards_for_user
from domain.models import User


def publish_points_changes(changes: Iterable[PointsChange]) -> int:
    """For every member with credited points in `changes`: refresh their Redis boards (no-op without Redis) and
    publish `{"user_id", "boards", "platform_day", "point_balance", "points_earned"}` on topic `points`.
    Returns the number of events published."""
    days_by_user: dict[uuid.UUID, set[date]] = defaultdict(set)
    for change in changes:
        if change.credited:
            days_by_user[change.user_id].add(change.platform_day)
    if not days_by_user:
        return 0
    pubsub = get_pubsub()
    with read_session() as session:
        users = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(list(days_by_user))))}
        for user_id, days in days_by_user.items():
            refresh_member(session, user_id, sorted(days))
            user = users.get(user_id)
            if user is None:
                continue
            pubsub.publish("points", {
                "user_id": str(user_id), "boards": boards_for_user(session, user_id),
                "platform_day": max(days).isoformat(), "point_balance": user.point_balance,
                "points_earned": user.points_earned,
            })
    return len(days_by_user)
