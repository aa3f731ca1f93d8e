"""Admin sponsor pages (issue 7 §2, PRODUCT.md §7):

- `/admin/sponsors` — sponsors by name with status, prize count and total prize value (filter by status, search by
  name); "New sponsor" opens a form.
- `/admin/sponsors/{id}` — edit (name, contact, website, notes), logo upload (Pillow: validated, resized, metadata
  stripped), deactivate / reactivate with a confirmation, and the sponsor's prizes with their drawings and total value.

Every change goes through `domain.sweepstakes.sponsors` (audited there), in one unit of work. Admins only: the page
guard refuses other roles on `/admin*`, and every event handler goes through the admin guard (`PageContext.guard`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from nicegui import background_tasks, events, run, ui
from sqlmodel import Session

from app.adapters import images
from components.dialogs import confirm
from components.notice import notice
from components.page import PageContext, admin_page
from components.paged_list import paged_list
from components.sweepstakes import ADMIN_STATUS_COLORS as DRAWING_STATUS_COLORS
from components.sweepstakes import eastern_time as local_time
from components.theme import NO_DATA_SLOT, money
from domain.models import Sponsor
from domain.shared.enums import SponsorStatus
from domain.shared.errors import DomainError
from domain.sweepstakes import sponsors
from domain.sweepstakes.sponsors import SponsorFields, SponsorPrize, SponsorRow

STATUSES = {"": "All", "active": "Active", "inactive": "Inactive"}
COLORS = {"active": "positive", "inactive": "grey-7"}
WIDE = "max-sm:hidden"
COLUMNS = [
    {"name": "name", "label": "Sponsor", "field": "name", "align": "left"},
    {"name": "contact", "label": "Contact", "field": "contact", "align": "left", "headerClasses": WIDE},
    {"name": "status", "label": "Status", "field": "status", "align": "left", "headerClasses": WIDE},
    {"name": "prizes", "label": "Prizes", "field": "prizes", "align": "right", "headerClasses": WIDE},
    {"name": "value", "label": "Total value", "field": "value", "align": "right", "headerClasses": WIDE},
]
ROW = r"""
<q-tr :props="props">
  <q-td key="name" :props="props" class="max-sm:whitespace-normal">
    <div class="flex items-center gap-2 no-wrap">
      <img v-if="props.row.logo" :src="props.row.logo" alt="" class="w-8 h-8 rounded object-contain bg-white" />
      <q-icon v-else name="storefront" size="sm" class="text-slate-500" />
      <a :href="props.row.href" class="font-medium text-primary no-underline hover:underline">{{ props.row.name }}</a>
    </div>
    <div class="sm:hidden text-xs text-slate-500 pt-1">
      <q-badge :color="props.row.status_color" :label="props.row.status" class="mr-1" />
      {{ props.row.prizes }} prize{{ props.row.prizes === 1 ? '' : 's' }} · {{ props.row.value }}<br>
      {{ props.row.contact }}</div></q-td>
  <q-td key="contact" :props="props" class="text-slate-600 max-sm:hidden">{{ props.row.contact }}</q-td>
  <q-td key="status" :props="props" class="max-sm:hidden">
    <q-badge :color="props.row.status_color" :label="props.row.status" /></q-td>
  <q-td key="prizes" :props="props" class="ft-num max-sm:hidden">{{ props.row.prizes }}</q-td>
  <q-td key="value" :props="props" class="ft-num max-sm:hidden">{{ props.row.value }}</q-td>
