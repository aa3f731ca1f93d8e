"""Confirmation dialogs for admin actions (destructive or audited steps ask first), and the request facts an audit
entry records. One place for them, so every admin page asks the same way."""

from __future__ import annotations

from nicegui import ui


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


async def ask_reason(title: str, text: str, action: str, color: str = "negative") -> str | None:
    """A dialog asking for a required reason (≤ 500 characters, marker "reason"); the trimmed reason, or None when
    dismissed. An empty reason keeps the dialog open with an error."""
    with ui.dialog() as dialog, ui.card().classes("ft-card p-5 gap-3 w-full max-w-md"):
        ui.label(title).classes("text-lg font-semibold")
        ui.label(text).classes("text-sm text-slate-600")
        reason = ui.textarea("Reason (required, kept in the audit log)") \
            .props("outlined autogrow maxlength=500 counter").classes("w-full").mark("reason")

        def submit() -> None:
            if not (reason.value or "").strip():
                reason.props('error error-message="A reason is required"')
                return
            dialog.submit(reason.value.strip())

        with ui.row().classes("w-full justify-end gap-2"):
            ui.button("Back", on_click=lambda: dialog.submit(None)).props("flat no-caps")
            ui.button(action, color=color, on_click=submit).props("unelevated no-caps").mark("confirm")
    result = await dialog
    dialog.delete()
    return result if isinstance(result, str) else None


def client_ip() -> str | None:
    """The IP address of the browser behind the current UI event (for audit entries), or None outside a request."""
    try:
        request = ui.context.client.request
        return request.client.host if request.client else None
    except (AttributeError, RuntimeError):
        return None
