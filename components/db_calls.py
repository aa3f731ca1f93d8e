"""Run blocking domain calls off the event loop (`run.io_bound`) inside a database session, so pages stay thin:
`board = await read(leaderboards.get_board, board="OPEN", ...)` calls `get_board(session, board="OPEN", ...)`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from nicegui import run

from app.db import read_session, write_session

T = TypeVar("T")


def _in_read(fn: Callable[..., T], args: tuple, kwargs: dict) -> tuple[T]:
    with read_session() as session:
        return (fn(session, *args, **kwargs),)


def _in_write(fn: Callable[..., T], args: tuple, kwargs: dict) -> tuple[T]:
    with write_session() as session:
        return (fn(session, *args, **kwargs),)


def _unwrap(boxed: tuple[T] | None) -> T:
    # `run.io_bound` answers None when the app is shutting down (NiceGUI 4 will raise CancelledError instead): end the
    # calling task quietly rather than hand it a None it does not expect.
    if boxed is None:
        raise asyncio.CancelledError("the app is shutting down")
    return boxed[0]


async def read(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`fn(session, *args, **kwargs)` in a read session, in a worker thread. Raises `asyncio.CancelledError` when
    the app shuts down during the call."""
    return _unwrap(await run.io_bound(_in_read, fn, args, kwargs))


async def write(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`fn(session, *args, **kwargs)` in one write transaction (committed on success), in a worker thread. Raises
    `asyncio.CancelledError` when the app shuts down during the call (the transaction may or may not have
    committed, as with a lost connection)."""
    return _unwrap(await run.io_bound(_in_write, fn, args, kwargs))
