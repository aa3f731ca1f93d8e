"""Sign-in page (`/login`) and sign-out (`/logout`), PRODUCT.md §3. Self-contained (no app frame): a centred card
that works at phone width. Enter submits; the button shows a spinner while the password is checked; errors are the
domain's own messages ("Email or password is incorrect", "Please verify your email ...", rate-limit notices).
A signed-in visitor of /login goes straight to `redirect_to` (a same-site path, else "/")."""

from __future__ import annotations

from fastapi.responses import RedirectResponse
from nicegui import ui

from app.security.ratelimit import RateLimited
from app.web import auth
from components.auth_card import auth_card
from components.page import PageContext, public_page
from domain.shared.errors import AuthenticationFailed


@public_page("/login", title="Sign in · FitTrack", with_user=True)
async def login_page(ctx: PageContext, redirect_to: str = "/") -> RedirectResponse | None:
    target = auth.safe_redirect_target(redirect_to)
    if ctx.user is not None:  # /login is public: the decorator read the session (the page guard did not)
        return RedirectResponse(target)
    with auth_card("Sign in to track your points and climb your leaderboard."):
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
            await auth.sign_in(ctx.system, email.value, password.value, ctx.ip)
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


@public_page("/logout", title="Signed out · FitTrack")
async def logout_page(ctx: PageContext) -> RedirectResponse:
    await auth.sign_out(ctx.system)
    return RedirectResponse("/login")
