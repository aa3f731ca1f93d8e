"""Registration, email verification, password reset and the outbox (PRODUCT.md §3; issue 4 §1–§4; plan
Checkpoint 2 "User Registration"). Domain rules on SQLite and PostgreSQL, the JSON API through the app, emails sent
by the real Huey consumer (dev outbox) and by `SmtpMailer` to a real SMTP server (aiosmtpd) started here."""

from __future__ import annotations

import asyncio
import re
import socket
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from hypothesis import given, settings
from hypothesis import strategies as st
from nicegui.testing import User as SimUser
from sqlmodel import Session, col, select

from app.adapters import mailer
from app.services import mail
from app.system import System
from domain.accounts import eligibility, registration
from domain.accounts.tiers import age_on
from domain.accounts.users import create_browser_session, resolve_browser_session
from domain.models import BrowserSession, EmailToken, OutboxMessage, Profile, User
from domain.shared.errors import InvalidInput
from tasks import mail as mail_tasks
from tasks import register_tasks
from tests.support.accounts import create_account
from tests.support.db import read_session, write_session
from tests.support.jobs import run_queued
from tests.support.system import current

PROBLEM = "application/problem+json"
NOW = datetime(2026, 6, 15, 16, 0, tzinfo=UTC)  # 12:00 in New York: platform day 2026-06-15
GOOD_PASSWORD = "correct horse battery"


def clock_at(moment: datetime):  # type: ignore[no-untyped-def]
    return lambda: moment


def fake_hash(password: str) -> str:
    return "hashed:" + password


def _register(session: Session, clock=clock_at(NOW), **overrides: object) -> registration.Registration:  # type: ignore[no-untyped-def]
    fields: dict[str, object] = {
        "email": "New.Member@Example.com", "password": GOOD_PASSWORD, "date_of_birth": date(1990, 5, 17),
        "state": "TX", "display_name": "New Member", "accept_terms": True,
    }
    fields.update(overrides)
    return registration.register(session, password_hasher=fake_hash, clock=clock, **fields)  # type: ignore[arg-type]


def _field_errors(exc: pytest.ExceptionInfo[InvalidInput]) -> dict[str, str]:
    errors = exc.value.extra["errors"]
    assert isinstance(errors, list)
    return {e["field"]: e["message"] for e in errors}


# --- domain: registration ---------------------------------------------------------------------------------------


def test_register_creates_a_pending_member_with_a_hashed_single_use_token(db_system: System) -> None:
    with Session(db_system.db.engine) as session:
        user, token, created = _register(session)
        session.commit()
        assert created and token and user.status == "pending" and user.email_verified_at is None
        assert user.email == "new.member@example.com" and user.password_hash == "hashed:" + GOOD_PASSWORD
        profile = session.get(Profile, user.id)
        assert profile is not None and profile.state_code == "TX" and profile.display_name == "New Member"
        stored = session.exec(select(EmailToken)).one()
        assert stored.purpose == "verify" and stored.token_hash == registration.token_hash(token) != token
        assert stored.expires_at == NOW + timedelta(hours=24) and stored.used_at is None


def test_every_field_problem_is_reported_at_once_and_nothing_is_written(db_system: System) -> None:
    with Session(db_system.db.engine) as session:
        with pytest.raises(InvalidInput) as exc:
            _register(session, email="not-an-email", password="short", state="ZZ", display_name="  ",
                      accept_terms=False)
        assert set(_field_errors(exc)) == {"email", "password", "state", "display_name", "accept_terms"}
        assert session.exec(select(User)).all() == [] and session.exec(select(EmailToken)).all() == []


@pytest.mark.parametrize("state", sorted(eligibility.EXCLUDED_STATES))
def test_excluded_states_are_refused_with_a_state_message(state: str) -> None:
    errors = registration.registration_problems(
        email="a@example.com", password=GOOD_PASSWORD, date_of_birth=date(1980, 1, 1), state=state,
        display_name="A", accept_terms=True, today=NOW.date())
    assert errors == [{"field": "state", "message": f"Sorry, FitTrack sweepstakes are not available to residents "
                                                    f"of {state}."}]


