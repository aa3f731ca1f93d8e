"""Create an account (`/register`), PRODUCT.md §3. Self-contained like /login: a centred card that works at phone
width. Fields: email, password, display name, date of birth (date input), state (select), terms checkbox. Enter
submits; each refusal is shown under its field (the domain's own messages: age per state, excluded states, password
rules). On success the card says "Check your email" — the same whether or not the email already had an account.
"""

from __future__ import annotations

from datetime import date

from nicegui import ui

from app.security.ratelimit import RateLimited
from app.services import signup
from components.auth_card import auth_card, field_error
from components.page import PageContext, public_page
from domain.accounts import eligibility
from domain.shared.errors import InvalidInput

FIELDS = ("email", "password", "display_name", "date_of_birth", "state", "accept_terms")


@public_page("/register", title="Create an account · FitTrack")
def register_page(ctx: PageContext) -> None:
    with auth_card("Create your account: earn points for every step and climb your tier's leaderboard.") as card:
        email = ui.input("Email").props("type=email autocomplete=email outlined autofocus").classes("w-full") \
            .mark("email")
        errors = {"email": field_error("email")}
        password = (ui.input("Password (at least 10 characters)", password=True, password_toggle_button=True)
                    .props("autocomplete=new-password outlined").classes("w-full").mark("password"))
        errors["password"] = field_error("password")
        name = ui.input("Display name").props("autocomplete=nickname outlined maxlength=64").classes("w-full") \
            .mark("display_name")
        errors["display_name"] = field_error("display_name")
        dob = ui.input("Date of birth").props("type=date outlined stack-label").classes("w-full") \
            .mark("date_of_birth")
        errors["date_of_birth"] = field_error("date_of_birth")
        state = ui.select(sorted(eligibility.US_STATES), label="State").props("outlined").classes("w-full") \
            .mark("state")
        errors["state"] = field_error("state")
        terms = ui.checkbox("I am a US resident and accept the terms and official rules").mark("accept_terms")
        errors["accept_terms"] = field_error("accept_terms")
        button = ui.button("Create account").props("unelevated size=lg").classes("w-full bg-emerald-600") \
            .mark("register")
        with ui.row().classes("w-full justify-center text-sm gap-1"):
            ui.label("Already a member?").classes("text-slate-500")
            ui.link("Sign in", "/login").classes("text-emerald-700")

    def show(problems: list[dict[str, str]]) -> None:
        for label in errors.values():
            label.set_visibility(False)
        for problem in problems:
            label = errors.get(problem["field"], errors["email"])
            label.set_text(problem["message"])
            label.set_visibility(True)

    async def submit() -> None:
        if button.props.get("loading"):
            return
        try:
            born = date.fromisoformat(dob.value or "")
        except ValueError:
            show([{"field": "date_of_birth", "message": "Enter your date of birth."}])
            return
        button.props("loading")
        button.disable()
        try:
            await ctx.call(
                signup.register_account, email=email.value or "", password=password.value or "",
                date_of_birth=born, state=state.value or "", display_name=name.value or "",
                accept_terms=bool(terms.value), ip=ctx.ip)
        except InvalidInput as exc:
            show(exc.extra.get("errors") or [])  # type: ignore[arg-type]
            return
        except RateLimited as exc:  # issue 13 §6
            ui.notify(exc.detail, type="warning")
            return
        finally:
            button.props(remove="loading")
            button.enable()
        card.clear()
        with card:
            ui.icon("mark_email_read", size="3rem").classes("text-emerald-600 self-center")
            ui.label("Check your email").classes("text-xl font-bold text-slate-800").mark("check-email")
            ui.label(f"We sent a link to {email.value.strip().lower()}. Open it within 24 hours to confirm your "
                     "address, then sign in.").classes("text-sm text-slate-600")
            ui.link("Back to sign in", "/login").classes("text-emerald-700 text-sm")

    button.on_click(submit)
    for element in (email, password, name, dob):
        element.on("keydown.enter", submit)
