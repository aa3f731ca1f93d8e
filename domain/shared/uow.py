"""The unit of work (Architecture Patterns with Python, ch. 6 and 8): one database transaction plus the domain events
its services recorded.

`UnitOfWork` *is* the SQLModel `Session` of that transaction (services query and add rows through it as before),
with `record(event)` on top. It is opened by the composition root (`app.system.System.uow`) with the policies of
`app.services.effects` attached: `record` runs an event's policy at once, inside the transaction (a win creates its
fulfillment before `execute_drawing` returns). After the commit the composition root hands the recorded events to
the after-commit effects. A rollback forgets the events.

Services that only read take a plain `Session`; services that change state with consequences outside the database
take a `UnitOfWork` and record what happened (`domain.shared.events`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from sqlmodel import Session

from domain.shared.events import DomainEvent


class UnitOfWork(Session):
    """A write transaction (a `Session` with `expire_on_commit=False`) that collects domain events.

    - `record(*events)`: remember events in order and run each one's policy now (`policy(uow, event)`, given at
      construction; None = no policies);
    - `take_events()`: the events recorded since the last call (the dispatcher drains them);
    - `before_commit(key, work)`: run `work(uow)` once just before the commit (batched policy work, e.g. one
      standings refresh for all the days a delivery credited instead of one per day);
    - `rollback()` also forgets every recorded event and pending pre-commit work."""

    def __init__(self, *args: Any, policy: Callable[[UnitOfWork, DomainEvent], None] | None = None,
                 **kwargs: Any) -> None:
        kwargs.setdefault("expire_on_commit", False)
        super().__init__(*args, **kwargs)
        self.events: list[DomainEvent] = []
        self._policy = policy
        self._before_commit: dict[Hashable, Callable[[UnitOfWork], None]] = {}

    def record(self, *events: DomainEvent) -> None:
        """Record `events` (in order) for the effects after the commit, running each one's policy first (inside this
        transaction; a policy may record further events). Raises whatever a policy raises."""
        for event in events:
            self.events.append(event)
            if self._policy is not None:
                self._policy(self, event)

    def before_commit(self, key: Hashable, work: Callable[[UnitOfWork], None]) -> None:
        """Run `work(self)` once, inside the transaction, just before it commits; a second registration under the
        same `key` before then is ignored (the first `work` sees everything collected meanwhile)."""
        self._before_commit.setdefault(key, work)

    def commit(self) -> None:
        """Run the pending pre-commit work (in registration order; work may register more), then commit."""
        while self._before_commit:
            key = next(iter(self._before_commit))
            self._before_commit.pop(key)(self)
        super().commit()

    def take_events(self) -> list[DomainEvent]:
        """Return the events recorded so far and forget them."""
        taken, self.events = self.events, []
        return taken

    def rollback(self) -> None:
        """Roll the transaction back and forget its events and pending pre-commit work (nothing they describe
        happened)."""
        self.events = []
        self._before_commit = {}
        super().rollback()
