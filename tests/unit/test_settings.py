"""Bad settings fail at start with a message naming the setting (issue 2 §2)."""

from __future__ import annotations

import pytest

from app.settings import SettingsError, load_settings


@pytest.mark.parametrize("name,value", [
    ("APP_PORT", "70000"), ("APP_PORT", "eighty"), ("DATABASE_URL", "mysql://x"), ("REDIS_URL", "http://x"),
    ("ENV", "staging"), ("LOG_LEVEL", "LOUD"), ("HUEY_WORKERS", "0"),
])
def test_bad_setting_is_named(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert f"  {name}:" in str(refused.value)


def test_prod_refuses_the_public_dev_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENV", "prod")
    monkeypatch.delenv("STORAGE_SECRET", raising=False)
    monkeypatch.setenv("TERRA_SIGNING_SECRET", "dev-terra-signing-secret")
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert "STORAGE_SECRET" in str(refused.value) and "TERRA_SIGNING_SECRET" in str(refused.value)
    assert "PUBLIC_BASE_URL" in str(refused.value)  # issue 13 §1: links come from configuration only
    monkeypatch.setenv("STORAGE_SECRET", "s3cret-from-the-vault")
    monkeypatch.setenv("TERRA_SIGNING_SECRET", "whsec-from-terra-dashboard")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://fittrack.example/")
    settings = load_settings()
    assert settings.env == "prod" and settings.public_url("/login") == "https://fittrack.example/login"
    assert settings.allowed_hosts == ["fittrack.example"] and settings.site_origin == "https://fittrack.example"


@pytest.mark.parametrize("value", ["fittrack.example", "ftp://fittrack.example", "https://x.example/?a=1", "https://"])
def test_public_base_url_must_be_an_absolute_http_url(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("PUBLIC_BASE_URL", value)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert "  PUBLIC_BASE_URL:" in str(refused.value)
