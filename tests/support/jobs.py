"""Running a test System's tasks: register them once, run what is queued in this thread exactly as a consumer worker
does (`Huey.execute`), or start a real Huey consumer on the System's own queue for the length of a block; and
polling helpers that wait for an event with a short interval and a deadline (never a fixed sleep)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

from app.system import System
from tasks import register_tasks

POLL_INTERVAL_S = 0.02


def ensure_tasks(system: System) -> System:
    """Register every task on `system.jobs` unless that was done already (e.g. by the `user` fixture)."""
    if not system.jobs.task_names:
        register_tasks(system)
    return system


def run_queued(system: System, *, limit: int = 100) -> list[Any]:
    """Dequeue and execute every task waiting in `system`'s queue (tasks they enqueue included) in this thread, the
    way a consumer worker does (`Huey.execute`: signals, retries, locks); returns their results in order."""
    huey = system.jobs.huey
    results: list[Any] = []
    for _ in range(limit):
        task = huey.dequeue()
        if task is None:
            return results
        results.append(huey.execute(task))
    raise AssertionError(f"more than {limit} tasks were queued")


@contextlib.contextmanager
def running_consumer(system: System, workers: int = 2) -> Iterator[System]:
    """A real Huey consumer (threads, periodic schedule) on `system`'s queue for the block, stopped gracefully."""
    ensure_tasks(system)
    system.jobs.start_consumer(workers)
    try:
        yield system
    finally:
        system.jobs.stop_consumer()


def wait_until(check: Callable[[], object], *, timeout: float = 15.0, message: str = "condition") -> None:
    """Poll `check()` until it is truthy; AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} not reached within {timeout} s")
        time.sleep(POLL_INTERVAL_S)


async def eventually(check: Callable[[], object], *, timeout: float = 15.0, message: str = "condition") -> None:
    """`wait_until` for async tests (yields to the event loop between polls)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} not reached within {timeout} s")
        await asyncio.sleep(POLL_INTERVAL_S)
