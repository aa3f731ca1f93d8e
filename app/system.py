"""The composition root (after zauberzeug/field_friend's `System`): every piece of infrastructure FitTrack uses,
built once per process from the settings and handed to the pages, the API (a FastAPI dependency) and the tasks.

    system = build_system(load_settings())     # app/main.py (web), app/worker.py (Huey consumers), app/cli/*
    with system.uow() as uow:                  # one write transaction; services record domain events on it
        tickets.purchase(uow, ...)
    # committed → policies ran inside the transaction, effects (live push, Redis boards, mail jobs) ran after it

Nothing here is a process global: tests build their own `System` (tests/support/system.py) with a temporary
database, queue and keys. The after-commit dispatcher (`app.services.effects.Effects`) is part of the System, so
every entry point — page, API, task, replay, seed — gets the same effects for the same change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from app.adapters.cache import Cache, build_cache
from app.adapters.db import Database
from app.adapters.jobs import JobQueue
from app.adapters.leaderboard_store import RedisBoardStore, build_store
from app.adapters.mailer import Mailer, mailer_for
from app.adapters.pubsub import PubSub, build_pubsub
from app.adapters.redis_guard import RedisGuards
from app.adapters.terra.circuit import CircuitBreaker
from app.security.jwt import AccessTokens
from app.security.passwords import PasswordHasher
from app.security.ratelimit import Throttle
from app.services.effects import Effects
from app.settings import Settings
from domain.shared.types import utcnow
from domain.shared.uow import UnitOfWork

Clock = Callable[[], datetime]


@dataclass(eq=False)
class System:
    """Infrastructure of one process (see the module docstring). Build it with `build_system`.

    - `settings`: the validated settings;
    - `db`: engine, read sessions and raw write transactions (`app.adapters.db.Database`);
    - `cache`, `pubsub`: in-process or Redis (`REDIS_URL`);
    - `boards`: the Redis leaderboard store, or None (boards are read from the database);
    - `mailer`: SMTP (`SMTP_HOST`) or the dev outbox;
    - `jobs`: the Huey queue and its registered tasks (`tasks.register_tasks`);
    - `passwords`, `tokens`, `throttle`: Argon2id hashing, RS256 access tokens, rate limits;
    - `terra_circuit`: the Terra circuit breaker (state in `cache`, shared by every process);
    - `redis`: one circuit breaker per Redis use, with its fallback (issue 13 §3, `app.adapters.redis_guard`);
    - `clock`: "now" as an aware UTC datetime;
    - `effects`: the policies and after-commit effects of domain events."""

    settings: Settings
    db: Database
    cache: Cache
    pubsub: PubSub
    boards: RedisBoardStore | None
    mailer: Mailer
    jobs: JobQueue
    passwords: PasswordHasher
    tokens: AccessTokens
    throttle: Throttle
    terra_circuit: CircuitBreaker
    redis: RedisGuards = field(default_factory=RedisGuards)
    clock: Clock = utcnow
    effects: Effects = field(init=False)

    def __post_init__(self) -> None:
        self.effects = Effects(self)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read session (objects stay usable after it closes)."""
        with self.db.read() as session:
            yield session

    @contextmanager
    def uow(self) -> Iterator[UnitOfWork]:
        """One write transaction as a unit of work. Events recorded on it run their policies at once, inside the
        transaction (`Effects.policy`); on leaving the block without an error the transaction commits, then the
        after-commit effects of every recorded event run once (`Effects.after_commit`). On an error everything
        rolls back and no effect runs."""
        with self.db.transaction(self.effects.policy) as uow:
            yield uow
            events = list(uow.events)
        self.effects.after_commit(events)

    def close(self) -> None:
        """Stop the embedded consumer (if any) and release the database connections."""
        self.jobs.stop_consumer()
        self.db.dispose()


def build_system(settings: Settings, *, clock: Clock = utcnow, passwords: PasswordHasher | None = None,
                 tokens: AccessTokens | None = None) -> System:
    """Build every adapter for `settings` (no connection is opened yet, except loading or creating the JWT key
    files). `passwords` / `tokens` replace the defaults (tests pass cheap hashing and a session-wide key pair)."""
    guards = RedisGuards.for_settings(settings)
    cache = build_cache(settings, guards["cache"])
    return System(
        settings=settings,
        db=Database.from_url(settings.database_url, pool_size=settings.capacity_pool_size,
                              pool_timeout=settings.db_pool_timeout_seconds),
        cache=cache,
        pubsub=build_pubsub(settings, guards["pubsub"]),
        boards=build_store(settings.redis_url, guards["boards"], settings.redis_timeout_seconds),
        mailer=mailer_for(settings),
        jobs=JobQueue.for_settings(settings, guards["queue"]),
        passwords=passwords or PasswordHasher.for_settings(settings),
        tokens=tokens or AccessTokens.for_settings(settings),
        throttle=Throttle.for_settings(settings, guards["throttle"]),
        terra_circuit=CircuitBreaker.from_settings(settings, cache=cache),
        redis=guards,
        clock=clock,
    )
