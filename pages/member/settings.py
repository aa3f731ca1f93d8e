"""`/settings` — account settings (PRODUCT.md §3 "data rights"; issue 4 item 7): change password (this browser stays
signed in, every other browser and API sign-in ends), download my data (the same JSON as `GET
/api/v1/users/me/export`), delete my account (a dialog asks for the password; then sign-out and back to "/").

The page is thin: `app.services.accounts` does the work (the same calls as the JSON API), in worker threads.
"""

from __future__ import annotations

import json

from nicegui import app, ui

from app.security.ratelimit import RateLimited
from app.services import accounts
from app.web.auth import SESSION_KEY, sign_out
from components.page import PageContext, member_page
from domain.accounts.registration import token_hash
from domain.shared.errors import DomainError


def _attr(text: str) -> str:
    return text.replace('"', "'")


def _show_error(element: ui.input, message: str) -> None:
    element.props(f'error error-message="{_attr(message)}"')


class settings_view:  # noqa: N801
    """The three settings cards. Every handler re-reads the signed-in member first (UI events skip the page guard)."""

    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx
        with ui.card().props("flat").classes("ft-card w-full max-w-xl p-4 gap-3"):
            ui.label("Change password").classes("text-base font-semibold")
            self.current = ui.input("Current password", password=True, password_toggle_button=True) \
                .props("outlined autocomplete=current-password").classes("w-full").mark("current_password")
            self.new = ui.input("New password (at least 10 characters)", password=True,
                                password_toggle_button=True) \
                .props("outlined autocomplete=new-password").classes("w-full").mark("new_password")
            self.new.on("keydown.enter", self.change_password)
            ui.label("Other browsers and apps signed in to your account will be signed out.") \
                .classes("text-sm text-slate-500")
            self.change_button = ui.button("Change password", icon="key", on_click=self.change_password) \
                .props("unelevated").mark("change-password")

        with ui.card().props("flat").classes("ft-card w-full max-w-xl p-4 gap-3"):
            ui.label("Your data").classes("text-base font-semibold")
            ui.label("Download everything FitTrack stores about you as a JSON file.").classes("text-sm")
            ui.button("Download my data", icon="download", on_click=self.download) \
                .props("outline").mark("download-data")

        with ui.card().props("flat").classes("ft-card w-full max-w-xl p-4 gap-3"):
            ui.label("Delete my account").classes("text-base font-semibold text-negative")
            ui.label("Your name, email, date of birth and body measurements are erased and your trackers are "
                     "disconnected. Your points history is kept without your identity; tickets you hold stay in "
                     "their drawings anonymously. This cannot be undone.").classes("text-sm")
            ui.button("Delete my account", icon="delete_forever", on_click=self.open_delete_dialog) \
                .props("outline color=negative").mark("delete-account")

        with ui.dialog() as self.delete_dialog, ui.card().classes("w-full max-w-md gap-3"):
            ui.label("Delete your account?").classes("text-lg font-semibold")
            ui.label("Enter your password to confirm. This cannot be undone.").classes("text-sm")
            self.delete_password = ui.input("Password", password=True) \
                .props("outlined autofocus autocomplete=current-password").classes("w-full") \
                .mark("delete-password")
            with ui.row().classes("w-full justify-end gap-2"):
                ui.button("Cancel", on_click=self.delete_dialog.close).props("flat")
                ui.button("Delete my account", on_click=self.delete_account) \
                    .props("unelevated color=negative").mark("confirm-delete")

    # ----------------------------------------------------------------------------------------------- password
    async def change_password(self) -> None:
        if self.change_button.props.get("loading"):
            return
        member = await self.ctx.member()
        if member is None:
            return
        for element in (self.current, self.new):
            element.props(remove="error error-message")
        token = app.storage.user.get(SESSION_KEY)
        self.change_button.props("loading")
        try:
            await self.ctx.call(accounts.change_password, member.id, self.current.value or "", self.new.value or "",
                                keep_session_token_hash=token_hash(token) if token else None, ip=self.ctx.ip)
        except RateLimited as exc:  # issue 13 §6
            ui.notify(exc.detail, type="warning")
            return
        except DomainError as exc:
            field = exc.extra.get("field")
            _show_error(self.current if field == "current_password" else self.new, exc.detail)
            ui.notify(exc.detail, type="warning")
            return
        finally:
            self.change_button.props(remove="loading")
        self.current.set_value("")
        self.new.set_value("")
        ui.notify("Password changed. Other sign-ins have ended.", type="positive")

    # --------------------------------------------------------------------------------------------- download
    async def download(self) -> None:
        member = await self.ctx.member()
        if member is None:
            return
        filename, data = await self.ctx.call(accounts.export_data, member.id)
        content = json.dumps(data, ensure_ascii=False, indent=2).encode()
        ui.download(content, filename, media_type="application/json")

    # ----------------------------------------------------------------------------------------------- delete
    def open_delete_dialog(self) -> None:
        self.delete_password.set_value("")
        self.delete_password.props(remove="error error-message")
        self.delete_dialog.open()

    async def delete_account(self) -> None:
        member = await self.ctx.member()
        if member is None:
            return
        try:
            await self.ctx.call(accounts.delete_account, member.id, self.delete_password.value or "", self.ctx.ip)
        except RateLimited as exc:  # issue 13 §6
            _show_error(self.delete_password, exc.detail)
            return
        except DomainError as exc:
            _show_error(self.delete_password, exc.detail)
            return
        self.delete_dialog.close()
        await sign_out(self.ctx.system)
        ui.navigate.to("/")


@member_page("/settings", title="Settings")
async def settings_page(ctx: PageContext) -> None:
    settings_view(ctx)
