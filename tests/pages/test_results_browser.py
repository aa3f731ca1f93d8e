"""The public results page's ticket browser (issue 12 §5): the frozen list is shown one bounded page at a time (read
with `domain.sweepstakes.drawings.ticket_page` on each page change, never the whole list), the page size can change
within its bounds, and the download button names the whole list's size."""

from __future__ import annotations

from datetime import timedelta

from nicegui import ui
from nicegui.testing import User as SimulatedUser

from domain.shared.types import utcnow
from domain.sweepstakes import drawings, tickets
from tests.support.db import write_session
from tests.support.drawings import admin, eligible_member, open_drawing


def _element(user: SimulatedUser, marker: str) -> ui.element:
    elements = user.find(marker=marker).elements
    assert elements, marker
    return next(iter(elements))


async def test_the_ticket_list_is_browsed_page_by_page(user: SimulatedUser) -> None:
    with write_session() as session:
        drawing = open_drawing(session, admin(session), cost=1, name="Big Draw")
        members = [eligible_member(session, points=200, display_name=f"Runner {k}") for k in range(2)]
        tickets.purchase(session, user_id=members[0], drawing_id=drawing.id, quantity=100, idempotency_key="a")
        tickets.purchase(session, user_id=members[1], drawing_id=drawing.id, quantity=50, idempotency_key="b")
        drawings.execute_drawing(session, drawing.id, clock=lambda: utcnow() + timedelta(hours=2))
        drawing_id = drawing.id
    with write_session() as session:
        lines = drawings.ticket_page(session, drawing_id, page=1, limit=drawings.TICKETS_MAX_LIMIT)
    assert len(lines) == 150

    await user.open(f"/results/{drawing_id}")
    await user.should_see("Download ticket list (150 tickets)")
    await user.should_see("Tickets 1–100 of 150", retries=300)
    assert _element(user, "ticket-lines").text == "\n".join(lines[:100])  # type: ignore[attr-defined]

    _element(user, "ticket-pager").set_value(2)  # type: ignore[attr-defined]
    await user.should_see("Tickets 101–150 of 150", retries=300)
    assert _element(user, "ticket-lines").text == "\n".join(lines[100:])  # type: ignore[attr-defined]

    _element(user, "ticket-limit").set_value(500)  # type: ignore[attr-defined]
    await user.should_see("Tickets 1–150 of 150", retries=300)
    assert _element(user, "ticket-lines").text == "\n".join(lines)  # type: ignore[attr-defined]
    await user.should_not_see(marker="ticket-pager")  # one page: no pager
