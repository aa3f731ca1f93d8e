"""Huey tasks and periodic schedules. `huey_consumer tasks.huey` imports this package, which registers every task.

Add one import per task module below.
"""

from app import metrics, task_runs  # noqa: F401  (Huey signals: task counters, WORKER_METRICS_PORT; task_runs)
from app.jobs import huey  # noqa: F401  (the instance `huey_consumer tasks.huey` runs)

# drawings: the per-minute drawing scheduler and "execute now" (issue 6); fulfillment: prize address reminders and
# forfeits (issue 6); sync: the 15-minute Terra poll (issue 5)
from tasks import drawings, fulfillment, leaderboards, ledger, mail, sync, system, tiers, webhooks  # noqa: F401
