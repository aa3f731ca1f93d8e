"""Admin drawing pages (issue 7 §1, PRODUCT.md §6–§7):

- `/admin/drawings` — every drawing, newest first, filterable by status and type and searchable by name; prize units,
  prize value and tickets sold per drawing; "New drawing".
- `/admin/drawings/new` — the draft editor: type, name, description, ticket cost, schedule (open, sales close,
  drawing time, entered in the platform time zone, America/New_York), the eligibility builder (tiers, roles,
  minimum account age, with a plain-language summary) and the official rules (Markdown, with a live preview).
- `/admin/drawings/{id}` — the same editor while the drawing is `draft` or `scheduled` (frozen from `open` on),
  prizes (add / edit / remove, picture upload resized with Pillow), publish / cancel (with a reason) / delete draft /
  execute now (only once sales have closed), the results (seed commitment, ticket-list hash, server seed, winners)
  and the drawing's audit record.

Every action asks for confirmation and goes through `domain.sweepstakes.editor` / `domain.sweepstakes.drawings` (audited
there; "execute now" through `app.services.drawings`), each in one unit of work. Admins only: the page guard refuses
other roles on `/admin*`, and every event handler goes through the admin guard (`PageContext.guard`: UI events bypass
HTTP middleware).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nicegui import background_tasks, events, run, ui
from sqlmodel import Session

from app.adapters import images
from app.services import drawings as drawing_actions
from components.dialogs import ask_reason, confirm
from components.notice import notice
from components.page import PageContext, admin_page
from components.paged_list import paged_list
from components.sweepstakes import ADMIN_STATUS_COLORS as STATUS_COLORS
from components.sweepstakes import TZ_LABEL
from components.sweepstakes import eastern_time as local_time
from components.theme import NO_DATA_SLOT, money
from domain.accounts.tiers import BOARD_CODES
from domain.models import AuditLog, Drawing
from domain.shared.calendar import PLATFORM_TZ
from domain.shared.enums import DrawingStatus, DrawingType, FulfillmentType
from domain.shared.errors import DomainError, InvalidInput
from domain.sweepstakes import drawings, editor, fulfillment, sponsors
from domain.sweepstakes.drawings import DrawResults
from domain.sweepstakes.editor import DrawingDetail, DrawingFields, PrizeFields, PrizeRow

STATUSES = {"": "All statuses", **{s.value: s.value.capitalize() for s in DrawingStatus}}
TYPES = {"": "All types", **{t.value: t.value.capitalize() for t in DrawingType}}
TYPE_OPTIONS = {t.value: t.value.capitalize() for t in DrawingType}
DELIVERY = {FulfillmentType.physical.value: "Physical (shipped)", FulfillmentType.digital.value: "Digital (code)"}
ROLE_OPTIONS = {"user": "Member", "premium": "Premium", "admin": "Admin"}
INPUT_FORMAT = "%Y-%m-%dT%H:%M"  # <input type=datetime-local>
RULES_PLACEHOLDER = "# Official rules\n\nNO PURCHASE NECESSARY. …"
WIDE = "max-sm:hidden"
COLUMNS = [
    {"name": "name", "label": "Drawing", "field": "name", "align": "left"},
    {"name": "type", "label": "Type", "field": "type", "align": "left", "headerClasses": WIDE},
    {"name": "status", "label": "Status", "field": "status", "align": "left", "headerClasses": WIDE},
    {"name": "drawing_time", "label": "Draws", "field": "drawing_time", "align": "left", "headerClasses": WIDE},
    {"name": "cost", "label": "Ticket", "field": "cost", "align": "right", "headerClasses": WIDE},
    {"name": "tickets", "label": "Tickets", "field": "tickets", "align": "right", "headerClasses": WIDE},
    {"name": "prizes", "label": "Prizes", "field": "prizes", "align": "right", "headerClasses": WIDE},
]
ROW = r"""
<q-tr :props="props">
  <q-td key="name" :props="props" class="max-sm:whitespace-normal">
    <a :href="props.row.href" class="font-medium text-primary no-underline hover:underline">{{ props.row.name }}</a>
    <div class="sm:hidden text-xs text-slate-500 pt-1">
      <q-badge :color="props.row.status_color" :label="props.row.status" class="mr-1" />
      {{ props.row.type }} · draws {{ props.row.drawing_time }}<br>
      {{ props.row.cost }} pts/ticket · {{ props.row.tickets }} tickets · {{ props.row.prizes }}</div></q-td>
  <q-td key="type" :props="props" class="max-sm:hidden">{{ props.row.type }}</q-td>
  <q-td key="status" :props="props" class="max-sm:hidden">
    <q-badge :color="props.row.status_color" :label="props.row.status" /></q-td>
  <q-td key="drawing_time" :props="props" class="whitespace-nowrap text-slate-600 max-sm:hidden">
    {{ props.row.drawing_time }}</q-td>
  <q-td key="cost" :props="props" class="ft-num max-sm:hidden">{{ props.row.cost }} pts</q-td>
  <q-td key="tickets" :props="props" class="ft-num max-sm:hidden">{{ props.row.tickets }}</q-td>
  <q-td key="prizes" :props="props" class="ft-num max-sm:hidden">{{ props.row.prizes }}</q-td>
