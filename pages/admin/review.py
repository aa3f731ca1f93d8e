"""`/admin/review` — the admin review queue (PRODUCT.md §4 "Source trust", §7; issue 7 §5): held points (approve →
credited through the ledger, or reject), lowered daily totals and plausibility flags (acknowledge), each with its
evidence: the figures the flag was raised on and, loaded when the admin opens them, the payloads behind it — the
stored daily summary, the Terra webhook delivery body as received, and the member's workouts of that day
(`domain.points.review.review_evidence`).

Admins only: the page guard refuses other roles on `/admin*`, and every event handler goes through the admin guard
(`PageContext.guard`: UI events bypass HTTP middleware). A decision is one unit of work: an approval credits through
the ledger, whose events update open leaderboards and the member's pages live after the commit.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable
from typing import Any

from nicegui import background_tasks, ui
from sqlmodel import Session

from components.dialogs import confirm
from components.notice import notice
from components.page import PageContext, admin_page
from domain.accounts import users
from domain.models import ReviewItem
from domain.points import review
from domain.shared.enums import ReviewKind, ReviewStatus
from domain.shared.errors import DomainError
from domain.shared.uow import UnitOfWork

Decision = Callable[[UnitOfWork, uuid.UUID, uuid.UUID], ReviewItem]

PAGE_SIZE = 20
KINDS = {ReviewKind.held_points.value: "Held points", ReviewKind.lowered_total.value: "Lowered totals",
         ReviewKind.plausibility.value: "Plausibility flags"}
STATUSES = {ReviewStatus.pending.value: "Pending", ReviewStatus.approved.value: "Approved",
            ReviewStatus.rejected.value: "Rejected", ReviewStatus.acknowledged.value: "Acknowledged", "": "All"}
STATUS_COLORS = {"pending": "warning", "approved": "positive", "rejected": "negative", "acknowledged": "info"}


def _load_queue(session: Session, *, kind: str, status: str,
                page: int) -> tuple[list[ReviewItem], int, dict[uuid.UUID, tuple[str, str]]]:
    items, total = review.list_review_items(session, status=status or None, kind=kind, page=page, limit=PAGE_SIZE)
    labels = users.member_labels(session, [item.user_id for item in items])
    return items, total, labels


PAYLOAD_ICONS = {"daily_summary": "today", "webhook_delivery": "webhook", "activity": "fitness_center"}
SHOWN_BODY_CHARS = 60_000  # longer bodies are cut on the page (the API returns them whole)


def _evidence_payloads(item: ReviewItem, payloads: list[review.Payload]) -> None:
    """The flag's numbers, then one expansion per payload: its facts and its JSON body."""
    ui.label("Figures the flag was raised on").classes("text-xs font-semibold uppercase text-slate-500")
    ui.code(json.dumps(item.evidence or {}, indent=2, sort_keys=True, default=str), language="json") \
        .classes("w-full text-xs").mark("evidence-figures")
    if not payloads:
        ui.label("No stored payloads for this day (they may have been replaced by newer data).") \
            .classes("text-sm text-slate-500").mark("no-payloads")
        return
    for payload in payloads:
        with ui.expansion(payload.title, icon=PAYLOAD_ICONS.get(payload.kind, "description")) \
                .classes("w-full bg-white rounded-lg border border-slate-200").props("dense") \
                .mark(f"payload-{payload.kind}"):
            with ui.element("div").classes("grid grid-cols-1 sm:grid-cols-2 gap-x-4 gap-y-0.5 w-full text-xs pb-2"):
                for key, value in payload.fields.items():
                    if value is None:
                        continue
                    with ui.row(wrap=False).classes("gap-2 min-w-0"):
                        ui.label(key.replace("_", " ")).classes("text-slate-500 shrink-0")
                        ui.label(f"{value:,}" if isinstance(value, int) else str(value)) \
                            .classes("font-medium text-slate-800 truncate min-w-0")
            text = json.dumps(payload.body, indent=2, default=str) \
                if not isinstance(payload.body, str) else payload.body
            cut = len(text) > SHOWN_BODY_CHARS or payload.truncated
            ui.code(text[:SHOWN_BODY_CHARS], language="json" if not isinstance(payload.body, str) else None) \
                .classes("w-full text-xs max-h-96 overflow-auto")
            if cut:
                ui.label(f"Shown cut to {SHOWN_BODY_CHARS:,} characters; GET /api/v1/admin/review/{item.id} "
                         "returns the whole payload.").classes("text-xs text-slate-500")


