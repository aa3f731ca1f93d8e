"""Schema creation for tests. (To be switched to `alembic upgrade head` once migrations exist.)"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from domain.models import metadata


def create_schema(engine: Engine) -> None:
    metadata.create_all(engine)
