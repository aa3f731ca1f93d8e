"""The unit of work (`domain.shared.uow.UnitOfWork`, issue 11 §2) on its own, without a database: `record` runs the
policy of each event at once and in order (a policy may record further events), `take_events` drains the events,
and a rollback forgets them (nothing they describe happened)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from domain.shared.events import BalanceChanged, DomainEvent, MailQueued, MailRequested, PointsCredited
from domain.shared.uow import UnitOfWork

USER = uuid.UUID(int=7)
DAY = date(2026, 3, 2)


class Recorder:
    """A policy that remembers each call with the events recorded so far (so "at once" is observable)."""

    def __init__(self) -> None:
        self.calls: list[tuple[DomainEvent, list[DomainEvent]]] = []

    def __call__(self, uow: UnitOfWork, event: DomainEvent) -> None:
        self.calls.append((event, list(uow.events)))


def test_record_runs_the_policy_at_once_for_each_event_in_order() -> None:
    policy = Recorder()
    uow = UnitOfWork(policy=policy)
    first, second = PointsCredited(USER, DAY, 40, 0), BalanceChanged(USER, 40, 40)
    uow.record(first)
    assert policy.calls == [(first, [first])]  # run during `record`, with the event already recorded
    uow.record(second, MailRequested(to="a@example.test", template="account_locked"))
    assert [event for event, _ in policy.calls] == [first, second, MailRequested("a@example.test", "account_locked")]
    assert policy.calls[1][1] == [first, second]  # the second policy ran before the third event was recorded
    assert uow.events == [first, second, MailRequested("a@example.test", "account_locked")]
    uow.close()


def test_a_policy_may_record_further_events_which_run_their_own_policy() -> None:
    message_id = uuid.UUID(int=99)
    seen: list[DomainEvent] = []

    def policy(uow: UnitOfWork, event: DomainEvent) -> None:
        seen.append(event)
        if isinstance(event, MailRequested):  # as the mail policy does: an outbox row, then `MailQueued`
            uow.record(MailQueued(message_id))

    uow = UnitOfWork(policy=policy)
    request = MailRequested(to="b@example.test", template="account_suspended")
    after = BalanceChanged(USER, 5, 5)
    uow.record(request, after)
    assert seen == [request, MailQueued(message_id), after]
    assert uow.events == [request, MailQueued(message_id), after]  # the follow-up lands right after its cause
    uow.close()


def test_a_failing_policy_raises_from_record() -> None:
    def policy(uow: UnitOfWork, event: DomainEvent) -> None:
        raise LookupError("no such prize")

    uow = UnitOfWork(policy=policy)
    with pytest.raises(LookupError, match="no such prize"):
        uow.record(BalanceChanged(USER, 1, 1))
    uow.rollback()  # what the composition root does with the failed transaction
    assert uow.events == []
    uow.close()


def test_without_a_policy_events_are_only_recorded() -> None:
    uow = UnitOfWork()
    uow.record(BalanceChanged(USER, 1, 1))
    assert uow.events == [BalanceChanged(USER, 1, 1)]
    uow.close()


def test_take_events_drains_and_rollback_forgets() -> None:
    policy = Recorder()
    uow = UnitOfWork(policy=policy)
    uow.record(BalanceChanged(USER, 10, 10), PointsCredited(USER, DAY, 10, 0))
    assert uow.take_events() == [BalanceChanged(USER, 10, 10), PointsCredited(USER, DAY, 10, 0)]
    assert uow.events == [] and uow.take_events() == []
    uow.record(BalanceChanged(USER, 20, 20))
    uow.rollback()
    assert uow.events == [] and uow.take_events() == []  # a rolled-back change has no consequences
    uow.record(BalanceChanged(USER, 30, 30))  # the unit of work stays usable after a rollback
    assert uow.events == [BalanceChanged(USER, 30, 30)]
    assert len(policy.calls) == 4  # every record ran its policy, rolled back or not
    uow.close()


def test_objects_stay_usable_after_commit_by_default() -> None:
    assert UnitOfWork().expire_on_commit is False
    assert UnitOfWork(expire_on_commit=True).expire_on_commit is True
