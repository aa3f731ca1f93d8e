"""Sessions for tests: `read_session()` / `write_session()` on a given System or the current test System
(`tests.support.system.current`). `write_session` is a real unit of work: policies run when events are recorded
and the after-commit effects run after the commit, exactly as in production."""

from __future__ import annotations

from contextlib import AbstractContextManager

from sqlmodel import Session

from app.system import System
from domain.shared.uow import UnitOfWork
from tests.support.system import current


def read_session(system: System | None = None) -> AbstractContextManager[Session]:
    """A read session of `system` (default: the current test System)."""
    return (system or current()).read()


def write_session(system: System | None = None) -> AbstractContextManager[UnitOfWork]:
    """A unit of work of `system` (default: the current test System)."""
    return (system or current()).uow()


def hash_password(password: str) -> str:
    """The password hash test members get (cheap Argon2id parameters, verifies like any Argon2id hash)."""
    return (current()).passwords.hash(password)