@pytest.mark.parametrize("state", ["PR", "GU", "ON", "UK", "", "Texas", "T1"])
def test_non_us_state_codes_are_refused(state: str) -> None:
    errors = registration.registration_problems(
        email="a@example.com", password=GOOD_PASSWORD, date_of_birth=date(1980, 1, 1), state=state,
        display_name="A", accept_terms=True, today=NOW.date())
    assert [e["field"] for e in errors] == ["state"] and "US" in errors[0]["message"]


def _turns(dob: date, years: int) -> date:
    """The day someone born on `dob` reaches `years` (a Feb 29 birthday counts on Mar 1 in common years)."""
    try:
        return dob.replace(year=dob.year + years)
    except ValueError:
        return date(dob.year + years, 3, 1)


@settings(max_examples=300, deadline=None)
@given(
    state=st.sampled_from(sorted(eligibility.ELIGIBLE_STATES)),
    dob=st.one_of(st.dates(date(1930, 1, 1), date(2012, 12, 31)),
                  st.sampled_from([date(2004, 2, 29), date(2000, 2, 29), date(2005, 2, 28), date(2005, 3, 1),
                                   date(2007, 12, 31), date(2008, 1, 1)])),
    offset=st.integers(-3, 3),
)
def test_age_gate_per_state_around_birthdays_and_leap_days(state: str, dob: date, offset: int) -> None:
    minimum = {"AL": 19, "NE": 19, "MS": 21}.get(state, 18)
    today = _turns(dob, minimum) + timedelta(days=offset)
    problem = registration.age_problem(dob, state, today)
    if offset >= 0:  # turning the minimum age exactly today is enough
        assert problem is None
    else:
        assert problem is not None and f"at least {minimum} years old" in problem
        assert age_on(dob, today) == minimum - 1


def test_leap_day_birthday_reaches_18_on_march_1_in_a_common_year() -> None:
    assert registration.age_problem(date(2008, 2, 29), "TX", date(2026, 2, 28)) is not None
    assert registration.age_problem(date(2008, 2, 29), "TX", date(2026, 3, 1)) is None
    assert registration.age_problem(date(2005, 6, 16), "ms", date(2026, 6, 15)) == (
        "You must be at least 21 years old to join FitTrack in MS.")


@pytest.mark.parametrize("dob", [date(2026, 6, 16), date(1899, 12, 31)])
def test_impossible_birth_dates_are_refused(dob: date) -> None:
    assert registration.age_problem(dob, "TX", NOW.date()) == "Enter your real date of birth."


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=9))
def test_passwords_under_ten_characters_are_refused(password: str) -> None:
    assert registration.password_problems(password) == [
        {"field": "password", "message": "Use at least 10 characters."}]


@pytest.mark.parametrize("password", ["password123", "Password123", "1234567890", " qwertyuiop ", "iloveyou12"])
def test_common_passwords_are_refused_case_insensitively(password: str) -> None:
    assert "too common" in registration.password_problems(password)[0]["message"]


def test_long_uncommon_passwords_are_accepted_and_very_long_ones_refused() -> None:
    assert registration.password_problems(GOOD_PASSWORD) == []
    assert registration.password_problems("x" * 129)[0]["message"] == "Use at most 128 characters."


def test_existing_email_returns_the_existing_account_and_writes_nothing(db_system: System) -> None:
    with Session(db_system.db.engine) as session:
        first, _, _ = _register(session)
        session.commit()
        again = _register(session, email=" NEW.member@example.COM", display_name="Someone Else")
        assert again.created is False and again.verify_token is None and again.user.id == first.id
        assert len(session.exec(select(User)).all()) == 1 and len(session.exec(select(EmailToken)).all()) == 1


# --- domain: verification and reset -----------------------------------------------------------------------------


def test_verify_email_activates_once(db_system: System) -> None:
    with Session(db_system.db.engine) as session:
        user, token, _ = _register(session)
        later = NOW + timedelta(hours=23, minutes=59)
        verified = registration.verify_email(session, token or "", clock_at(later))
        assert verified.id == user.id and verified.status == "active" and verified.email_verified_at == later
        with pytest.raises(InvalidInput, match="already been used"):
            registration.verify_email(session, token or "", clock_at(later))
        with pytest.raises(InvalidInput, match="not valid"):
            registration.verify_email(session, "made-up-token", clock_at(later))


