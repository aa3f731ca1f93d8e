"""Issue 13 on the real NiceGUI app with its whole middleware stack (page guard, metrics, request ids, NiceGUI's own):
oversized bodies are a clean 413 problem (§2) without an error logged, pages carry the CSP (§4), and in production
`/docs`, `/openapi.json` and `/metrics` open for an admin's browser session and close after sign-out (§4)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

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


async def test_oversized_bodies_are_a_413_through_every_middleware(user: SimUser) -> None:
    async def two_hundred_mib() -> AsyncIterator[bytes]:
        for _ in range(200 * 16):
            yield b"x" * 65_536

    for path in ("/webhooks/terra", "/api/v1/auth/forgot-password"):
        response = await user.http_client.post(path, content=two_hundred_mib(),
                                               headers={"Content-Type": "application/json"})
        assert response.status_code == 413, (path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.headers["x-request-id"]  # the request-id middleware still wraps the refusal
    page = await user.http_client.get("/login")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "'unsafe-eval'" in page.headers["content-security-policy"]  # NiceGUI evaluates props and run_javascript