</q-tr>
"""


# ------------------------------------------------------------------------------------------------------- helpers
def input_time(moment: datetime | None) -> str:
    return moment.astimezone(PLATFORM_TZ).strftime(INPUT_FORMAT) if moment else ""


def parse_input_time(text: str | None, field: str, label: str, *, required: bool) -> datetime | None:
    """A `datetime-local` value in the platform time zone → aware UTC datetime. Raises InvalidInput."""
    text = (text or "").strip()
    if not text:
        if required:
            raise InvalidInput(f"{label} is required", field=field)
        return None
    try:
        naive = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{label}: enter a date and time", field=field) from None
    return naive.replace(tzinfo=PLATFORM_TZ, second=0, microsecond=0) if naive.tzinfo is None else naive


def status_badge(status: str) -> ui.badge:
    return ui.badge(status.capitalize(), color=STATUS_COLORS.get(status, "grey")).mark("drawing-status")


# ------------------------------------------------------------------------------------------------------ the list
def _list_row(row: editor.DrawingRow) -> dict[str, Any]:
    drawing = row.drawing
    return {"id": str(drawing.id), "href": f"/admin/drawings/{drawing.id}", "name": drawing.name,
            "type": drawing.drawing_type.capitalize(), "status": drawing.status,
            "status_color": STATUS_COLORS.get(drawing.status, "grey"),
            "drawing_time": f"{drawing.drawing_time.astimezone(PLATFORM_TZ):%b %-d, %Y %-I:%M %p}",
            "cost": f"{drawing.ticket_cost_points:,}", "tickets": f"{drawing.total_tickets:,}",
            "prizes": f"{row.prize_units} · {money(row.prize_value_usd)}"}


class drawings_list(paged_list):  # noqa: N801
    """Filters, the table and the pager of `/admin/drawings`."""

    table: ui.table

    noun = "drawing"

    def __init__(self, ctx: PageContext, status: str, drawing_type: str, q: str, page: int) -> None:
        super().__init__(ctx, q, page)
        self.status, self.type = status, drawing_type
        with ui.card().props("flat").classes("ft-card w-full p-0 gap-0"):
            with ui.row().classes("w-full items-center gap-3 p-3"):
                self.search_input("Search drawings")
                self.filter_select("status", STATUSES, "Status", "w-40 max-sm:flex-1", "status-filter")
                self.filter_select("type", TYPES, "Type", "w-36 max-sm:flex-1", "type-filter")
            self.error_notice()
            self.table = ui.table(columns=COLUMNS, rows=[], row_key="id", pagination=0) \
                .props('flat hide-pagination loading no-data-label="No drawings match these filters"') \
                .classes("w-full ft-table").mark("drawings-table")
            self.table.add_slot("body", ROW)
            self.table.add_slot("no-data", NO_DATA_SLOT)
            self.footer("drawings-count")

    async def fetch(self) -> tuple[Sequence[Any], int]:
        return await self.ctx.read(editor.list_for_admin, status=self.status or None, drawing_type=self.type or None,
                                   q=self.q or None, page=self.page, limit=self.page_size)

    def show(self, rows: Sequence[Any]) -> None:
        self.table.rows = [_list_row(row) for row in rows]
        self.table.update()


@admin_page("/admin/drawings", title="Drawings")
async def admin_drawings_page(ctx: PageContext, status: str = "", type: str = "", q: str = "",  # noqa: A002
                              page: int = 1) -> None:
    with ui.row().classes("w-full items-center gap-2"):
        ui.label("Create drafts, add prizes and rules, publish, and follow each drawing to its results.") \
            .classes("text-sm text-slate-500 grow")
        ui.button("New drawing", icon="add", on_click=lambda: ui.navigate.to("/admin/drawings/new")) \
            .props("unelevated no-caps").mark("new-drawing")
    view = drawings_list(ctx, status, type, q, page)
    background_tasks.create(view.load(), name="admin-drawings-load")


# ---------------------------------------------------------------------------------------------------- the editor
class drawing_form:  # noqa: N801
    """The drawing's fields (details, schedule, eligibility) and, separately placed, its rules editor with a
    preview. `values()` → DrawingFields (raises InvalidInput for an unreadable date)."""

    def __init__(self, drawing: Drawing | None, *, editable: bool) -> None:
        self.drawing = drawing
        eligibility = editor.validate_eligibility(drawing.eligibility if drawing else None)
        dense = "outlined dense" if editable else "outlined dense readonly"
        with ui.grid().classes("w-full grid-cols-1 md:grid-cols-2 gap-3"):
            self.name = ui.input("Name", value=drawing.name if drawing else "") \
                .props(f"{dense} maxlength=200").classes("md:col-span-2").mark("drawing-name")
            self.type = ui.select(TYPE_OPTIONS, label="Type",
                                  value=drawing.drawing_type if drawing else DrawingType.weekly.value) \
                .props(dense).mark("drawing-type")
            self.cost = ui.number("Ticket cost (points)", value=drawing.ticket_cost_points if drawing else 50,
                                  min=1, max=100_000, step=1, precision=0).props(dense).mark("ticket-cost")
            self.description = ui.textarea("Description", value=(drawing.description or "") if drawing else "") \
                .props(f"{dense} autogrow maxlength=4000").classes("md:col-span-2").mark("drawing-description")
        ui.label(f"Schedule ({TZ_LABEL}, America/New_York)").classes("text-sm font-semibold text-slate-700 pt-2")
        with ui.grid().classes("w-full grid-cols-1 md:grid-cols-3 gap-3"):
            self.open_time = ui.input("Opens", value=input_time(drawing.open_time) if drawing else "") \
                .props(f"{dense} type=datetime-local stack-label").mark("open-time") \
                .tooltip("Leave empty to open as soon as it is published")
            self.sales_close = ui.input("Sales close", value=input_time(drawing.sales_close) if drawing else "") \
                .props(f"{dense} type=datetime-local stack-label").mark("sales-close") \
                .tooltip("Leave empty for 5 minutes before the drawing time")
            self.drawing_time = ui.input("Drawing time", value=input_time(drawing.drawing_time) if drawing else "") \
                .props(f"{dense} type=datetime-local stack-label").mark("drawing-time")
        ui.label("Eligibility").classes("text-sm font-semibold text-slate-700 pt-2")
        with ui.grid().classes("w-full grid-cols-1 md:grid-cols-3 gap-3"):
            self.tiers = ui.select(list(BOARD_CODES), multiple=True, label="Tiers (empty = all)",
                                   value=eligibility["tiers"], on_change=self._describe) \
                .props(f"{dense} use-chips options-dense").mark("eligibility-tiers")
            self.roles = ui.select(ROLE_OPTIONS, multiple=True, label="Roles (empty = all)",
                                   value=eligibility["roles"], on_change=self._describe) \
                .props(f"{dense} use-chips options-dense").mark("eligibility-roles")
            self.min_age = ui.number("Minimum account age (days)", value=eligibility["min_account_age_days"],
                                     min=0, max=3650, step=1, precision=0, on_change=self._describe) \
                .props(dense).mark("eligibility-age")
        with ui.row(wrap=False).classes("items-start gap-2 text-sm text-slate-600"):
            ui.icon("verified_user", size="xs").classes("text-primary pt-0.5")
            self.summary = ui.label().mark("eligibility-summary")
        ui.label("Age and state rules of the Terms (PRODUCT.md §3) always apply on top of these.") \
            .classes("text-xs text-slate-500")
        self._describe()
        self.editable = editable
        self.rules: ui.textarea | None = None
        self.preview: ui.markdown | None = None

    def rules_editor(self) -> None:
        """The official rules (Markdown) with a live preview, side by side on wide screens."""
        drawing = self.drawing
        text = (drawing.rules_text or "") if drawing else ""
        if drawing:
            ui.label(f"Version {drawing.rules_version}" + ("" if self.editable else " · frozen")) \
                .classes("text-xs text-slate-500").mark("rules-version")
        with ui.grid().classes("w-full grid-cols-1 lg:grid-cols-2 gap-4"):
            with ui.column().classes("gap-1 min-w-0"):
                ui.label("Markdown").classes("text-xs font-semibold uppercase tracking-wide text-slate-500")
                self.rules = ui.textarea(value=text, placeholder=RULES_PLACEHOLDER, on_change=self._preview) \
                    .props(f"outlined {'readonly' if not self.editable else ''} maxlength=50000 input-style="
                           "'min-height: 18rem; font-family: ui-monospace, monospace; font-size: 0.85rem'") \
                    .classes("w-full").mark("rules-text")
            with ui.column().classes("gap-1 min-w-0"):
                ui.label("Preview").classes("text-xs font-semibold uppercase tracking-wide text-slate-500")
                with ui.card().props("flat bordered").classes("w-full p-4 min-h-[18rem] overflow-auto"):
                    self.preview = ui.markdown(text or "*Nothing written yet.*").classes("w-full text-sm") \
                        .mark("rules-preview")

    def _preview(self, event: Any) -> None:
        if self.preview is not None:
            self.preview.set_content(event.value or "*Nothing written yet.*")

    def _eligibility(self) -> dict[str, Any]:
        return {"tiers": list(self.tiers.value or []), "roles": list(self.roles.value or []),
                "min_account_age_days": int(self.min_age.value or 0)}

    def _describe(self, _: Any = None) -> None:
        try:
            self.summary.set_text(editor.describe_eligibility(self._eligibility()))
        except (DomainError, ValueError, TypeError) as exc:
            self.summary.set_text(getattr(exc, "detail", str(exc)))

    def values(self) -> DrawingFields:
        drawing_time = parse_input_time(self.drawing_time.value, "drawing_time", "Drawing time", required=True)
        assert drawing_time is not None
        rules = self.rules.value if self.rules is not None else (self.drawing.rules_text if self.drawing else None)
        return DrawingFields(
            drawing_type=self.type.value, name=self.name.value or "", description=self.description.value,
            ticket_cost_points=int(self.cost.value or 0), drawing_time=drawing_time,
            open_time=parse_input_time(self.open_time.value, "open_time", "Opens", required=False),
            sales_close=parse_input_time(self.sales_close.value, "sales_close", "Sales close", required=False),
            eligibility=self._eligibility(), rules_text=rules)


@admin_page("/admin/drawings/new", title="New drawing")
async def new_drawing_page(ctx: PageContext) -> None:
    ui.link("← All drawings", "/admin/drawings").classes("text-sm text-primary no-underline")
    with ui.card().props("flat").classes("ft-card w-full p-4 gap-3"):
        ui.label("Details").classes("text-base font-semibold")
        form = drawing_form(None, editable=True)
    with ui.card().props("flat").classes("ft-card w-full p-4 gap-3"):
        ui.label("Official rules").classes("text-base font-semibold")
        form.rules_editor()

    async def create() -> None:
        try:
            drawing = await ctx.write(editor.create_draft, form.values(), admin_id=ctx.admin.id, ip_address=ctx.ip,
                                      clock=ctx.system.clock)
        except DomainError as exc:
            ui.notify(exc.detail, type="negative")
            return
        ui.notify("Draft created. Add prizes, then publish.", type="positive")
        ui.navigate.to(f"/admin/drawings/{drawing.id}")

    with ui.row().classes("w-full justify-end gap-2"):
        ui.button("Cancel", on_click=lambda: ui.navigate.to("/admin/drawings")).props("flat no-caps")
        ui.button("Create draft", icon="save", on_click=ctx.guard(create)).props("unelevated no-caps") \
            .mark("create-draft")


# -------------------------------------------------------------------------------------------------------- prizes
class prize_dialog:  # noqa: N801
    """Add or edit a prize; `await prize_dialog(...).ask()` → PrizeFields or None."""

    def __init__(self, options: dict[str, str], row: PrizeRow | None, next_rank: int) -> None:
        prize = row.prize if row else None
        with ui.dialog() as self.dialog, ui.card().classes("ft-card p-5 gap-3 w-full max-w-lg"):
            ui.label("Edit prize" if prize else "Add a prize").classes("text-lg font-semibold")
            with ui.grid().classes("w-full grid-cols-2 gap-3"):
                self.name = ui.input("Prize name", value=prize.name if prize else "") \
                    .props("outlined dense maxlength=200").classes("col-span-2").mark("prize-name")
                self.rank = ui.number("Rank (1 = first drawn)", value=prize.prize_rank if prize else next_rank,
                                      min=1, max=50, step=1, precision=0).props("outlined dense").mark("prize-rank")
                self.quantity = ui.number("Quantity", value=prize.quantity if prize else 1, min=1, max=100, step=1,
                                          precision=0).props("outlined dense").mark("prize-quantity")
                self.value = ui.number("Value (USD)", value=prize.value_usd if prize else None, min=0.01,
                                       max=1_000_000, step=1, precision=2, prefix="$") \
                    .props("outlined dense").mark("prize-value")
                self.delivery = ui.select(DELIVERY, label="Delivery",
                                          value=prize.fulfillment_type if prize else FulfillmentType.physical.value) \
                    .props("outlined dense").mark("prize-delivery")
                self.sponsor = ui.select({"": "FitTrack (no sponsor)", **options}, label="Sponsor",
                                         value=str(prize.sponsor_id) if prize and prize.sponsor_id else "") \
                    .props("outlined dense").classes("col-span-2").mark("prize-sponsor")
                self.description = ui.textarea("Description", value=(prize.description or "") if prize else "") \
                    .props("outlined dense autogrow maxlength=2000").classes("col-span-2").mark("prize-description")
            ui.label(f"Prizes of ${fulfillment.TAX_FORM_THRESHOLD_USD:,.0f} or more need a tax form from the winner.") \
                .classes("text-xs text-slate-500")
            with ui.row().classes("w-full justify-end gap-2"):
                ui.button("Back", on_click=lambda: self.dialog.submit(None)).props("flat no-caps")
                ui.button("Save prize", on_click=self._submit).props("unelevated no-caps").mark("save-prize")
        self.image_url = prize.image_url if prize else None

    def _submit(self) -> None:
        self.dialog.submit(PrizeFields(
            name=self.name.value or "", value_usd=float(self.value.value or 0), prize_rank=int(self.rank.value or 0),
            quantity=int(self.quantity.value or 0), fulfillment_type=self.delivery.value,
            sponsor_id=uuid.UUID(self.sponsor.value) if self.sponsor.value else None,
            description=self.description.value, image_url=self.image_url))

    async def ask(self) -> PrizeFields | None:
        result = await self.dialog
        self.dialog.delete()
        return result if isinstance(result, PrizeFields) else None


# ---------------------------------------------------------------------------------------------------- the detail
@dataclass(frozen=True)
class _Loaded:
    detail: DrawingDetail
    audit: list[tuple[AuditLog, str | None]]
    sponsors: dict[str, str]
    results: DrawResults | None


def _load(session: Session, drawing_id: uuid.UUID) -> _Loaded:
    """Everything the detail page shows, in one read session; the results once the drawing was published."""
    detail = editor.drawing_detail(session, drawing_id)
    shown = detail.drawing.status not in (DrawingStatus.draft.value, DrawingStatus.scheduled.value)
    return _Loaded(detail, editor.drawing_audit_with_actors(session, drawing_id), sponsors.sponsor_options(session),
                   drawings.results(session, drawing_id, include_tickets=False) if shown else None)


def _publish_problems(session: Session, drawing_id: uuid.UUID, now: datetime) -> list[str]:
    return [p.message for p in drawings.publish_problems(session, drawings.get_drawing(session, drawing_id), now)]


class drawing_page:  # noqa: N801
    """`/admin/drawings/{id}`: loads the drawing, then builds header, actions and tabs; rebuilt after each action."""

    def __init__(self, ctx: PageContext, drawing_id: uuid.UUID) -> None:
        self.ctx = ctx
        self.drawing_id = drawing_id
        self.tab = "details"
        self.spinner = ui.spinner(size="lg").classes("self-center")
        self.error = notice("error_outline", kind="error")
        self.error.visible = False
        self.body = ui.column().classes("w-full gap-4")

    async def load(self) -> None:
        try:
            loaded = await self.ctx.read(_load, self.drawing_id)
        except DomainError as exc:
            self.spinner.visible = False
            self.error.show("Could not load this drawing", exc.detail)
            return
        self.spinner.visible = False
        self.error.visible = False
        self.body.clear()
        with self.body:
            self._build(loaded.detail, loaded.audit, loaded.sponsors, loaded.results)

    # --- layout ---------------------------------------------------------------------------------------------------
    def _build(self, detail: DrawingDetail, audit: list[tuple[AuditLog, str | None]], options: dict[str, str],
               results: DrawResults | None) -> None:
        drawing = detail.drawing
        self.detail = detail
        editable = drawing.status in editor.EDITABLE_STATUSES
        with ui.card().props("flat").classes("ft-card w-full p-4 gap-3"):
            with ui.row().classes("w-full items-start gap-3"):
                with ui.column().classes("gap-1 grow min-w-0"):
                    with ui.row().classes("items-center gap-2"):
                        status_badge(drawing.status)
                        ui.badge(drawing.drawing_type.capitalize(), color="secondary").props("outline")
                        ui.label(f"Rules v{drawing.rules_version}").classes("text-xs text-slate-500")
                    ui.label(drawing.name).classes("text-xl font-bold text-slate-900 break-words") \
                        .mark("drawing-title")
                with ui.row().classes("gap-2 flex-wrap"):
                    self._actions(drawing)
            with ui.grid().classes("w-full grid-cols-2 md:grid-cols-5 gap-3"):
                self._fact("Opens", local_time(drawing.open_time))
                self._fact("Sales close", local_time(drawing.sales_close))
                self._fact("Draws", local_time(drawing.drawing_time))
                self._fact("Tickets sold", f"{drawing.total_tickets:,} × {drawing.ticket_cost_points:,} pts")
                units = sum(row.prize.quantity for row in detail.prizes)
                self._fact("Prizes", f"{units} · {money(detail.prize_value_usd)}")
            refusal = editor.execution_refusal(drawing, self.ctx.now())
            if drawing.status in (DrawingStatus.open.value, DrawingStatus.closed.value) and refusal:
                ui.label(f"Execute now becomes available once sales close. {refusal}") \
                    .classes("text-xs text-slate-500")
        tabs = ui.tabs(value=self.tab, on_change=lambda e: setattr(self, "tab", e.value))  # type: ignore[arg-type]
        with tabs.props("dense align=left no-caps active-color=primary indicator-color=primary outside-arrows "
                       "mobile-arrows").classes("w-full text-slate-600 border-b border-slate-200"):
            ui.tab("details", label="Details", icon="tune")
            ui.tab("prizes", label=f"Prizes ({len(detail.prizes)})", icon="redeem")
            ui.tab("rules", label="Official rules", icon="gavel")
            ui.tab("results", label="Results", icon="emoji_events")
            ui.tab("audit", label=f"Audit ({len(audit)})", icon="history")
        with ui.tab_panels(tabs, value=self.tab, animated=False).classes("w-full bg-transparent"):
            with ui.tab_panel("details").classes("p-0 pt-3"), \
                    ui.card().props("flat").classes("ft-card w-full p-4 gap-3"):
                if not editable:
                    ui.label("Frozen: details, prizes and rules cannot change once a drawing opens.") \
                        .classes("text-sm text-slate-500").mark("frozen")
                self.form = drawing_form(drawing, editable=editable)
                if editable:
                    self._save_button("save-drawing")
            with ui.tab_panel("prizes").classes("p-0 pt-3"):
                self._prizes(detail, options, editable)
            with ui.tab_panel("rules").classes("p-0 pt-3"), \
                    ui.card().props("flat").classes("ft-card w-full p-4 gap-3"):
                self.form.rules_editor()
                if editable:
                    self._save_button("save-rules")
            with ui.tab_panel("results").classes("p-0 pt-3"):
                self._results(drawing, results)
            with ui.tab_panel("audit").classes("p-0 pt-3"):
                self._audit(audit)

    @staticmethod
    def _fact(label: str, value: str) -> None:
        with ui.column().classes("gap-0 min-w-0"):
            ui.label(label).classes("text-xs font-semibold uppercase tracking-wide text-slate-500")
            ui.label(value).classes("text-sm text-slate-800 ft-num")

    def _save_button(self, marker: str) -> None:
        with ui.row().classes("w-full justify-end"):
            ui.button("Save changes", icon="save", on_click=self.ctx.guard(self.save)).props("unelevated no-caps") \
                .mark(marker)

    def _actions(self, drawing: Drawing) -> None:
        guard = self.ctx.guard
        status = drawing.status
        if status == DrawingStatus.draft.value:
            ui.button("Publish", icon="publish", on_click=guard(self.publish)).props("unelevated no-caps") \
                .mark("publish")
        if editor.execution_refusal(drawing, self.ctx.now()) is None:
            ui.button("Execute now", icon="casino", color="accent", on_click=guard(self.execute)) \
                .props("unelevated no-caps").mark("execute")
        if status not in (DrawingStatus.draft.value, DrawingStatus.scheduled.value):
            ui.button("Public results", icon="open_in_new",
                      on_click=lambda: ui.navigate.to(f"/results/{drawing.id}", new_tab=True)) \
                .props("outline no-caps").mark("public-results")
        if status == DrawingStatus.draft.value:
            ui.button("Delete draft", icon="delete", color="negative", on_click=guard(self.delete)) \
                .props("outline no-caps").mark("delete-draft")
        elif drawings.can_cancel(drawing):
            ui.button("Cancel drawing", icon="block", color="negative", on_click=guard(self.cancel)) \
                .props("outline no-caps").mark("cancel-drawing")

    def _prizes(self, detail: DrawingDetail, options: dict[str, str], editable: bool) -> None:
        if editable:
            with ui.row().classes("w-full items-center"):
                ui.label("Awarded in rank order; a prize of quantity q is q prize units.") \
                    .classes("text-sm text-slate-500 grow")
                ui.button("Add prize", icon="add", on_click=self.ctx.guard(lambda: self.edit_prize(None, options))) \
                    .props("unelevated no-caps").mark("add-prize")
        if not detail.prizes:
            notice("redeem", "No prizes yet", "Add at least one prize before publishing.").mark("no-prizes")
            return
        with ui.column().classes("w-full gap-3"):
            for row in detail.prizes:
                self._prize_card(row, options, editable)

    def _prize_card(self, row: PrizeRow, options: dict[str, str], editable: bool) -> None:
        prize = row.prize
        with ui.card().props("flat").classes("ft-card w-full p-3").mark("prize-card"):
            with ui.row(wrap=False).classes("w-full items-start gap-3"):
                thumb = images.thumbnail_url(prize.image_url)
                if thumb:
                    ui.image(thumb).classes("w-20 h-20 sm:w-24 sm:h-24 rounded-lg shrink-0").props("fit=cover") \
                        .mark("prize-image")
                else:
                    with ui.element("div").classes("w-20 h-20 sm:w-24 sm:h-24 rounded-lg shrink-0 bg-slate-50 "
                                                   "flex items-center justify-center"):
                        ui.icon("image", size="md").classes("text-slate-500")
                with ui.column().classes("gap-1 grow min-w-0"):
                    with ui.row().classes("items-center gap-2"):
                        ui.badge(f"#{prize.prize_rank}", color="primary")
                        ui.label(prize.name).classes("font-semibold text-slate-900 break-words")
                    ui.label(f"{money(prize.value_usd)} × {prize.quantity} · "
                             f"{DELIVERY.get(prize.fulfillment_type, prize.fulfillment_type)}") \
                        .classes("text-sm text-slate-600 ft-num")
                    ui.label(f"Sponsor: {row.sponsor_name or 'FitTrack'}").classes("text-xs text-slate-500")
                    if fulfillment.needs_tax_form(prize.value_usd):
                        ui.label(f"Tax form needed (${fulfillment.TAX_FORM_THRESHOLD_USD:,.0f}+)") \
                            .classes("text-xs text-amber-700")
                    if prize.description:
                        ui.label(prize.description).classes("text-sm text-slate-600 break-words")
            if editable:
                guard = self.ctx.guard
                with ui.row().classes("gap-2 pt-1"):
                    ui.button("Edit", icon="edit", on_click=guard(lambda r=row: self.edit_prize(r, options))) \
                        .props("flat dense no-caps").mark("edit-prize")
                    upload = ui.upload(auto_upload=True, max_file_size=images.MAX_UPLOAD_BYTES,
                                       on_upload=guard(lambda e, r=row: self.upload_image(r, e)),
                                       on_rejected=lambda: ui.notify("Choose a JPEG, PNG, WebP or GIF picture of "
                                                                     "at most 5 MB", type="negative")) \
                        .props(f'accept="{images.ACCEPT}" flat bordered hide-upload-btn label="Upload picture"') \
                        .classes("hidden").mark("prize-upload")
                    ui.button("Picture", icon="add_photo_alternate",
                              on_click=lambda u=upload: u.run_method("pickFiles")) \
                        .props("flat dense no-caps").mark("pick-picture")
                    if prize.image_url:
                        ui.button("Remove picture", icon="hide_image",
                                  on_click=guard(lambda r=row: self.remove_image(r))).props("flat dense no-caps")
                    ui.button("Remove", icon="delete", color="negative",
                              on_click=guard(lambda r=row: self.remove_prize(r))).props("flat dense no-caps") \
                        .mark("remove-prize")

    def _results(self, drawing: Drawing, results: DrawResults | None) -> None:
        if results is None:
            notice("hourglass_empty", "No results yet",
                   "The seed commitment is published when the drawing opens, the ticket-list hash at sales close "
                   "and the winners after the draw.")
            return
        with ui.card().props("flat").classes("ft-card w-full p-4 gap-2"):
            if results.cancelled_reason:
                ui.label(f"Cancelled: {results.cancelled_reason}").classes("text-sm text-red-700") \
                    .mark("cancel-reason")
            for label, value in (("Seed commitment (SHA-256)", results.seed_commitment),
                                 ("Ticket-list hash (SHA-256)", results.ticket_list_hash),
                                 ("Server seed", results.server_seed)):
                with ui.column().classes("gap-0 w-full min-w-0"):
                    ui.label(label).classes("text-xs font-semibold uppercase tracking-wide text-slate-500")
                    ui.label(value or "not yet published").classes("text-xs font-mono break-all text-slate-700")
            ui.label(f"{results.total_tickets or drawing.total_tickets:,} tickets") \
                .classes("text-sm text-slate-600")
        if results.winners or results.alternates:
            columns = [{"name": "rank", "label": "Rank", "field": "rank", "align": "left"},
                       {"name": "prize", "label": "Prize", "field": "prize", "align": "left",
                        "classes": "whitespace-normal"},
                       {"name": "ticket", "label": "Ticket", "field": "ticket", "align": "right",
                        "classes": WIDE, "headerClasses": WIDE},
                       {"name": "member", "label": "Winner", "field": "member", "align": "left",
                        "classes": "whitespace-normal"}]
            rows = [{"id": f"w{i}", "rank": w.prize_rank, "prize": w.prize_name, "ticket": w.ticket_number,
                     "member": w.display_name or w.user_id} for i, w in enumerate(results.winners)]
            rows += [{"id": f"a{i}", "rank": a.prize_rank, "prize": f"{a.prize_name} (alternate)",
                      "ticket": a.ticket_number, "member": a.display_name or a.user_id}
                     for i, a in enumerate(results.alternates)]
            ui.table(columns=columns, rows=rows, row_key="id").props("flat dense hide-pagination") \
                .classes("w-full ft-table ft-card").mark("winners-table")
            ui.link("Fulfillment queue →", "/admin/fulfillment").classes("text-sm text-primary no-underline")

    def _audit(self, audit: list[tuple[AuditLog, str | None]]) -> None:
        if not audit:
            notice("history", "No audit entries", "Every change to this drawing will be listed here.")
            return
        with ui.column().classes("w-full gap-2").mark("audit-list"):
            for entry, email in audit:
                with ui.card().props("flat").classes("ft-card w-full p-3 gap-1"):
                    with ui.row().classes("w-full items-center gap-2"):
                        ui.badge(entry.action, color="secondary").props("outline")
                        ui.space()
                        ui.label(local_time(entry.created_at)).classes("text-xs text-slate-500")
                    ui.label(f"by {email}" if email else "by the system (scheduled step)") \
                        .classes("text-sm text-slate-700 truncate w-full min-w-0")
                    if entry.ip_address:
                        ui.label(f"from {entry.ip_address}").classes("text-xs text-slate-500")
                    if entry.before_state or entry.after_state:
                        with ui.expansion("Before / after", icon="data_object").props("dense") \
                                .classes("w-full text-sm bg-slate-50 rounded-lg"):
                            ui.code(json.dumps({"before": entry.before_state, "after": entry.after_state}, indent=2,
                                               sort_keys=True, default=str), language="json").classes("w-full text-xs")

    # --- actions --------------------------------------------------------------------------------------------------
    async def _run(self, call: Callable[[], Awaitable[Any]], done: str) -> bool:
        try:
            await call()
        except DomainError as exc:
            ui.notify(exc.detail, type="negative")
            return False
        ui.notify(done, type="positive")
        await self.load()
        return True

    async def save(self) -> None:
        ctx, admin = self.ctx, self.ctx.admin
        try:
            values = self.form.values()
        except DomainError as exc:
            ui.notify(exc.detail, type="negative")
            return
        await self._run(lambda: ctx.write(editor.update_drawing, self.drawing_id, values, admin_id=admin.id,
                                          ip_address=ctx.ip, clock=ctx.system.clock), "Saved")

    async def publish(self) -> None:
        ctx = self.ctx
        problems = await ctx.read(_publish_problems, self.drawing_id, ctx.now())
        if problems:
            ui.notify("Not ready to publish: " + " ".join(problems), type="negative", multi_line=True)
            return
        drawing = self.detail.drawing
        if not await confirm("Publish this drawing?",
                             f"It becomes scheduled and opens {local_time(drawing.open_time)}. Details, prizes and "
                             "rules can still change until it opens; then they are frozen.", "Publish"):
            return
        admin = await ctx.require_admin()  # again: the dialog may have been open for a while
        await self._run(lambda: ctx.write(drawings.publish, self.drawing_id, admin_id=admin.id, ip_address=ctx.ip,
                                          clock=ctx.system.clock), "Published: the drawing is scheduled")

    async def cancel(self) -> None:
        ctx = self.ctx
        drawing = self.detail.drawing
        refund = (" Every ticket bought is refunded to its member (a reversal entry)."
                  if drawing.status in (DrawingStatus.open.value, DrawingStatus.closed.value) else "")
        reason = await ask_reason("Cancel this drawing?", f"“{drawing.name}” will not be drawn.{refund} This cannot "
                                  "be undone.", "Cancel drawing")
        if reason is None:
            return
        admin = await ctx.require_admin()
        await self._run(lambda: ctx.write(drawings.cancel, self.drawing_id, admin_id=admin.id, reason=reason,
                                          ip_address=ctx.ip, clock=ctx.system.clock), "Drawing cancelled")

    async def delete(self) -> None:
        ctx = self.ctx
        if not await confirm("Delete this draft?", "The draft and its prizes are removed (the audit log keeps a "
                             "record).", "Delete", "negative"):
            return
        admin = await ctx.require_admin()
        try:
            await ctx.write(editor.delete_draft, self.drawing_id, admin_id=admin.id, ip_address=ctx.ip,
                            clock=ctx.system.clock)
        except DomainError as exc:
            ui.notify(exc.detail, type="negative")
            return
        ui.notify("Draft deleted", type="positive")
        ui.navigate.to("/admin/drawings")

    async def execute(self) -> None:
        ctx = self.ctx
        if not await confirm("Execute the draw now?", "Winners are drawn from the frozen ticket list with the "
                             "published recipe. Running it again never draws twice.", "Execute now", "accent"):
            return
        admin = await ctx.require_admin()
        try:
            await ctx.call(drawing_actions.request_execution, self.drawing_id, admin_id=admin.id, ip_address=ctx.ip)
        except DomainError as exc:
            ui.notify(exc.detail, type="negative")
            return
        ui.notify("Draw queued: results appear here in a moment", type="positive")
        self.tab = "results"
        await self.load()

    async def edit_prize(self, row: PrizeRow | None, options: dict[str, str]) -> None:
        ctx = self.ctx
        if row is not None and row.prize.sponsor_id and str(row.prize.sponsor_id) not in options:
            options = {**options, str(row.prize.sponsor_id): f"{row.sponsor_name} (inactive)"}
        next_rank = max((r.prize.prize_rank for r in self.detail.prizes), default=0) + 1
        values = await prize_dialog(options, row, next_rank).ask()
        if values is None:
            return
        admin = await ctx.require_admin()
        self.tab = "prizes"
        if row is None:
            await self._run(lambda: ctx.write(editor.add_prize, self.drawing_id, values, admin_id=admin.id,
                                              ip_address=ctx.ip, clock=ctx.system.clock), "Prize added")
        else:
            await self._run(lambda: ctx.write(editor.update_prize, self.drawing_id, row.prize.id, values,
                                              admin_id=admin.id, ip_address=ctx.ip, clock=ctx.system.clock),
                            "Prize saved")

    async def remove_prize(self, row: PrizeRow) -> None:
        ctx = self.ctx
        if not await confirm("Remove this prize?", f"“{row.prize.name}” is removed from the drawing.", "Remove",
                             "negative"):
            return
        admin = await ctx.require_admin()
        self.tab = "prizes"
        if await self._run(lambda: ctx.write(editor.remove_prize, self.drawing_id, row.prize.id, admin_id=admin.id,
                                             ip_address=ctx.ip, clock=ctx.system.clock), "Prize removed"):
            images.delete_image(self.ctx.system.settings.media_dir, row.prize.image_url)

    async def upload_image(self, row: PrizeRow, event: events.UploadEventArguments) -> None:
        ctx, admin = self.ctx, self.ctx.admin
        data = await event.file.read()
        try:
            stored = await run.io_bound(images.store_image, ctx.system.settings.media_dir, data, kind="prizes")
            assert stored is not None
            prize, previous = await ctx.write(editor.set_prize_image, self.drawing_id, row.prize.id, stored.url,
                                              admin_id=admin.id, ip_address=ctx.ip, clock=ctx.system.clock)
        except DomainError as exc:
            ui.notify(exc.detail, type="negative")
            return
        images.delete_image(self.ctx.system.settings.media_dir, previous)
        ui.notify(f"Picture saved ({stored.width} × {stored.height}, metadata removed)", type="positive")
        self.tab = "prizes"
        await self.load()

    async def remove_image(self, row: PrizeRow) -> None:
        ctx, admin = self.ctx, self.ctx.admin
        self.tab = "prizes"

        async def clear() -> None:
            _, previous = await ctx.write(editor.set_prize_image, self.drawing_id, row.prize.id, None,
                                          admin_id=admin.id, ip_address=ctx.ip, clock=ctx.system.clock)
            images.delete_image(self.ctx.system.settings.media_dir, previous)

        await self._run(clear, "Picture removed")


@admin_page("/admin/drawings/{drawing_id}", title="Drawing")
async def admin_drawing_page(ctx: PageContext, drawing_id: str) -> None:
    ui.link("← All drawings", "/admin/drawings").classes("text-sm text-primary no-underline")
    try:
        parsed = uuid.UUID(drawing_id)
    except ValueError:
        notice("search_off", "No such drawing", "Check the link, or pick a drawing from the list.")
        return
    view = drawing_page(ctx, parsed)
    background_tasks.create(view.load(), name="admin-drawing-load")
