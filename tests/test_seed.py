"""app.seed: deterministic, idempotent demo data through the real ingest path; never in prod."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import select

from app.db import get_engine, read_session, write_session
from app.seed import ADMIN_EMAIL, MEMBER_EMAIL, POPULATION, seed
from app.settings import Env, get_settings
from domain import ledger
from domain.models import DailySummary, PointTransaction, Profile, TrackerConnection, User


def _counts() -> dict[str, int]:
    with read_session() as session:
        return {
            table.__name__: session.exec(select(sa.func.count()).select_from(table)).one()
            for table in (User, Profile, TrackerConnection, DailySummary, PointTransaction)
        }


@pytest.fixture(autouse=True)
def fast_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PASSWORD_HASH_FAST", "1")
    get_settings.cache_clear()


def test_seed_creates_demo_accounts_and_population_through_the_ledger() -> None:
    first = seed(out=lambda _line: None)
    assert not first.refused and len(first.created) == POPULATION + 2
    counts = _counts()
    assert counts["User"] == POPULATION + 2 and counts["TrackerConnection"] == POPULATION + 1
    assert counts["DailySummary"] == 30 * (POPULATION + 1)
    with read_session() as session:
        admin = session.exec(select(User).where(User.email == ADMIN_EMAIL)).one()
        member = session.exec(select(User).where(User.email == MEMBER_EMAIL)).one()
        assert admin.role == "admin" and member.role == "user" and member.status == "active"
        profile = session.get(Profile, member.id)
        assert profile is not None and profile.tier_code == "F-30-39-INT" and profile.open_tier_opt_in
        assert member.points_earned > 0 and member.point_balance == member.points_earned
        tiers = {p.tier_code for p in session.exec(select(Profile)).all()}
        assert len(tiers - {None}) >= 6 and None in tiers  # several tiers plus OPEN-only members
        privacy = {p.leaderboard_privacy for p in session.exec(select(Profile)).all()}
        assert privacy == {"visible", "initials", "hidden"}
        earned = session.exec(select(sa.func.sum(PointTransaction.amount)).where(
            PointTransaction.transaction_type == "earn")).one()
        assert earned == first.points_credited > 0
    with write_session() as session:
        audit = ledger.verify_invariants(session)
        assert audit.ok, audit.problems
        assert audit.entries_checked >= POPULATION

    second = seed(out=lambda _line: None)
    assert second.created == [] and second.skipped == POPULATION + 2
    assert _counts() == counts


def test_seed_refuses_in_prod() -> None:
    prod = get_settings().model_copy(update={"env": Env.prod})
    result = seed(prod, out=lambda _line: None)
    assert result.refused and result.created == []
    with read_session(get_engine()) as session:
        assert session.exec(select(User)).all() == []
