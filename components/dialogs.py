"""Confirmation dialogs for admin actions (destructive or audited steps ask first). One place for them, so every admin
page asks the same way: `confirm` (yes / no) and `ask_reason` (a required reason, kept in the audit log)."""

from __future__ import annotations

from nicegui import ui

REASON_MAX_CHARS = 500


async def confirm(title: str, text: str, action: str, color: str = "primary", back: str = "Back") -> bool:
    """A confirmation dialog; True when the admin clicked `action` (marker "confirm"), False for `back` or Esc."""
    with ui.dialog() as dialog, ui.card().classes("ft-card p-5 gap-3 w-full max-w-sm"):
        ui.label(title).classes("text-lg font-semibold")
        ui.label(text).classes("text-sm text-slate-600")
        with ui.row().classes("w-full justify-end gap-2"):
            ui.button(back, on_click=lambda: dialog.submit(False)).props("flat no-caps").mark("dialog-back")
            ui.button(action, color=color, on_click=lambda: dialog.submit(True)).props("unelevated no-caps") \
                .mark("confirm")
    result = await dialog
    dialog.delete()
    return bool(result)


async def ask_reason(title: str, text: str, action: str, color: str = "negative", back: str = "Back", *,
                     disabled_until_reason: bool = False) -> str | None:
    """A dialog asking for a required reason (≤ 500 characters, marker "reason"); the trimmed reason, or None when
    dismissed (`back` or Esc). Clicking `action` (marker "confirm") with an empty reason keeps the dialog open and
    says "A reason is required"; with `disabled_until_reason` the `action` button is disabled until a reason is typed
    (the member moderation dialogs)."""
    with ui.dialog() as dialog, ui.card().classes("ft-card p-5 gap-3 w-full max-w-md"):
        ui.label(title).classes("text-lg font-semibold")
        ui.label(text).classes("text-sm text-slate-600")
        reason = ui.textarea("Reason (required, kept in the audit log)") \
            .props(f"outlined autogrow autofocus maxlength={REASON_MAX_CHARS} counter").classes("w-full") \
            .mark("reason")

        def submit() -> None:
            if not (reason.value or "").strip():
                reason.props('error error-message="A reason is required"')
                return
            dialog.submit(reason.value.strip())

        with ui.row().classes("w-full justify-end gap-2"):
            ui.button(back, on_click=lambda: dialog.submit(None)).props("flat no-caps")
            confirm_button = ui.button(action, color=color, on_click=submit).props("unelevated no-caps").mark("confirm")
        if disabled_until_reason:
            confirm_button.bind_enabled_from(reason, "value", backward=lambda value: bool((value or "").strip()))
    result = await dialog
    if not dialog.is_deleted:  # the browser may have gone away while the dialog was open
        dialog.delete()
    return result if isinstance(result, str) else None
