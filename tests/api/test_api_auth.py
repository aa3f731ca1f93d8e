"""JSON API sign-in, /users/me and the admin user list (PRODUCT.md §3, §7; RFC 7807 errors)."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient
from nicegui.testing import User as SimUser

from tests.support.accounts import create_account
from tests.support.api import PROBLEM
from tests.support.db import write_session


def _login(client: TestClient, email: str, password: str) -> httpx.Response:
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def _token(client: TestClient, email: str, password: str = "right-password-123") -> str:
    response = _login(client, email, password)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def test_login_ok_returns_bearer_token(user: SimUser) -> None:
    """Through the whole app (NiceGUI's, with the request-id middleware)."""
    create_account("ann@example.com")
    response = await user.http_client.post("/api/v1/auth/login",
                                           json={"email": "Ann@Example.com ", "password": "right-password-123"})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600 and body["access_token"].count(".") == 2
    assert response.headers["x-request-id"]


def test_wrong_password_and_unknown_email_give_the_same_401_problem(client: TestClient) -> None:
    create_account("bob@example.com")
    wrong = _login(client, "bob@example.com", "nope-nope-nope")
    unknown = _login(client, "nobody@example.com", "nope-nope-nope")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.headers["content-type"].startswith(PROBLEM)
        assert response.headers["www-authenticate"] == "Bearer"
        body = response.json()
        assert body["detail"] == "Email or password is incorrect"
        assert body["status"] == 401 and body["title"] and body["type"] and body["instance"] == "/api/v1/auth/login"
        assert body["code"] == "authentication-failed"
    assert wrong.json() == unknown.json()


@pytest.mark.parametrize(("status", "message"), [
    ("pending", "Please verify your email before signing in"),
    ("suspended", "This account is suspended; contact support"),
    ("banned", "This account is banned; contact support"),
])
def test_inactive_accounts_get_distinct_messages_only_with_the_right_password(
    client: TestClient, status: str, message: str,
) -> None:
    create_account(f"{status}@example.com", status=status)
    right = _login(client, f"{status}@example.com", "right-password-123")
    assert right.status_code == 401 and right.json()["detail"] == message
    wrong = _login(client, f"{status}@example.com", "wrong-password-123")
    assert wrong.status_code == 401 and wrong.json()["detail"] == "Email or password is incorrect"


def test_rate_limit_429_after_five_attempts_per_account(client: TestClient) -> None:
    create_account("carol@example.com")
    for _ in range(5):
        assert (_login(client, "carol@example.com", "right-password-123")).status_code == 200
    limited = _login(client, "carol@example.com", "right-password-123")
    assert limited.status_code == 429
    assert limited.headers["content-type"].startswith(PROBLEM)
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert limited.json()["status"] == 429
    # another account from the same IP is still allowed (per-account limit, IP limit is 20/min)
    create_account("dave@example.com")
    assert (_login(client, "dave@example.com", "right-password-123")).status_code == 200


def test_unknown_emails_are_throttled_like_known_ones(client: TestClient) -> None:
    statuses = [(_login(client, "ghost@example.com", "whatever-123")).status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]


def test_users_me_with_and_without_token(client: TestClient) -> None:
    user_id = create_account("erin@example.com", display_name="Erin", point_balance=120, points_earned=150)
    token = _token(client, "erin@example.com")
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    body = me.json()
    assert body["id"] == str(user_id) and body["email"] == "erin@example.com" and body["role"] == "user"
    assert body["status"] == "active" and body["display_name"] == "Erin" and body["tier_code"] == "F-30-39-INT"
    assert body["point_balance"] == 120 and body["points_earned"] == 150 and body["created_at"]

    missing = client.get("/api/v1/users/me")
    bad = client.get("/api/v1/users/me", headers={"Authorization": "Bearer nonsense"})
    for response in (missing, bad):
        assert response.status_code == 401
        assert response.headers["content-type"].startswith(PROBLEM)
        assert response.headers["www-authenticate"] == "Bearer"


def test_suspension_takes_effect_for_existing_tokens(client: TestClient) -> None:
    user_id = create_account("fred@example.com")
    token = _token(client, "fred@example.com")
    from domain.models import User

    with write_session() as session:
        row = session.get(User, user_id)
        assert row is not None
        row.status = "suspended"
        session.add(row)
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401


def test_admin_users_list_paginates_and_filters(client: TestClient) -> None:
    create_account("admin@example.com", role="admin", display_name="Boss", tier_code=None)
    for i in range(5):
        create_account(f"runner{i}@example.com", display_name=f"Runner {i}", points_earned=i * 10, point_balance=i)
    create_account("walker@example.com", display_name="Zoe Walker", status="suspended")
    create_account("prem@example.com", display_name="Prem", role="premium")
    auth = {"Authorization": f"Bearer {_token(client, 'admin@example.com')}"}
    get = client.get

    page1 = (get("/api/v1/admin/users?page=1&limit=3", headers=auth)).json()
    assert page1["pagination"] == {"page": 1, "limit": 3, "total": 8, "pages": 3}
    assert len(page1["items"]) == 3
    page3 = (get("/api/v1/admin/users?page=3&limit=3", headers=auth)).json()
    assert len(page3["items"]) == 2
    all_emails = [i["email"] for p in (1, 2, 3)
                  for i in (get(f"/api/v1/admin/users?page={p}&limit=3", headers=auth)).json()["items"]]
    assert len(set(all_emails)) == 8

    runners = (get("/api/v1/admin/users?q=RUNNER", headers=auth)).json()
    assert runners["pagination"]["total"] == 5
    item = next(i for i in runners["items"] if i["email"] == "runner3@example.com")
    assert {k: item[k] for k in ("role", "status", "tier_code", "point_balance", "points_earned")} == {
        "role": "user", "status": "active", "tier_code": "F-30-39-INT", "point_balance": 3, "points_earned": 30}
    assert set(item) >= {"id", "email", "role", "status", "tier_code", "point_balance", "points_earned"}

    by_name = (get("/api/v1/admin/users?q=zoe", headers=auth)).json()
    assert [i["email"] for i in by_name["items"]] == ["walker@example.com"]
    suspended = (get("/api/v1/admin/users?status=suspended", headers=auth)).json()
    assert [i["email"] for i in suspended["items"]] == ["walker@example.com"]
    premium = (get("/api/v1/admin/users?role=premium", headers=auth)).json()
    assert [i["email"] for i in premium["items"]] == ["prem@example.com"]
    wildcard = (get("/api/v1/admin/users?q=%25", headers=auth)).json()
    assert wildcard["pagination"]["total"] == 0  # LIKE wildcards are literal

    bad = get("/api/v1/admin/users?limit=500&role=wizard", headers=auth)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith(PROBLEM)
    assert {e["field"] for e in bad.json()["errors"]} == {"query.limit", "query.role"}


def test_member_gets_403_problem_on_admin_api(client: TestClient) -> None:
    create_account("member@example.com")
    auth = {"Authorization": f"Bearer {_token(client, 'member@example.com')}"}
    response = client.get("/api/v1/admin/users", headers=auth)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["status"] == 403 and response.json()["detail"] == "Administrator role required"
    assert (client.get("/api/v1/admin/users")).status_code == 401


def test_validation_error_lists_fields(client: TestClient) -> None:
    response = client.post("/api/v1/auth/login", json={"password": ""})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == 422 and body["title"] == "Validation failed"
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"body.email", "body.password"}
    assert all(e["message"] for e in body["errors"])


