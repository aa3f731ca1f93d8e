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
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert "STORAGE_SECRET" in str(refused.value) and "TERRA_SIGNING_SECRET" in str(refused.value)
    monkeypatch.setenv("STORAGE_SECRET", "s3cret-from-the-vault")
    monkeypatch.setenv("TERRA_SIGNING_SECRET", "whsec-from-terra-dashboard")
    assert load_settings().env == "prod"