class review_card(ui.card):  # noqa: N801
    """One review item; its status badge and buttons update in place after a decision."""

    def __init__(self, ctx: PageContext, item: ReviewItem, member: tuple[str, str]) -> None:
        super().__init__()
        name, email = member
        self.ctx = ctx
        self.item = item
        self.props("flat").classes("ft-card w-full p-4 gap-2")
        with self:
            with ui.row(wrap=False).classes("w-full items-start gap-3"):
                with ui.column().classes("gap-0 min-w-0 grow"):
                    ui.label(name).classes("font-semibold text-slate-900 truncate max-w-full")
                    ui.label(email).classes("text-xs text-slate-500 truncate max-w-full")
                with ui.column().classes("gap-1 items-end shrink-0"):
                    self.status = ui.badge(item.status.capitalize(), color=STATUS_COLORS.get(item.status, "grey"))
                    if item.amount:
                        ui.label(f"{item.amount:+,} pts").classes("font-semibold ft-num text-primary")
            with ui.row().classes("items-center gap-2"):
                ui.badge(KINDS.get(item.kind, item.kind), color="secondary").props("outline")
                ui.label(item.platform_day.strftime("%a %b %-d, %Y")).classes("text-sm text-slate-500")
            ui.label(item.reason).classes("text-sm text-slate-700")
            self._facts(item.evidence or {})
            self.payloads = ui.expansion("Evidence payloads", icon="data_object",
                                         on_value_change=ctx.guard(self._payloads_opened)) \
                .classes("w-full text-sm bg-slate-50 rounded-lg").props("dense").mark("evidence")
            self.payloads_loaded = False
            with self.payloads:
                self.payloads_body = ui.column().classes("w-full gap-2")
            with ui.row().classes("gap-2") as self.actions:
                if item.kind == ReviewKind.held_points.value:
                    ui.button("Approve", icon="check", color="positive", on_click=ctx.guard(self.approve)) \
                        .props("unelevated no-caps dense").classes("px-3").mark("approve")
                    ui.button("Reject", icon="close", color="negative", on_click=ctx.guard(self.reject)) \
                        .props("outline no-caps dense").classes("px-3").mark("reject")
                else:
                    ui.button("Acknowledge", icon="done_all", color="primary",
                              on_click=ctx.guard(self.acknowledge)) \
                        .props("outline no-caps dense").classes("px-3").mark("acknowledge")
            self.actions.visible = item.status == ReviewStatus.pending.value

    @staticmethod
    def _facts(evidence: dict[str, Any]) -> None:
        """The figures the flag rests on, as chips (steps, active minutes, workouts, deserved / credited points)."""
        evidence = {**evidence, "active_minutes": evidence["active_seconds"] // 60} \
            if isinstance(evidence.get("active_seconds"), int) else evidence
        formats = [("steps", "{:,} steps", "directions_walk"), ("active_minutes", "{:,} active min", "timer"),
                   ("workouts", "{} workouts", "fitness_center"), ("deserved", "deserves {:,} pts", "star"),
                   ("credited", "credited {:,} pts", "savings")]
        facts = [(text.format(evidence[key]), icon) if isinstance(evidence.get(key), int) else None
                 for key, text, icon in formats]
        shown = [fact for fact in facts if fact]
        if shown:
            with ui.row().classes("gap-1"):
                for text, icon in shown:
                    ui.chip(text, icon=icon).props("dense outline color=grey-8").classes("m-0 text-xs")

    async def _payloads_opened(self, event: Any) -> None:
        if not event.value or self.payloads_loaded:
            return
        self.payloads_body.clear()
        with self.payloads_body:
            spinner = ui.spinner(size="md").classes("self-center")
        try:
            found = await self.ctx.read(review.review_evidence, self.item.id)
        except DomainError as exc:
            spinner.delete()
            with self.payloads_body:
                ui.label(exc.detail).classes("text-red-700")
            return
        self.payloads_loaded = True
        self.payloads_body.clear()
        with self.payloads_body:
            _evidence_payloads(self.item, found.payloads)

    def _decided(self, item: ReviewItem) -> None:
        self.item = item
        self.status.set_text(item.status.capitalize())
        self.status.props(f"color={STATUS_COLORS.get(item.status, 'grey')}")
        self.actions.visible = False

    async def _decide(self, decision: Decision, title: str, text: str, action: str, color: str, done: str) -> None:
        if not await confirm(title, text, action, color, back="Cancel"):
            return
        admin = await self.ctx.require_admin()  # again: the dialog may have been open for a while
        try:
            item = await self.ctx.write(decision, self.item.id, admin.id)
        except DomainError as exc:
            ui.notify(exc.detail, type="negative")
            return
        self._decided(item)
        ui.notify(done, type="positive")

    async def approve(self) -> None:
        await self._decide(review.approve_hold, "Approve held points?",
                           f"{self.item.amount:,} points will be credited for {self.item.platform_day.isoformat()}.",
                           "Approve", "positive", f"Approved: {self.item.amount:,} points credited")

    async def reject(self) -> None:
        await self._decide(review.reject_hold, "Reject held points?",
                           "Nothing will be credited for this hold.", "Reject", "negative", "Rejected")

    async def acknowledge(self) -> None:
        await self._decide(review.acknowledge, "Acknowledge this flag?",
                           "The flag will be closed; no points move.", "Acknowledge", "primary", "Acknowledged")


class review_queue:  # noqa: N801
    """Kind tabs, status filter, the cards and a pager; `load()` reads the current page."""

    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx
        self.kind = ReviewKind.held_points.value
        self.status = ReviewStatus.pending.value
        self.page = 1
        with ui.card().props("flat").classes("ft-card w-full p-0 gap-0"):
            tabs = ui.tabs(value=self.kind, on_change=ctx.guard(self._kind_changed))  # type: ignore[arg-type]
            with tabs.props("dense align=left no-caps active-color=primary indicator-color=primary") \
                    .classes("w-full text-slate-600 border-b border-slate-200"):
                for kind, label in KINDS.items():
                    ui.tab(kind, label=label)
            with ui.row().classes("w-full items-center gap-3 px-3 py-2"):
                ui.select(STATUSES, value=self.status, label="Status", on_change=ctx.guard(self._status_changed)) \
                    .props("dense outlined options-dense").classes("w-40")
                ui.space()
                self.count = ui.label().classes("text-sm text-slate-500")
        self.spinner = ui.spinner(size="lg").classes("self-center")
        self.error = notice("error_outline", kind="error")
        self.error.visible = False
        self.empty = notice("task_alt", "Nothing to review", "The queue is clear for this filter.")
        self.empty.visible = False
        self.list = ui.column().classes("w-full gap-3")
        self.pager = ui.pagination(1, 1, direction_links=True, value=1, on_change=ctx.guard(self._page_changed)) \
            .props("max-pages=7 boundary-numbers color=grey-8 active-color=primary").classes("self-center")
        self.pager.visible = False

    async def _kind_changed(self, event: Any) -> None:
        self.kind, self.page = event.value, 1
        await self.load()

    async def _status_changed(self, event: Any) -> None:
        self.status, self.page = event.value, 1
        await self.load()

    async def _page_changed(self, event: Any) -> None:
        if event.value != self.page:
            self.page = event.value
            await self.load()

    async def load(self) -> None:
        self.spinner.visible = True
        try:
            items, total, labels = await self.ctx.read(_load_queue, kind=self.kind, status=self.status,
                                                       page=self.page)
        except DomainError as exc:
            self.error.show("Could not load the review queue", exc.detail)
            return
        finally:
            self.spinner.visible = False
        self.error.visible = False
        self.count.set_text(f"{total:,} item{'s' if total != 1 else ''}")
        self.empty.visible = total == 0
        self.list.clear()
        with self.list:
            for item in items:
                review_card(self.ctx, item, labels.get(item.user_id, (str(item.user_id), "")))
        pages = max(math.ceil(total / PAGE_SIZE), 1)
        self.pager.max = pages
        self.pager.visible = pages > 1


@admin_page("/admin/review", title="Review queue")
async def admin_review_page(ctx: PageContext) -> None:
    queue = review_queue(ctx)
    background_tasks.create(queue.load(), name="review-load")

