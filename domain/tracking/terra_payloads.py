"""Lenient pydantic models of Terra webhook bodies (notes/terra.md §2.3–2.4).

Only the fields FitTrack uses are declared; everything else is kept (`extra="allow"`). Numbers are floats where
Terra sends floats; `metadata.type` 0 is a valid activity type (never test it for truthiness). `parse_event` checks
the shape of the event types FitTrack handles and raises `InvalidInput` with the failing field for a wrong shape.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from domain.shared.errors import InvalidInput

DATA_EVENTS = {"daily", "activity"}
CONNECTION_EVENTS = {"auth", "deauth", "user_reauth", "access_revoked", "connection_error"}
HANDLED_EVENTS = DATA_EVENTS | CONNECTION_EVENTS


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow")


class TerraUser(_Lenient):
    user_id: str
    provider: str | None = None
    reference_id: str | None = None
    scopes: str | None = None
    active: bool | None = None


class DailyMetadata(_Lenient):
    start_time: str
    end_time: str | None = None
    upload_type: float | None = None


class DailyDistance(_Lenient):
    steps: float | None = None
    distance_meters: float | None = None


class ActiveDurations(_Lenient):
    activity_seconds: float | None = None
    low_intensity_seconds: float | None = None
    moderate_intensity_seconds: float | None = None
    vigorous_intensity_seconds: float | None = None
    inactivity_seconds: float | None = None


class CaloriesData(_Lenient):
    total_burned_calories: float | None = None


class DailyItem(_Lenient):
    metadata: DailyMetadata
    distance_data: DailyDistance | None = None
    active_durations_data: ActiveDurations | None = None
    calories_data: CaloriesData | None = None


class ActivityMetadata(_Lenient):
    summary_id: str
    start_time: str
    end_time: str
    type: float | None = None
    upload_type: float | None = None
    name: str | None = None


class ActivityDistanceSummary(_Lenient):
    steps: float | None = None
    distance_meters: float | None = None


class ActivityDistance(_Lenient):
    summary: ActivityDistanceSummary | None = None


class ActivityItem(_Lenient):
    metadata: ActivityMetadata
    distance_data: ActivityDistance | None = None
    active_durations_data: ActiveDurations | None = None
    calories_data: CaloriesData | None = None


class TerraEnvelope(_Lenient):
    """What every Terra webhook has: a string `type`. Unknown event types are validated only this far."""

    type: str


class TerraEvent(TerraEnvelope):
    """The envelope of the event types FitTrack handles: `type`, optional `user`, and event-specific fields."""

    user: TerraUser | None = None
    status: str | None = None
    message: str | None = None
    reference_id: str | None = None
    data: list[dict[str, Any]] | None = None
    new_user: TerraUser | None = None
    old_user: TerraUser | None = None


class DailyEvent(TerraEvent):
    user: TerraUser
    data: list[DailyItem]  # type: ignore[assignment]


class ActivityEvent(TerraEvent):
    user: TerraUser
    data: list[ActivityItem]  # type: ignore[assignment]


class UserEvent(TerraEvent):
    user: TerraUser


class ReauthEvent(TerraEvent):
    new_user: TerraUser
    old_user: TerraUser


_MODELS: dict[str, type[TerraEvent]] = {
    "daily": DailyEvent, "activity": ActivityEvent, "auth": TerraEvent, "deauth": UserEvent,
    "access_revoked": UserEvent, "connection_error": UserEvent, "user_reauth": ReauthEvent,
}


def parse_event(body: Any) -> TerraEnvelope:
    """Validate a decoded webhook body. Handled types get their full model; unknown types only need `type`.

    Raises `InvalidInput` (with `errors`: list of `{"field", "message"}`) when the shape is wrong."""
    if not isinstance(body, dict):
        raise InvalidInput(
            "the webhook body must be a JSON object", errors=[{"field": "body", "message": "not an object"}]
        )
    event_type = body.get("type")
    model: type[TerraEnvelope] = (
        _MODELS.get(event_type, TerraEnvelope) if isinstance(event_type, str) else TerraEnvelope
    )
    if event_type == "auth" and body.get("status") == "success":
        model = UserEvent
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        errors = [{"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"]} for e in exc.errors()]
        raise InvalidInput(f"the {event_type or 'webhook'} payload has a wrong shape", errors=errors) from None