def test_verify_token_expires_after_24_hours(db_system: System) -> None:
    with Session(db_system.db.engine) as session:
        user, token, _ = _register(session)
        with pytest.raises(InvalidInput, match="expired"):
            registration.verify_email(session, token or "", clock_at(NOW + timedelta(hours=24)))
        assert session.get(User, user.id).status == "pending"  # type: ignore[union-attr]


def test_password_reset_is_single_use_expires_in_an_hour_and_ends_browser_sessions(db_system: System) -> None:
    with Session(db_system.db.engine) as session:
        user, token, _ = _register(session)
        registration.verify_email(session, token or "", clock_at(NOW))
        sid = create_browser_session(session, user.id, clock_at(NOW))
        assert registration.request_password_reset(session, "nobody@example.com", clock_at(NOW)) is None
        found = registration.request_password_reset(session, "NEW.member@example.com", clock_at(NOW))
        assert found is not None and found[0].id == user.id
        reset_token = found[1]
        with pytest.raises(InvalidInput, match="not valid"):  # a verify token is no reset token
            registration.reset_password(session, token or "", "another long secret", fake_hash, clock_at(NOW))
        with pytest.raises(InvalidInput) as weak:
            registration.reset_password(session, reset_token, "password123", fake_hash, clock_at(NOW))
        assert _field_errors(weak) == {"new_password": "This password is too common. Choose one that is harder "
                                                       "to guess."}
        with pytest.raises(InvalidInput, match="expired"):
            registration.reset_password(session, reset_token, "another long secret", fake_hash,
                                        clock_at(NOW + timedelta(hours=1)))
        done = registration.reset_password(session, reset_token, "another long secret", fake_hash,
                                           clock_at(NOW + timedelta(minutes=59)))
        assert done.password_hash == "hashed:another long secret"
        assert session.exec(select(BrowserSession)).one().revoked_at is not None
        assert resolve_browser_session(session, sid, clock_at(NOW + timedelta(hours=1))) is None
        with pytest.raises(InvalidInput, match="already been used"):
            registration.reset_password(session, reset_token, "yet another secret", fake_hash, clock_at(NOW))


def test_a_reset_uses_up_every_other_open_reset_token(db_system: System) -> None:
    with Session(db_system.db.engine) as session:
        _register(session)
        first = registration.request_password_reset(session, "new.member@example.com", clock_at(NOW))
        second = registration.request_password_reset(session, "new.member@example.com", clock_at(NOW))
        assert first and second
        registration.reset_password(session, second[1], "another long secret", fake_hash, clock_at(NOW))
        with pytest.raises(InvalidInput, match="already been used"):
            registration.reset_password(session, first[1], "yet another secret", fake_hash, clock_at(NOW))


# --- outbox -------------------------------------------------------------------------------------------------------


def test_queued_email_belongs_to_the_callers_transaction() -> None:
    with pytest.raises(RuntimeError), write_session() as session:
        mail.queue_email(session, "a@example.com", "account_suspended", {})
        raise RuntimeError("the change failed")
    with write_session() as session:
        kept = mail.queue_email(session, "a@example.com", "account_locked", {"minutes": 15})
    with read_session() as session:
        rows = session.exec(select(OutboxMessage)).all()
    assert [r.id for r in rows] == [kept.id]
    assert rows[0].status == "queued" and rows[0].attempts == 0 and "15 minutes" in rows[0].text_body


def test_templates_escape_values_in_html() -> None:
    with write_session() as session:
        message = mail.queue_email(session, "a@example.com", "verify_email",
                                     {"display_name": "<script>x</script>", "link": "https://x/verify-email?token=a&b"})
    assert "<script>x</script>" not in message.html_body and "&lt;script&gt;" in message.html_body
    assert "<script>x</script>" in message.text_body and "token=a&amp;b" in message.html_body


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Inbox:
    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]  # noqa: N802
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def _smtp_system(system_factory: Callable[..., System], port: int) -> System:
    """A System on the test's database that sends through SMTP at 127.0.0.1:`port` (`SMTP_HOST`), tasks registered."""
    smtp = system_factory(smtp_host="127.0.0.1", smtp_port=port)
    register_tasks(smtp)
    return smtp