</q-tr>
"""


def _row(row: SponsorRow) -> dict[str, Any]:
    sponsor = row.sponsor
    contact = " · ".join(part for part in (sponsor.contact_name, sponsor.contact_email) if part) or "—"
    return {"id": str(sponsor.id), "href": f"/admin/sponsors/{sponsor.id}", "name": sponsor.name,
            "logo": images.thumbnail_url(sponsor.logo_url), "contact": contact, "status": sponsor.status,
            "status_color": COLORS.get(sponsor.status, "grey"), "prizes": row.prize_count,
            "value": money(row.total_value_usd)}


class sponsor_form:  # noqa: N801
    """The editable fields of a sponsor; `values(logo_url)` → SponsorFields."""

    def __init__(self, sponsor: Sponsor | None) -> None:
        with ui.grid().classes("w-full grid-cols-1 md:grid-cols-2 gap-3"):
            self.name = ui.input("Name", value=sponsor.name if sponsor else "") \
                .props("outlined dense maxlength=128").classes("md:col-span-2").mark("sponsor-name")
            self.contact_name = ui.input("Contact name", value=(sponsor.contact_name or "") if sponsor else "") \
                .props("outlined dense maxlength=128").mark("sponsor-contact")
            self.contact_email = ui.input("Contact email", value=(sponsor.contact_email or "") if sponsor else "") \
                .props("outlined dense type=email maxlength=254").mark("sponsor-email")
            self.contact_phone = ui.input("Phone", value=(sponsor.contact_phone or "") if sponsor else "") \
                .props("outlined dense maxlength=32").mark("sponsor-phone")
            self.website = ui.input("Website", value=(sponsor.website_url or "") if sponsor else "",
                                    placeholder="https://…").props("outlined dense maxlength=500") \
                .mark("sponsor-website")
            self.notes = ui.textarea("Notes (internal)", value=(sponsor.notes or "") if sponsor else "") \
                .props("outlined dense autogrow maxlength=2000").classes("md:col-span-2").mark("sponsor-notes")

    def values(self, logo_url: str | None) -> SponsorFields:
        return SponsorFields(name=self.name.value or "", contact_name=self.contact_name.value,
                             contact_email=self.contact_email.value, contact_phone=self.contact_phone.value,
                             website_url=self.website.value, notes=self.notes.value, logo_url=logo_url)


class sponsors_list(paged_list):  # noqa: N801
    """Search, status filter, the table and the pager of `/admin/sponsors`."""

    table: ui.table

    noun = "sponsor"
    search_max_chars = 128

    def __init__(self, ctx: PageContext, status: str, q: str, page: int) -> None:
        super().__init__(ctx, q, page)
        self.status = status
        with ui.card().props("flat").classes("ft-card w-full p-0 gap-0"):
            with ui.row().classes("w-full items-center gap-3 p-3"):
                self.search_input("Search sponsors", "grow min-w-[12rem]")
                self.filter_select("status", STATUSES, "Status", "w-36", "status-filter")
            self.error_notice()
            self.table = ui.table(columns=COLUMNS, rows=[], row_key="id", pagination=0) \
                .props('flat hide-pagination loading no-data-label="No sponsors yet — add the first one"') \
                .classes("w-full ft-table").mark("sponsors-table")
            self.table.add_slot("body", ROW)
            self.table.add_slot("no-data", NO_DATA_SLOT)
            self.footer("sponsors-count")

    async def fetch(self) -> tuple[Sequence[Any], int]:
        return await self.ctx.read(sponsors.list_sponsors, status=self.status or None, q=self.q or None,
                                   page=self.page, limit=self.page_size)

    def show(self, rows: Sequence[Any]) -> None:
        self.table.rows = [_row(row) for row in rows]
        self.table.update()


async def _new_sponsor(ctx: PageContext) -> None:
    with ui.dialog() as dialog, ui.card().classes("ft-card p-5 gap-3 w-full max-w-lg"):
        ui.label("New sponsor").classes("text-lg font-semibold")
        form = sponsor_form(None)

        async def create() -> None:
            try:
                sponsor = await ctx.write(sponsors.create_sponsor, form.values(None), admin_id=ctx.admin.id,
                                          ip_address=ctx.ip, clock=ctx.system.clock)
            except DomainError as exc:
                ui.notify(exc.detail, type="negative")
                return
            dialog.submit(sponsor.id)

        with ui.row().classes("w-full justify-end gap-2"):
            ui.button("Back", on_click=lambda: dialog.submit(None)).props("flat no-caps")
            ui.button("Create sponsor", on_click=ctx.guard(create)).props("unelevated no-caps") \
                .mark("create-sponsor")
    created = await dialog
    dialog.delete()
    if isinstance(created, uuid.UUID):
        ui.notify("Sponsor created", type="positive")
        ui.navigate.to(f"/admin/sponsors/{created}")


@admin_page("/admin/sponsors", title="Sponsors")
async def admin_sponsors_page(ctx: PageContext, status: str = "", q: str = "", page: int = 1) -> None:
    with ui.row().classes("w-full items-center gap-2"):
        ui.label("Companies that donate prizes. Deactivated sponsors keep their past prizes.") \
            .classes("text-sm text-slate-500 grow")
        ui.button("New sponsor", icon="add", on_click=ctx.guard(lambda: _new_sponsor(ctx))) \
            .props("unelevated no-caps").mark("new-sponsor")
    view = sponsors_list(ctx, status, q, page)
    background_tasks.create(view.load(), name="admin-sponsors-load")


# ---------------------------------------------------------------------------------------------------- the detail
def _detail(session: Session, sponsor_id: uuid.UUID) -> tuple[SponsorRow, list[SponsorPrize]]:
    return sponsors.sponsor_summary(session, sponsor_id), sponsors.sponsor_prizes(session, sponsor_id)


PRIZE_COLUMNS = [
    {"name": "prize", "label": "Prize", "field": "prize", "align": "left", "classes": "whitespace-normal"},
    {"name": "drawing", "label": "Drawing", "field": "drawing", "align": "left", "headerClasses": WIDE},
    {"name": "status", "label": "Status", "field": "status", "align": "left", "headerClasses": WIDE},
    {"name": "value", "label": "Value", "field": "value", "align": "right", "headerClasses": WIDE},
]
PRIZE_ROW = r"""
<q-tr :props="props">
  <q-td key="prize" :props="props" class="whitespace-normal">
    <span class="font-medium">{{ props.row.prize }}</span>
    <div class="text-xs text-slate-500">
      <a :href="props.row.href" class="text-primary no-underline">{{ props.row.drawing }}</a>
      <span class="sm:hidden"> · {{ props.row.status }} · {{ props.row.value }}</span></div></q-td>
  <q-td key="drawing" :props="props" class="text-slate-600 whitespace-nowrap max-sm:hidden">{{ props.row.when }}</q-td>
  <q-td key="status" :props="props" class="max-sm:hidden">
    <q-badge :color="props.row.status_color" :label="props.row.status" /></q-td>
  <q-td key="value" :props="props" class="ft-num max-sm:hidden">{{ props.row.value }}</q-td>
