"""The Huey consumer's entry point (`huey_consumer app.worker.huey`, `make worker`): build this process's `System`
from the settings and register every task on its queue. `huey` is the instance the consumer runs."""

from __future__ import annotations

from app.adapters.log_config import configure_logging
from app.settings import load_settings
from app.system import build_system
from tasks import register_tasks

system = build_system(load_settings())
configure_logging(system.settings)
register_tasks(system)
huey = system.jobs.huey
