"""The JSON API is documented by FastAPI's OpenAPI at /docs (issue 2 §6)."""

from nicegui.testing import User


async def test_openapi_lists_the_api_and_not_the_pages(user: User) -> None:
    schema = (await user.http_client.get("/openapi.json")).json()
    paths = set(schema["paths"])
    assert {"/api/v1/auth/login", "/api/v1/users/me", "/api/v1/admin/users", "/api/v1/points/balance",
            "/api/v1/leaderboards/{period}", "/webhooks/terra", "/health/ready"} <= paths
    assert "/leaderboard" not in paths and not any(p.startswith("/_nicegui") for p in paths)
    assert schema["info"]["title"] == "FitTrack API"
    docs = await user.http_client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
