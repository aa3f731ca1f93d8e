"""`/profile` — the member's profile (PRODUCT.md §3, §5): display name, biological sex, fitness level, height,
weight, goals, time zone, leaderboard privacy and Open-tier opt-in. The tier is shown prominently and follows the
saved values (computed by `domain.accounts.profiles`, never by the page). Date of birth and state are read-only; a state
change is a request to support (the "Request a state change" dialog).

Saving goes through `app.services.profiles.save_profile` (the same path as `PUT /api/v1/users/me/profile`); a refused
value is shown under its field. Enter in any text field saves.
"""

from __future__ import annotations

from typing import Any

from nicegui import ui

from app.services.profiles import save_profile, submit_state_change
from components.page import PageContext, member_page
from domain.accounts import profiles, tiers
from domain.accounts.eligibility import ELIGIBLE_STATES
from domain.models import Profile
from domain.shared.errors import DomainError

NOT_STATED = "-"
SEX_OPTIONS = {"F": "Female", "M": "Male", NOT_STATED: "Prefer not to say (Open tier only)"}
LEVEL_OPTIONS = {"BEG": "Beginner", "INT": "Intermediate", "ADV": "Advanced"}
PRIVACY_OPTIONS = {"visible": "Show my name", "initials": "Initials only", "hidden": "Hidden"}
GOAL_FIELDS = (("daily_steps", "Daily step goal", 0, 100_000), ("weekly_active_minutes", "Weekly active minutes",
                                                                 0, 5_000))


def tier_text(tier_code: str | None, open_tier_opt_in: bool) -> tuple[str, str]:
    """The tier headline and its caption, e.g. ("F-30-39-INT", "Competing in F-30-39-INT and OPEN")."""
    boards = tiers.boards_for(tier_code, open_tier_opt_in)
    headline = tier_code or tiers.OPEN_TIER
    if tier_code is None:
        return headline, "Open tier only (biological sex not stated)"
    return headline, "Competing in " + " and ".join(boards)


def _number(value: Any) -> float | None:
    return None if value in (None, "") else float(value)