def test_smtp_mailer_delivers_multipart_mail_to_a_real_smtp_server(
    smtp_server: tuple[_Inbox, int], system_factory: Callable[..., System],
) -> None:
    inbox, port = smtp_server
    smtp = _smtp_system(system_factory, port)
    with write_session(smtp) as session:
        message_id = mail.queue_email(session, "member@example.com", "password_reset",
                                        {"link": "http://t/reset-password?token=abc"}).id
    assert isinstance(smtp.mailer, mailer.SmtpMailer) and (smtp.mailer.host, smtp.mailer.port) == ("127.0.0.1", port)
    send_outbox_message = smtp.jobs.task("send_outbox_message")
    assert send_outbox_message.call_local(str(message_id)) == "sent"
    [(sender, recipients, content)] = inbox.received
    assert recipients == ["member@example.com"] and "fittrack" in sender
    assert b"Subject: Reset your FitTrack password" in content and b"text/html" in content
    parsed = message_from_bytes(content, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    text, html = parsed.get_body(("plain",)), parsed.get_body(("html",))
    assert text is not None and "http://t/reset-password?token=abc" in text.get_content()
    assert html is not None and 'href="http://t/reset-password?token=abc"' in html.get_content()
    with read_session(smtp) as session:
        row = session.get(OutboxMessage, message_id)
        assert row is not None and row.status == "sent" and row.sent_at is not None and row.attempts == 1
    assert send_outbox_message.call_local(str(message_id)) == "sent"  # never sent twice
    assert len(inbox.received) == 1


def test_failed_sending_keeps_the_message_and_the_sweeper_retries_it(
    system: System, system_factory: Callable[..., System],
) -> None:
    smtp = _smtp_system(system_factory, _free_port())  # nothing listens there
    with write_session(smtp) as session:
        message_id = mail.queue_email(session, "member@example.com", "account_suspended", {}).id
    with pytest.raises(OSError):
        mail.deliver(smtp, message_id)
    with write_session(smtp) as session:
        row = session.get(OutboxMessage, message_id)
        assert row is not None and row.status == "failed" and row.attempts == 1
        assert row.last_error and "Error" in row.last_error
        assert mail_tasks.messages_to_sweep(smtp) == []  # younger than 5 minutes: Huey's own retries first
        row.created_at = datetime.now(UTC) - timedelta(minutes=6)
    assert mail_tasks.messages_to_sweep(smtp) == [message_id]
    assert mail.deliver(system, message_id) == "sent"  # the test's own System: no SMTP_HOST, the dev outbox
    assert mail_tasks.messages_to_sweep(smtp) == []


# --- JSON API -----------------------------------------------------------------------------------------------------


@pytest.fixture
def consumer(system: System) -> Iterator[None]:
    """The test System's Huey consumer (one worker thread), as the app runs it embedded; stopped after the test."""
    system.jobs.start_consumer(1)
    yield
    system.jobs.stop_consumer()


def _body(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {"email": "joiner@example.com", "password": GOOD_PASSWORD,
                               "date_of_birth": "1991-03-04", "state": "TX", "display_name": "Joiner",
                               "accept_terms": True}
    body.update(overrides)
    return body


def _outbox(to: str | None = None) -> list[OutboxMessage]:
    with read_session() as session:
        rows = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.created_at))).all()
    return [r for r in rows if to is None or r.to_address == to]


def _token_in(message: OutboxMessage, path: str) -> str:
    match = re.search(rf"http://[^/\s]+{path}\?token=([\w-]+)", message.text_body)
    assert match, message.text_body
    return match.group(1)


async def _wait_sent(message_id: uuid.UUID) -> OutboxMessage:
    for _ in range(200):
        with read_session() as session:
            row = session.get(OutboxMessage, message_id)
        if row is not None and row.status == "sent":
            return row
        await asyncio.sleep(0.05)
    raise AssertionError("the Huey consumer did not send the message")


