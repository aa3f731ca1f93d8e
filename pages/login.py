"""Sign-in page (`/login`) and sign-out (`/logout`), PRODUCT.md §3. Self-contained (no app frame): a centred card
that works at phone width. Enter submits; the button shows a spinner while the password is checked; errors are the
domain's own messages ("Email or password is incorrect", "Please verify your email ...", rate-limit notices)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import ui

from app import web_auth
from app.security.ratelimit import RateLimited
from components import theme
from domain.errors import AuthenticationFailed


@ui.page("/login", title="Sign in · FitTrack")
async def login_page(request: Request, redirect_to: str = "/") -> RedirectResponse | None:
    target = web_auth.safe_redirect_target(redirect_to)
    if await web_auth.resolve_user() is not None:  # /login is public: the page guard did not resolve the session
        return RedirectResponse(target)
    ip = request.client.host if request.client else None
    theme.apply()  # the app's colours and font (components/theme.py)

    ui.query("body").classes("bg-gradient-to-br from-emerald-50 to-sky-100")
    with (
        ui.column().classes("w-full min-h-screen items-center justify-center p-4"),
        ui.card().classes("w-full max-w-sm p-6 gap-4 shadow-lg rounded-2xl"),
    ):
        with ui.row().classes("items-center gap-2 no-wrap"):
            ui.icon("directions_run", size="2rem").classes("text-emerald-600")
            ui.label("FitTrack").classes("text-2xl font-bold text-slate-800")
        ui.label("Sign in to track your points and climb your leaderboard.").classes("text-sm text-slate-500")
        email = (ui.input("Email").props('type=email autocomplete=username outlined autofocus')
                 .classes("w-full").mark("email"))
        password = (ui.input("Password", password=True, password_toggle_button=True)
                    .props("autocomplete=current-password outlined").classes("w-full").mark("password"))
        error = ui.label("").classes("text-sm text-red-700 bg-red-50 rounded px-3 py-2 w-full").mark("error")
        error.set_visibility(False)
        button = ui.button("Sign in").props("unelevated size=lg").classes("w-full bg-emerald-600").mark("sign-in")
        with ui.row().classes("w-full justify-between text-sm"):  # issue 4: sign-up and password reset
            ui.link("Create an account", "/register").classes("text-emerald-700").mark("create-account")
            ui.link("Forgot password?", "/forgot-password").classes("text-slate-500").mark("forgot-password")

    def show_error(message: str) -> None:
        error.set_text(message)
        error.set_visibility(True)

    async def submit() -> None:
        if button.props.get("loading"):
            return
        error.set_visibility(False)
        if not (email.value or "").strip() or not password.value:
            show_error("Enter your email and password.")
            return
        button.props("loading")
        button.disable()
        try:
            await web_auth.sign_in(email.value, password.value, ip)
        except (AuthenticationFailed, RateLimited) as exc:
            show_error(exc.detail)
            password.set_value("")
        else:
            ui.navigate.to(target)
        finally:
            button.props(remove="loading")
            button.enable()

    button.on_click(submit)
    email.on("keydown.enter", submit)
    password.on("keydown.enter", submit)
    return None


@ui.page("/logout", title="Signed out · FitTrack")
async def logout_page() -> RedirectResponse:
    await web_auth.sign_out()
    return RedirectResponse("/login")