class profile_view:  # noqa: N801
    """The profile form, filled from a `Profile`; `save()` sends every field and shows the result in place."""

    def __init__(self, ctx: PageContext, profile: Profile) -> None:
        self.ctx = ctx
        self.user_id = profile.user_id
        self.goals: dict[str, Any] = dict(profile.goals or {})
        with ui.card().props("flat").classes("ft-card w-full p-4 gap-1"):
            ui.label("Your tier").classes("text-sm text-slate-500")
            headline, caption = tier_text(profile.tier_code, profile.open_tier_opt_in)
            self.tier = ui.label(headline).classes("text-3xl font-bold ft-num").mark("tier")
            self.tier_caption = ui.label(caption).classes("text-sm text-slate-600").mark("tier-caption")

        with ui.card().props("flat").classes("ft-card w-full p-4 gap-3"):
            with ui.element("div").classes("grid grid-cols-1 sm:grid-cols-2 gap-3 w-full"):
                self.fields: dict[str, Any] = {}
                self.fields["display_name"] = ui.input("Display name", value=profile.display_name) \
                    .props("outlined maxlength=64 autocomplete=nickname").mark("display_name")
                self.fields["biological_sex"] = ui.select(
                    SEX_OPTIONS, label="Biological sex", value=profile.biological_sex or NOT_STATED) \
                    .props("outlined").mark("biological_sex")
                self.fields["fitness_level"] = ui.select(
                    LEVEL_OPTIONS, label="Fitness level", value=profile.fitness_level) \
                    .props("outlined").mark("fitness_level")
                self.fields["timezone"] = ui.select(
                    sorted(_zones()), label="Time zone", value=profile.timezone, with_input=True) \
                    .props("outlined").mark("timezone")
                self.fields["height_inches"] = ui.number(
                    "Height (in)", value=profile.height_inches, min=36, max=96, step=0.5) \
                    .props("outlined").mark("height_inches")
                self.fields["weight_pounds"] = ui.number(
                    "Weight (lb)", value=profile.weight_pounds, min=50, max=700, step=0.5) \
                    .props("outlined").mark("weight_pounds")
                self.goal_inputs = {
                    key: ui.number(label, value=self.goals.get(key), min=low, max=high, step=1, precision=0)
                    .props("outlined").mark(f"goal-{key}")
                    for key, label, low, high in GOAL_FIELDS
                }
                self.fields["leaderboard_privacy"] = ui.select(
                    PRIVACY_OPTIONS, label="Leaderboard name", value=profile.leaderboard_privacy) \
                    .props("outlined").mark("leaderboard_privacy")
                self.fields["open_tier_opt_in"] = ui.switch(
                    "Also compete in the Open tier", value=profile.open_tier_opt_in).mark("open_tier_opt_in")
            for element in self.fields.values():
                if isinstance(element, ui.input | ui.number):
                    element.on("keydown.enter", self.save)
            with ui.row().classes("w-full items-center gap-3"):
                self.save_button = ui.button("Save profile", icon="save", on_click=self.save) \
                    .props("unelevated").mark("save")
                self.status = ui.label("").classes("text-sm").mark("status")

        with ui.card().props("flat").classes("ft-card w-full p-4 gap-2"):
            ui.label("Set at registration").classes("text-base font-semibold")
            with ui.element("div").classes("grid grid-cols-1 sm:grid-cols-2 gap-2 w-full"):
                with ui.column().classes("gap-0"):
                    ui.label("Date of birth").classes("text-xs text-slate-500")
                    ui.label(profile.date_of_birth.strftime("%B %-d, %Y")).mark("date_of_birth")
                with ui.column().classes("gap-0"):
                    ui.label("State").classes("text-xs text-slate-500")
                    ui.label(profile.state_code).mark("state_code")
            ui.label("Date of birth cannot be changed. Moved? Ask support to change your state.") \
                .classes("text-sm text-slate-500")
            ui.button("Request a state change", icon="support_agent", on_click=self.open_state_dialog) \
                .props("outline").mark("state-request")
        self._build_state_dialog(profile.state_code)

    # ------------------------------------------------------------------------------------------ state request
    def _build_state_dialog(self, current_state: str) -> None:
        with ui.dialog() as self.state_dialog, ui.card().classes("w-full max-w-md gap-3"):
            ui.label("Request a state change").classes("text-lg font-semibold")
            ui.label("Support reviews every request. NY, FL and RI are not eligible.").classes("text-sm")
            self.new_state = ui.select(sorted(ELIGIBLE_STATES - {current_state}), label="New state",
                                       with_input=True).props("outlined autofocus").mark("new-state")
            self.reason = ui.textarea("Reason (optional)").props("outlined maxlength=500").mark("reason")
            with ui.row().classes("w-full justify-end gap-2"):
                ui.button("Cancel", on_click=self.state_dialog.close).props("flat")
                ui.button("Send request", on_click=self.send_state_request).props("unelevated") \
                    .mark("send-state-request")

    def open_state_dialog(self) -> None:
        self.new_state.props(remove="error error-message")
        self.state_dialog.open()

    async def send_state_request(self) -> None:
        if await self.ctx.member() is None:
            return
        try:
            await self.ctx.call(submit_state_change, self.user_id, self.new_state.value or "", self.reason.value)
        except DomainError as exc:
            self.new_state.props(f'error error-message="{_attr(exc.detail)}"')
            ui.notify(exc.detail, type="warning")
            return
        self.state_dialog.close()
        ui.notify("State change request sent to support", type="positive")

    # ---------------------------------------------------------------------------------------------- saving
    def _changes(self) -> profiles.ProfileUpdate:
        goals = dict(self.goals)
        for key, element in self.goal_inputs.items():
            if element.value in (None, ""):
                goals.pop(key, None)
            else:
                goals[key] = int(element.value)
        sex = self.fields["biological_sex"].value
        return profiles.ProfileUpdate(
            display_name=self.fields["display_name"].value or "",
            biological_sex=None if sex in (None, NOT_STATED) else sex,
            fitness_level=self.fields["fitness_level"].value,
            timezone=self.fields["timezone"].value or "",
            height_inches=_number(self.fields["height_inches"].value),
            weight_pounds=_number(self.fields["weight_pounds"].value),
            goals=goals,
            leaderboard_privacy=self.fields["leaderboard_privacy"].value,
            open_tier_opt_in=bool(self.fields["open_tier_opt_in"].value),
        )

    def _clear_errors(self) -> None:
        for element in self.fields.values():
            element.props(remove="error error-message")

    async def save(self) -> None:
        if self.save_button.props.get("loading"):
            return
        if await self.ctx.member() is None:
            return
        self._clear_errors()
        self.save_button.props("loading")
        try:
            profile = await self.ctx.call(save_profile, self.user_id, self._changes())
        except DomainError as exc:
            field = exc.extra.get("field")
            element = self.fields.get(field) if isinstance(field, str) else None
            if element is not None:
                element.props(f'error error-message="{_attr(exc.detail)}"')
            self.status.set_text(exc.detail)
            self.status.classes(replace="text-sm text-negative")
            return
        finally:
            self.save_button.props(remove="loading")
        self.goals = dict(profile.goals or {})
        headline, caption = tier_text(profile.tier_code, profile.open_tier_opt_in)
        self.tier.set_text(headline)
        self.tier_caption.set_text(caption)
        self.status.set_text("Saved")
        self.status.classes(replace="text-sm text-positive")
        ui.notify("Profile saved", type="positive")


def _attr(text: str) -> str:
    return text.replace('"', "'")


def _zones() -> list[str]:
    from zoneinfo import available_timezones

    return [z for z in available_timezones() if "/" in z or z == "UTC"]


@member_page("/profile", title="Profile")
async def profile_page(ctx: PageContext) -> None:
    try:
        profile = await ctx.read(profiles.get_profile, ctx.member_id)
    except DomainError as exc:
        ui.label(exc.detail).classes("text-negative")
        return
    profile_view(ctx, profile)