</q-tr>
"""


class sponsor_page:  # noqa: N801
    """`/admin/sponsors/{id}`: the sponsor's card, its form and its prizes; rebuilt after each change."""

    def __init__(self, ctx: PageContext, sponsor_id: uuid.UUID) -> None:
        self.ctx = ctx
        self.sponsor_id = sponsor_id
        self.spinner = ui.spinner(size="lg").classes("self-center")
        self.error = notice("error_outline", kind="error")
        self.error.visible = False
        self.body = ui.column().classes("w-full gap-4")

    async def load(self) -> None:
        try:
            summary, prizes = await self.ctx.read(_detail, self.sponsor_id)
        except DomainError as exc:
            self.spinner.visible = False
            self.error.show("Could not load this sponsor", exc.detail)
            return
        self.spinner.visible = False
        self.error.visible = False
        self.sponsor = summary.sponsor
        self.body.clear()
        with self.body:
            self._build(summary, prizes)

    def _build(self, summary: SponsorRow, prizes: list[SponsorPrize]) -> None:
        sponsor = summary.sponsor
        guard = self.ctx.guard
        active = sponsor.status == SponsorStatus.active.value
        with ui.card().props("flat").classes("ft-card w-full p-4 gap-3"):
            with ui.row().classes("w-full items-center gap-3"):
                logo = images.thumbnail_url(sponsor.logo_url)
                if logo:
                    ui.image(logo).classes("w-16 h-16 rounded-lg bg-white shrink-0").props("fit=contain") \
                        .mark("sponsor-logo")
                else:
                    with ui.element("div").classes("w-16 h-16 rounded-lg bg-slate-50 flex items-center "
                                                   "justify-center shrink-0"):
                        ui.icon("storefront", size="md").classes("text-slate-500")
                with ui.column().classes("gap-1 grow min-w-0"):
                    ui.label(sponsor.name).classes("text-xl font-bold text-slate-900 break-words") \
                        .mark("sponsor-title")
                    with ui.row().classes("items-center gap-2"):
                        ui.badge(sponsor.status.capitalize(), color=COLORS.get(sponsor.status, "grey")) \
                            .mark("sponsor-status")
                        if sponsor.website_url:
                            ui.link(sponsor.website_url, sponsor.website_url, new_tab=True) \
                                .classes("text-sm text-primary break-all")
                with ui.row().classes("gap-2"):
                    if active:
                        ui.button("Deactivate", icon="pause_circle", color="negative",
                                  on_click=guard(self.deactivate)) \
                            .props("outline no-caps").mark("deactivate")
                    else:
                        ui.button("Reactivate", icon="play_circle", on_click=guard(self.activate)) \
                            .props("outline no-caps").mark("activate")
            with ui.grid().classes("w-full grid-cols-2 gap-3"):
                with ui.column().classes("gap-0"):
                    ui.label("Prizes").classes("text-xs font-semibold uppercase tracking-wide text-slate-500")
                    ui.label(f"{summary.prize_count:,}").classes("text-2xl font-bold ft-num").mark("prize-count")
                with ui.column().classes("gap-0"):
                    ui.label("Total value").classes("text-xs font-semibold uppercase tracking-wide text-slate-500")
                    ui.label(money(summary.total_value_usd)).classes("text-2xl font-bold ft-num").mark("total-value")
            ui.label("Totals count prizes in drawings that were not cancelled (value × quantity).") \
                .classes("text-xs text-slate-500")
        with ui.card().props("flat").classes("ft-card w-full p-4 gap-3"):
            ui.label("Details").classes("text-base font-semibold")
            self.form = sponsor_form(sponsor)
            with ui.row().classes("w-full items-center gap-2"):
                upload = ui.upload(auto_upload=True, max_file_size=images.MAX_UPLOAD_BYTES,
                                   on_upload=guard(self.upload),
                                   on_rejected=lambda: ui.notify("Choose a JPEG, PNG, WebP or GIF picture of at most "
                                                                 "5 MB", type="negative")) \
                    .props(f'accept="{images.ACCEPT}"').classes("hidden").mark("logo-upload")
                ui.button("Upload logo", icon="add_photo_alternate", on_click=lambda: upload.run_method("pickFiles")) \
                    .props("flat no-caps").mark("pick-logo")
                if sponsor.logo_url:
                    ui.button("Remove logo", icon="hide_image", on_click=guard(self.remove_logo)) \
                        .props("flat no-caps")
                ui.space()
                ui.button("Save changes", icon="save", on_click=guard(self.save)).props("unelevated no-caps") \
                    .mark("save-sponsor")
        ui.label("Prizes").classes("text-base font-semibold pt-2")
        if not prizes:
            notice("redeem", "No prizes yet", "Prizes given by this sponsor appear here once added to a drawing.")
            return
        rows = [{"id": str(p.prize_id), "prize": f"#{p.prize_rank} {p.name} × {p.quantity}",
                 "drawing": p.drawing_name, "href": f"/admin/drawings/{p.drawing_id}",
                 "when": local_time(p.drawing_time), "status": p.drawing_status,
                 "status_color": DRAWING_STATUS_COLORS.get(p.drawing_status, "grey"),
                 "value": money(p.value_usd * p.quantity)} for p in prizes]
        table = ui.table(columns=PRIZE_COLUMNS, rows=rows, row_key="id", pagination=0) \
            .props("flat hide-pagination").classes("w-full ft-table ft-card").mark("sponsor-prizes")
        table.add_slot("body", PRIZE_ROW)
        table.add_slot("no-data", NO_DATA_SLOT)

    async def _change(self, fields: SponsorFields, done: str) -> bool:
        ctx = self.ctx
        try:
            await ctx.write(sponsors.update_sponsor, self.sponsor_id, fields, admin_id=ctx.admin.id, ip_address=ctx.ip,
                            clock=ctx.system.clock)
        except DomainError as exc:
            ui.notify(exc.detail, type="negative")
            return False
        ui.notify(done, type="positive")
        await self.load()
        return True

    async def save(self) -> None:
        await self._change(self.form.values(self.sponsor.logo_url), "Saved")

    async def upload(self, event: events.UploadEventArguments) -> None:
        data = await event.file.read()
        try:
            stored = await run.io_bound(images.store_image, self.ctx.system.settings.media_dir, data, kind="sponsors")
        except DomainError as exc:
            ui.notify(exc.detail, type="negative")
            return
        assert stored is not None
        previous = self.sponsor.logo_url
        fields = SponsorFields(**{**sponsors.as_dict(self.sponsor), "logo_url": stored.url})
        if await self._change(fields, "Logo saved (resized, metadata removed)"):
            images.delete_image(self.ctx.system.settings.media_dir, previous)
        else:
            images.delete_image(self.ctx.system.settings.media_dir, stored.url)

    async def remove_logo(self) -> None:
        previous = self.sponsor.logo_url
        if await self._change(SponsorFields(**{**sponsors.as_dict(self.sponsor), "logo_url": None}), "Logo removed"):
            images.delete_image(self.ctx.system.settings.media_dir, previous)

    async def _set_status(self, status: str, done: str) -> None:
        ctx = self.ctx
        admin = await ctx.require_admin()  # again: the confirmation may have been open for a while
        try:
            await ctx.write(sponsors.set_status, self.sponsor_id, status, admin_id=admin.id, ip_address=ctx.ip,
                            clock=ctx.system.clock)
        except DomainError as exc:
            ui.notify(exc.detail, type="negative")
            return
        ui.notify(done, type="positive")
        await self.load()

    async def deactivate(self) -> None:
        if not await confirm("Deactivate this sponsor?", "Its existing prizes stay as they are; it cannot be given "
                             "new prizes until reactivated.", "Deactivate", "negative"):
            return
        await self._set_status(SponsorStatus.inactive.value, "Sponsor deactivated")

    async def activate(self) -> None:
        if not await confirm("Reactivate this sponsor?", "It can be given new prizes again.", "Reactivate"):
            return
        await self._set_status(SponsorStatus.active.value, "Sponsor reactivated")


@admin_page("/admin/sponsors/{sponsor_id}", title="Sponsor")
async def admin_sponsor_page(ctx: PageContext, sponsor_id: str) -> None:
    ui.link("← All sponsors", "/admin/sponsors").classes("text-sm text-primary no-underline")
    try:
        parsed = uuid.UUID(sponsor_id)
    except ValueError:
        notice("search_off", "No such sponsor", "Check the link, or pick a sponsor from the list.")
        return
    view = sponsor_page(ctx, parsed)
    background_tasks.create(view.load(), name="admin-sponsor-load")
