"""The one schema of live messages on the publish/subscribe port (PRODUCT.md §5 "Live"), typed and versioned.

Every message is JSON `{"v": 1, "kind": ..., ...}` on topic `TOPIC`. Producers build them only in
`app.services.effects` (after a commit); consumers (`app.web.realtime`) decode them with `decode`, which refuses
unknown versions and kinds instead of guessing. Adding a field with a default keeps version 1; changing the meaning
of one means a new version.

Kinds:
- `points`: a member's totals changed (`point_balance`, `points_earned`, integer points). `boards` are the boards
  whose standings moved (empty when only the balance changed, e.g. a ticket purchase or an admin adjustment) and
  `platform_day` the latest platform day that moved (None without board changes).
- `drawing`: a drawing changed status (admin pages and drawing pages refresh).
- `notification`: a member's in-app inbox changed (the header bell refreshes).
- `member_status`: an admin changed a member's status (their open pages re-check access).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

TOPIC = "points"
VERSION: Literal[1] = 1


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    v: Literal[1] = VERSION


class PointsMessage(_Message):
    """A member's balance and earned points after a change; `boards` moved on `platform_day`."""

    kind: Literal["points"] = "points"
    user_id: uuid.UUID
    point_balance: int
    points_earned: int
    boards: tuple[str, ...] = ()
    platform_day: date | None = None


class DrawingMessage(_Message):
    """Drawing `drawing_id` is now in `status`."""

    kind: Literal["drawing"] = "drawing"
    drawing_id: uuid.UUID
    status: str


class NotificationMessage(_Message):
    """Member `user_id` has a new in-app notification."""

    kind: Literal["notification"] = "notification"
    user_id: uuid.UUID


class MemberStatusMessage(_Message):
    """Member `user_id` is now `status` (active, suspended, banned)."""

    kind: Literal["member_status"] = "member_status"
    user_id: uuid.UUID
    status: str


LiveMessage = Annotated[PointsMessage | DrawingMessage | NotificationMessage | MemberStatusMessage,
                        Field(discriminator="kind")]
_ADAPTER: TypeAdapter[LiveMessage] = TypeAdapter(LiveMessage)


class BadMessage(ValueError):
    """A payload that is not a valid version-1 live message."""


def encode(message: LiveMessage) -> dict[str, Any]:
    """The JSON-ready dict of `message` (UUIDs and dates as strings)."""
    return message.model_dump(mode="json")


def decode(payload: Any) -> LiveMessage:
    """Parse a payload received from the pub/sub port. Raises `BadMessage` for anything else."""
    try:
        return _ADAPTER.validate_python(payload)
    except ValidationError as exc:
        raise BadMessage(str(exc)) from exc
