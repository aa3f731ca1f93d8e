"""Application settings (pydantic-settings), read from the environment and an optional `.env` file.

Every setting is documented in README.md ("Settings"). A bad value fails at start with a message naming the
setting (see `load_settings`).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"


class Env(StrEnum):
    dev = "dev"
    test = "test"
    prod = "prod"


class Settings(BaseSettings):
    """All runtime configuration.

    Field names map to upper-case environment variables (`database_url` ← `DATABASE_URL`).
    """

    model_config = SettingsConfigDict(env_file=ROOT / ".env", env_file_encoding="utf-8", extra="ignore")

    env: Env = Env.dev
    database_url: str = Field(default=f"sqlite:///{VAR / 'fittrack.db'}")
    redis_url: str | None = None
    # issue 13 §3: connect/read timeout of the Redis clients of request paths, and how long a Redis use stays on its
    # fallback after a failure before one call probes Redis again (seconds)
    redis_timeout_seconds: float = Field(default=0.25, gt=0, le=10)
    redis_circuit_reset_seconds: float = Field(default=5.0, gt=0, le=300)
    app_host: str = "127.0.0.1"
    app_port: int = Field(default=8080, ge=1, le=65535)
    storage_secret: str = "dev-only-storage-secret-change-me"

    jwt_private_key_path: Path = VAR / "jwt_private.pem"
    jwt_public_key_path: Path = VAR / "jwt_public.pem"
    jwt_issuer: str = "fittrack"
    jwt_audience: str = "fittrack-api"
    jwt_access_ttl_seconds: int = Field(default=3600, gt=0)

    terra_base_url: str = "https://access.tryterra.co/api/v2"
    terra_dev_id: str | None = None
    terra_api_key: str | None = None
    terra_providers: str = "GARMIN,FITBIT,POLAR,OURA,WITHINGS,COROS,SUUNTO,WAHOO"  # offered on /connections (issue 5)
    terra_signing_secret: str = "dev-terra-signing-secret"
    terra_signature_tolerance_seconds: int = Field(default=300, ge=0)
    terra_timeout_seconds: float = Field(default=10.0, gt=0)
    terra_max_retries: int = Field(default=3, ge=0, le=10)
    terra_circuit_threshold: int = Field(default=5, ge=1)
    terra_circuit_cooldown_seconds: int = Field(default=60, ge=1)

    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    public_base_url: str | None = None  # every absolute link the app writes (issue 13 §1); required in prod

    # Edge protections (issue 13 §1, §2, §4; app/web/protections.py). Lists are comma-separated.
    trusted_hosts: str = ""  # prod: Host values accepted; empty = the host of PUBLIC_BASE_URL
    forwarded_allow_ips: str = "127.0.0.1"  # proxies whose X-Forwarded-For/-Proto are honoured (uvicorn)
    webhook_max_body_bytes: int = Field(default=1_048_576, ge=1024)
    api_max_body_bytes: int = Field(default=65_536, ge=1024)  # JSON API bodies (uploads: images.MAX_UPLOAD_BYTES)
    json_max_depth: int = Field(default=32, ge=2, le=1000)
    # Day data older than this many days is stored but earns nothing; 0 = no window (only for replaying historic
    # data such as the 2016 Fitbit dataset: `make run`, tests, benches)
    day_credit_window_days: int = Field(default=35, ge=0)
    metrics_token: str | None = None  # prod: Bearer token that opens /metrics, /docs, /openapi.json

    huey_workers: int = Field(default=2, ge=1, le=32)
    huey_embedded: bool = True
    huey_sqlite_path: Path = VAR / "huey.db"

    log_level: str = "INFO"
    password_hash_fast: bool = False  # tests only: honoured when ENV=test (app/security/passwords.py)
    media_dir: Path = VAR / "media"  # uploaded prize images and sponsor logos (app/adapters/images.py)
    fitbit_data_dir: Path = ROOT.parent / "shared" / "data" / "fitbit" / "fitabase_4.12.16-5.12.16"

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql", "oracle+oracledb:")):
            raise ValueError("must start with sqlite:, postgresql(+psycopg):// or oracle+oracledb://")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis:// or rediss:// URL")
        return value

    @field_validator("public_base_url")
    @classmethod
    def _public_base_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError("must be an absolute http(s):// URL without query, e.g. https://fittrack.example")
        return value.rstrip("/")

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return value.upper()

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def credit_window_days(self) -> int | None:
        """`DAY_CREDIT_WINDOW_DAYS` for `domain.tracking.ingest` (None when 0: no window). Issue 13 §2."""
        return self.day_credit_window_days or None

    @property
    def site_url(self) -> str:
        """The site's absolute base URL without a trailing slash, from configuration only (issue 13 §1):
        `PUBLIC_BASE_URL`, else `http://APP_HOST:APP_PORT` (a wildcard APP_HOST reads as localhost). Never taken
        from a request's Host header."""
        if self.public_base_url:
            return self.public_base_url
        host = "localhost" if self.app_host in ("0.0.0.0", "::", "") else self.app_host  # noqa: S104
        return f"http://{host}:{self.app_port}"

    def public_url(self, path: str) -> str:
        """The absolute URL of `path` ("/reset-password?token=…") on the configured site."""
        return self.site_url + ("" if path.startswith("/") else "/") + path

    @property
    def site_origin(self) -> str:
        """`scheme://host[:port]` of `site_url` (what a browser sends as `Origin`)."""
        parts = urlsplit(self.site_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def allowed_hosts(self) -> list[str]:
        """Host names accepted in production (`TRUSTED_HOSTS`, else the host of `PUBLIC_BASE_URL`), lower case."""
        listed = [h.strip().lower() for h in self.trusted_hosts.split(",") if h.strip()]
        return listed or [(urlsplit(self.site_url).hostname or "").lower()]

    @property
    def demo_accounts_enabled(self) -> bool:
        """Demo accounts and synthetic data are created in dev and test only, never in prod."""
        return self.env != Env.prod


class SettingsError(SystemExit):
    """Raised at start when a setting is invalid; the message names every offending environment variable."""


def load_settings() -> Settings:
    """Read settings from the environment; raise `SettingsError` naming the bad variables (e.g. `APP_PORT`)."""
    try:
        settings = Settings()
    except ValidationError as exc:
        lines = [f"  {'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()]
        raise SettingsError("FitTrack cannot start, invalid settings:\n" + "\n".join(lines)) from None
    if settings.env == Env.prod:
        missing = {name: "must be set in prod (the dev default is public)"
                   for name, value in (("STORAGE_SECRET", settings.storage_secret),
                                       ("TERRA_SIGNING_SECRET", settings.terra_signing_secret))
                   if value.startswith("dev-")}
        if settings.public_base_url is None:  # issue 13 §1: links are never built from a request's Host
            missing["PUBLIC_BASE_URL"] = "must be set in prod (every absolute link the app writes is built from it)"
        if missing:
            raise SettingsError("FitTrack cannot start, invalid settings:\n"
                                + "\n".join(f"  {name}: {reason}" for name, reason in missing.items()))
    return settings
