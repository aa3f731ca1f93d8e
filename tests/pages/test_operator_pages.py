"""Issue 13 §4 on the real NiceGUI app: in production `/docs`, `/openapi.json` and `/metrics` open for an admin's
browser session (signed in through the login page) and stay closed for a member's."""

from __future__ import annotations

from collections.abc import Callable

from nicegui.testing import User as SimUser

from app.settings import Env
from app.system import System
from tests.support.members import email_of, member, sign_in

PROD = {"env": Env.prod, "public_base_url": "http://test", "storage_secret": "prod-secret-for-this-test"}


async def test_operator_pages_follow_the_browser_session_in_production(
        user: SimUser, system: System, system_factory: Callable[..., System],
        serve: Callable[[System], None]) -> None:
    admin = member(role="admin")
    await sign_in(user, email_of(admin.user_id))
    serve(system_factory(**PROD, database_url=system.settings.database_url))
    for path in ("/openapi.json", "/docs", "/metrics"):
        assert (await user.http_client.get(path)).status_code == 200, path
    await user.open("/logout")
    for path in ("/openapi.json", "/docs", "/metrics"):
        assert (await user.http_client.get(path)).status_code == 401, path
