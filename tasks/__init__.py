"""Huey tasks and periodic schedules. `huey_consumer tasks.huey` imports this package, which registers every task.

Add one import per task module below.
"""

from app import metrics  # noqa: F401  (Huey signal handlers: task counters; WORKER_METRICS_PORT server)
from app.jobs import huey  # noqa: F401  (the instance `huey_consumer tasks.huey` runs)
from tasks import leaderboards, ledger, mail, system, tiers, webhooks  # noqa: F401