async def test_unknown_api_path_is_a_problem_but_pages_keep_nicegui_404(user: SimUser) -> None:
    api = await user.http_client.get("/api/v1/does-not-exist")
    assert api.status_code == 404 and api.headers["content-type"].startswith(PROBLEM)
    assert api.json()["instance"] == "/api/v1/does-not-exist"
    page = await user.http_client.get("/_nicegui/does-not-exist")
    assert page.status_code == 404 and not page.headers["content-type"].startswith(PROBLEM)


async def test_domain_errors_and_unexpected_errors_map_to_problems() -> None:
    """A bare FastAPI app with the same handlers: domain errors get their statuses, a crash reveals nothing."""
    from fastapi import FastAPI

    from app.web.problems import install_problem_handlers
    from domain.shared import errors

    api = FastAPI()
    install_problem_handlers(api)
    cases = {"nf": errors.NotFound("no such drawing"), "inv": errors.InvalidInput("bad date"),
             "conf": errors.Conflict("taken"), "idem": errors.IdempotencyConflict("key reused"),
             "forb": errors.Forbidden("nope"), "auth": errors.AuthenticationFailed("who?"),
             "poor": errors.InsufficientPoints("need 50 more points")}

    @api.get("/api/v1/raise/{name}")
    def raise_(name: str) -> None:
        if name == "crash":
            raise RuntimeError("database password is hunter2")
        raise cases[name]

    expected = {"nf": 404, "inv": 400, "conf": 409, "idem": 409, "forb": 403, "auth": 401, "poor": 400}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(api), base_url="http://test") as client:
        for name, status in expected.items():
            response = await client.get(f"/api/v1/raise/{name}")
            assert response.status_code == status, name
            assert response.headers["content-type"].startswith(PROBLEM)
            body = response.json()
            assert body["code"] == cases[name].code and body["detail"] == cases[name].detail
            assert body["title"] == cases[name].title and body["status"] == status
        crash = await client.get("/api/v1/raise/crash")
        assert crash.status_code == 500 and crash.headers["content-type"].startswith(PROBLEM)
        assert "hunter2" not in crash.text and "RuntimeError" not in crash.text
        assert crash.json()["detail"] == "An unexpected error occurred."