async def test_register_verify_then_sign_in(user: SimUser, consumer: None) -> None:
    client = user.http_client
    response = await client.post("/api/v1/auth/register", json=_body())
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["email"] == "joiner@example.com" and body["status"] == "pending" and uuid.UUID(body["id"])
    [message] = _outbox("joiner@example.com")
    assert message.template == "verify_email" and "Joiner" in message.text_body
    assert (await _wait_sent(message.id)).sent_at is not None  # the real Huey task, dev outbox
    login = {"email": "joiner@example.com", "password": GOOD_PASSWORD}
    refused = await client.post("/api/v1/auth/login", json=login)
    assert refused.status_code == 401 and refused.json()["detail"] == "Please verify your email before signing in"
    token = _token_in(message, "/verify-email")
    verified = await client.post("/api/v1/auth/verify-email", json={"token": token})
    assert verified.status_code == 200 and verified.json()["status"] == "active"
    assert (await client.post("/api/v1/auth/login", json=login)).status_code == 200
    again = await client.post("/api/v1/auth/verify-email", json={"token": token})
    assert again.status_code == 400 and "already been used" in again.json()["detail"]


async def test_under_age_registration_gets_a_400_naming_the_age(user: SimUser) -> None:
    seventeen = (datetime.now(UTC).date() - timedelta(days=17 * 366)).isoformat()
    response = await user.http_client.post("/api/v1/auth/register", json=_body(date_of_birth=seventeen))
    assert response.status_code == 400 and response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert problem["errors"] == [{"field": "date_of_birth",
                                  "message": "You must be at least 18 years old to join FitTrack."}]
    assert problem["status"] == 400 and problem["code"] == "invalid-input" and "18" in problem["detail"]
    assert _outbox() == []


async def test_new_york_registration_gets_a_400_explaining_the_state(user: SimUser) -> None:
    response = await user.http_client.post("/api/v1/auth/register", json=_body(state="NY"))
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "state", "message": "Sorry, FitTrack sweepstakes are not available to residents of NY."}]


async def test_existing_email_gets_the_same_answer_and_its_owner_an_email(user: SimUser) -> None:
    owner = create_account("taken@example.com")
    fresh = await user.http_client.post("/api/v1/auth/register", json=_body(email="fresh@example.com"))
    taken = await user.http_client.post("/api/v1/auth/register", json=_body(email="Taken@example.com"))
    assert fresh.status_code == taken.status_code == 201
    assert set(fresh.json()) == set(taken.json()) == {"id", "email", "status"}
    assert taken.json()["status"] == "pending" and taken.json()["id"] != str(owner)
    [attempt] = _outbox("taken@example.com")
    assert attempt.template == "registration_attempt" and "/forgot-password" in attempt.text_body
    with read_session() as session:
        assert len(session.exec(select(User).where(User.email == "taken@example.com")).all()) == 1


async def test_forgot_and_reset_password(user: SimUser) -> None:
    create_account("member@example.com", "old-password-123")
    client = user.http_client
    known = await client.post("/api/v1/auth/forgot-password", json={"email": "member@example.com"})
    unknown = await client.post("/api/v1/auth/forgot-password", json={"email": "ghost@example.com"})
    assert known.status_code == unknown.status_code == 202 and known.json() == unknown.json()
    run_queued(current())  # the request only enqueued the lookup (the same work for both addresses, issue 13 §6)
    [message] = _outbox()
    assert message.to_address == "member@example.com" and message.template == "password_reset"
    token = _token_in(message, "/reset-password")
    weak = await client.post("/api/v1/auth/reset-password", json={"token": token, "new_password": "short"})
    assert weak.status_code == 400 and weak.json()["errors"][0]["field"] == "new_password"
    done = await client.post("/api/v1/auth/reset-password", json={"token": token, "new_password": GOOD_PASSWORD})
    assert done.status_code == 200
    assert (await client.post("/api/v1/auth/login", json={"email": "member@example.com",
                                                          "password": GOOD_PASSWORD})).status_code == 200
    reused = await client.post("/api/v1/auth/reset-password", json={"token": token, "new_password": "x" * 12})
    assert reused.status_code == 400 and "already been used" in reused.json()["detail"]
