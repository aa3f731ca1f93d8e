"""Run blocking domain calls off the event loop (`run.io_bound`) inside a database session, so pages stay thin:
`board = await read(leaderboards.get_board, board="OPEN", ...)` calls `get_board(session, board="OPEN", ...)`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from nicegui import run

from app.db import read_session, write_session

T = TypeVar("T")


def _in_read(fn: Callable[..., T], args: tuple, kwargs: dict) -> T:
    with read_session() as session:
        return fn(session, *args, **kwargs)


def _in_write(fn: Callable[..., T], args: tuple, kwargs: dict) -> T:
    with write_session() as session:
        return fn(session, *args, **kwargs)


async def read(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`fn(session, *args, **kwargs)` in a read session, in a worker thread."""
    return await run.io_bound(_in_read, fn, args, kwargs)  # type: ignore[return-value]  # None only at shutdown


async def write(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`fn(session, *args, **kwargs)` in one write transaction (committed on success), in a worker thread."""
    return await run.io_bound(_in_write, fn, args, kwargs)  # type: ignore[return-value]  # None only at shutdown
