"""Drawing use cases shared by the admin API (`app/api/admin_drawings.py`) and the admin drawing pages (PRODUCT.md §6,
§7): the admin's "execute now". Blocking: call from a worker thread.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from domain.models import Drawing
from domain.sweepstakes import editor

if TYPE_CHECKING:
    from app.system import System

EXECUTE_TASK = "execute_drawing"  # the idempotent draw task the every-minute schedule runs too (tasks.drawings)


def enqueue_execution(system: System, drawing_id: uuid.UUID) -> None:
    """Enqueue the draw of `drawing_id` (task `execute_drawing`, idempotent: a drawing is drawn once however often it
    is enqueued). Raises what the queue raises (e.g. `app.adapters.jobs.UnknownTask` before the tasks are
    registered)."""
    system.jobs.enqueue(EXECUTE_TASK, str(drawing_id))


def request_execution(system: System, drawing_id: uuid.UUID, *, admin_id: uuid.UUID,
                      ip_address: str | None = None) -> Drawing:
    """The admin's "execute now": `domain.sweepstakes.editor.request_execution` (checks sales have closed, audits
    `drawing.execute_requested`) in its own unit of work, then `enqueue_execution` after the commit. Returns the
    drawing. Raises NotFound, Conflict (sales still open, already drawn, cancelled); nothing is enqueued then."""
    with system.uow() as uow:
        drawing = editor.request_execution(uow, drawing_id, admin_id=admin_id, ip_address=ip_address,
                                           clock=system.clock)
    enqueue_execution(system, drawing_id)
    return drawing
