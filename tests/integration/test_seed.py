"""app.cli.seed: the full demo data of PRODUCT.md §9 — deterministic, idempotent, through the real ingest path and the
real ledger, sweepstakes rows that follow §6 (completed drawings recompute with domain.sweepstakes.recipe); never in
prod."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.cli.seed import (
    ADMIN_EMAIL,
    MEMBER_EMAIL,
    member_specs,
    seed,
    seed_counts,
    synthetic_workouts,
)
from app.cli.seed_sweepstakes import DRAWINGS, seed_server_seed, seed_uuid
from app.settings import Env
from app.system import System
from domain.accounts import tiers
from domain.models import (
    Activity,
    Drawing,
    PointTransaction,
    Prize,
    PrizeFulfillment,
    Profile,
    Ticket,
    TrackerConnection,
    User,
)
from domain.points import ledger
from domain.shared.calendar import platform_day
from domain.shared.enums import DrawingStatus, DrawingType, FulfillmentStatus
from domain.sweepstakes import recipe
from tests.support.db import read_session, write_session
from tests.support.jobs import ensure_tasks

# A fixed moment whose 30-day window spans the DST change of 8 March 2026 (America/New_York).
NOW = datetime(2026, 3, 20, 16, 30, tzinfo=UTC)


def clock() -> datetime:
    return NOW


def _balances(session: Session) -> dict[str, tuple[int, int]]:
    return {u.email: (u.point_balance, u.points_earned) for u in session.exec(select(User)).all()}


def _check_members(session: Session) -> None:
    admin = session.exec(select(User).where(User.email == ADMIN_EMAIL)).one()
    member = session.exec(select(User).where(User.email == MEMBER_EMAIL)).one()
    assert admin.role == "admin" and member.role == "user" and member.status == "active"
    profile = session.get(Profile, member.id)
    assert profile is not None and profile.tier_code == "F-30-39-INT" and profile.open_tier_opt_in
    assert member.points_earned > 0 and member.point_balance <= member.points_earned
    rows = session.exec(select(Profile, User).join(User, col(User.id) == col(Profile.user_id))
                        .where(User.role != "admin")).all()
    tier_codes = {p.tier_code for p, _ in rows}
    assert set(tiers.ALL_TIERS) <= tier_codes and None in tier_codes  # all 30 tiers + OPEN-only members
    boards = Counter(b for p, _ in rows for b in tiers.boards_for(p.tier_code, p.open_tier_opt_in))
    assert all(boards[code] >= 1 for code in tiers.BOARD_CODES) and len(tiers.BOARD_CODES) == 31
    with_points = {p.tier_code for p, u in rows if u.points_earned > 0}
    assert set(tiers.ALL_TIERS) | {None} <= with_points  # every board has someone with activity
    assert {p.leaderboard_privacy for p, _ in rows} == {"visible", "initials", "hidden"}

    connections = session.exec(select(TrackerConnection)).all()
    per_member = defaultdict(list)
    for conn in connections:
        per_member[conn.user_id].append(conn)
    assert len(per_member[member.id]) == 2
    assert sum(len(c) == 2 for c in per_member.values()) >= 3
    assert all(sum(c.is_primary for c in conns) == 1 for conns in per_member.values())


def _check_activities(session: Session) -> None:
    activities = session.exec(select(Activity)).all()
    assert len(activities) >= 500
    days = {a.platform_day for a in activities}
    today = platform_day(NOW)
    assert min(days) >= today - timedelta(days=29) and max(days) < today
    duplicates = 0
    by_user = defaultdict(list)
    for a in activities:
        by_user[a.user_id].append(a)
    for sessions in by_user.values():
        for a in sessions:
            duplicates += sum(1 for b in sessions if b.connection_id != a.connection_id and b.id > a.id
                              and b.activity_type == a.activity_type
                              and b.start_time < a.end_time and a.start_time < b.end_time)
    assert 3 <= duplicates <= 30  # "a few" cross-device duplicates
    assert len(activities) - duplicates >= 500  # distinct workout sessions


def _check_tickets(session: Session) -> None:
    drawings = {d.id: d for d in session.exec(select(Drawing)).all()}
    tickets = session.exec(select(Ticket)).all()
    spends = {e.id: e for e in session.exec(select(PointTransaction).where(
        PointTransaction.transaction_type == "spend")).all()}
    by_drawing = defaultdict(list)
    per_purchase = Counter(t.purchase_transaction_id for t in tickets if not t.is_free_entry)
    for t in tickets:
        by_drawing[t.drawing_id].append(t)
        if t.is_free_entry:
            assert t.purchase_transaction_id is None
        else:
            assert t.purchase_transaction_id is not None
            entry = spends[t.purchase_transaction_id]
            assert entry.user_id == t.user_id and entry.reference_id == str(t.drawing_id)
            assert entry.amount == -drawings[t.drawing_id].ticket_cost_points * per_purchase[entry.id]
    assert len(spends) == len(per_purchase)  # every spend bought tickets
    assert any(t.is_free_entry for t in tickets)
    for drawing_id, rows in by_drawing.items():
        assert sorted(t.ticket_number for t in rows) == list(range(1, len(rows) + 1))
        assert drawings[drawing_id].total_tickets == len(rows)
        free = Counter(t.user_id for t in rows if t.is_free_entry)
        assert all(n == 1 for n in free.values())  # one free entry per member per drawing
        assert {t.user_id for t in rows}.isdisjoint(
            session.exec(select(User.id).where(User.role == "admin")).all())


def _check_drawings(session: Session) -> None:
    drawings = session.exec(select(Drawing)).all()
    assert {d.status for d in drawings} == {s.value for s in DrawingStatus}
    assert {d.drawing_type for d in drawings} == {t.value for t in DrawingType}
    prizes = session.exec(select(Prize)).all()
    assert any(p.value_usd >= 600 for p in prizes) and any(p.sponsor_id for p in prizes)
    assert {p.fulfillment_type for p in prizes} == {"digital", "physical"}
    for d in drawings:
        opened = d.status in ("open", "closed", "completed", "cancelled")
        assert (d.seed_commitment is not None) == opened
        assert (d.ticket_list_hash is not None) == (d.status in ("closed", "completed"))
        assert (d.server_seed_hex is not None) == (d.status in ("open", "closed", "completed"))  # secret until drawn
        tickets = session.exec(select(Ticket).where(Ticket.drawing_id == d.id)).all()
        assert (len(tickets) > 0) == (d.status in ("open", "closed", "completed"))
        if d.status != "completed":
            assert not any(t.is_winner for t in tickets)
            continue
        # Anyone can recompute a completed drawing from what is published (PRODUCT.md §6).
        assert d.server_seed_hex is not None and d.results is not None
        server_seed = bytes.fromhex(d.server_seed_hex)
        assert hashlib.sha256(server_seed).hexdigest() == d.seed_commitment
        entries = [recipe.Entry.of(t.ticket_number, t.user_id) for t in tickets]
        assert recipe.ticket_list_hash(entries) == d.ticket_list_hash
        drawing_prizes = session.exec(select(Prize).where(Prize.drawing_id == d.id)).all()
        units = recipe.prize_units([(p.prize_rank, p, p.quantity) for p in drawing_prizes])
        alternates = d.results["alternates"]
        result = recipe.draw(server_seed, d.id, entries, len(units), alternates=len(alternates))
        assert [(w["ticket_number"], w["user_id"], w["prize_id"]) for w in d.results["winners"]] == [
            (e.ticket_number, e.user_id, str(p.id)) for e, p in zip(result.winners, units, strict=True)]
        assert [(a["ticket_number"], a["user_id"]) for a in alternates] == [
            (e.ticket_number, e.user_id) for e in result.alternates]
        assert len({w["user_id"] for w in [*d.results["winners"], *alternates]}) == len(units) + len(alternates)
        assert {t.ticket_number for t in tickets if t.is_winner} == {
            e.ticket_number for e in (*result.winners, *result.alternates)}


def _check_fulfillments(session: Session) -> None:
    rows = session.exec(select(PrizeFulfillment)).all()
    assert len(rows) == 10
    assert {f.status for f in rows} == {s.value for s in FulfillmentStatus}
    for f in rows:
        ticket = session.get(Ticket, f.ticket_id)
        prize = session.get(Prize, f.prize_id)
        assert ticket is not None and prize is not None and ticket.is_winner and ticket.user_id == f.user_id
        drawing = session.get(Drawing, ticket.drawing_id)
        assert drawing is not None and drawing.status == "completed" and prize.drawing_id == drawing.id
        assert f.tax_form_needed == (prize.value_usd >= 600)
        stamps = [f.notified_at, f.address_confirmed_at, f.shipped_at, f.delivered_at, f.forfeit_at]
        assert all(s is None or s <= NOW for s in stamps)
        if f.status == "shipped":
            assert f.carrier and f.tracking_number and f.shipping_address
        if f.status == "forfeited":
            assert f.forfeit_at is not None and f.address_confirmed_at is None
    assert any(f.tax_form_needed for f in rows)


def test_full_seed_counts_rules_and_idempotency(system: System) -> None:
    ensure_tasks(system)  # follow-up work (mail sends) is queued by name, as in the app
    first = seed(system, clock=clock, out=lambda _line: None)
    assert not first.refused and len(first.created) == 68 and first.sweepstakes_created
    counts = first.counts
    assert (counts["admins"], counts["premium members"], counts["regular members"]) == (3, 15, 50)
    assert counts["boards populated"] == 31 and counts["tracker connections"] == 60
    assert counts["activities"] >= 500 and counts["ledger entries"] >= 1_000
    assert (counts["sponsors"], counts["drawings"], counts["prizes"], counts["fulfillments"]) == (5, 15, 20, 10)
    assert (counts["drawing statuses"], counts["drawing types"], counts["fulfillment statuses"]) == (6, 4, 7)
    assert counts["tickets"] >= 200 and counts["spend entries"] > 0 and counts["free entries"] > 0
    with read_session() as session:
        _check_members(session)
        _check_activities(session)
        _check_tickets(session)
        _check_drawings(session)
        _check_fulfillments(session)
        earned = session.exec(select(sa.func.sum(PointTransaction.amount)).where(
            PointTransaction.transaction_type == "earn")).one()
        assert earned == first.points_credited > 0
        balances = _balances(session)
    with write_session() as session:
        audit = ledger.verify_invariants(session)
        assert audit.ok, audit.problems
        assert audit.entries_checked == counts["ledger entries"]

    second = seed(system, clock=lambda: NOW + timedelta(hours=2), out=lambda _line: None)
    assert second.created == [] and second.skipped == 68 and not second.sweepstakes_created
    assert second.payloads_applied == 0 and second.counts == counts
    with read_session() as session:
        assert _balances(session) == balances
        assert seed_counts(session) == counts


def test_seed_plan_is_deterministic() -> None:
    today = platform_day(NOW)
    specs = member_specs(today)
    assert specs == member_specs(today)
    assert len({s.email for s in specs}) == len(specs) == 68
    assert sum(s.provider is not None for s in specs) + sum(s.second_provider is not None for s in specs) == 60
    assert [synthetic_workouts(s, today) for s in specs] == [synthetic_workouts(s, today) for s in specs]
    assert seed_server_seed(20160412, 3) == seed_server_seed(20160412, 3) != seed_server_seed(20160412, 4)
    assert len(seed_server_seed(20160412, 0)) == 32 and seed_uuid("drawing", 0) == seed_uuid("drawing", 0)
    assert len(DRAWINGS) == 15 and sum(len(p.prizes) for p in DRAWINGS) == 20


def test_seed_refuses_in_prod(system: System, system_factory: Callable[..., System]) -> None:
    prod = system_factory(env=Env.prod, storage_secret="a-real-secret-for-this-test")
    assert prod.settings.database_url == system.settings.database_url
    result = seed(prod, out=lambda _line: None)
    assert result.refused and result.created == []
    with read_session(system) as session:
        assert session.exec(select(User)).all() == []
        assert session.exec(select(Drawing)).all() == []
