"""Huey tasks and periodic schedules. `huey_consumer tasks.huey` imports this package, which registers every task.

Add one import per task module below.
"""

from app.jobs import huey  # noqa: F401  (the instance `huey_consumer tasks.huey` runs)
from tasks import system  # noqa: F401
from tasks import ledger, webhooks  # noqa: F401,E402
from tasks import leaderboards  # noqa: F401,E402
