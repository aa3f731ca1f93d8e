"""All SQLModel tables. Importing this package registers every table on `SQLModel.metadata`."""

from sqlmodel import SQLModel

from domain.models.accounts import BrowserSession, Profile, User
from domain.models.audit import AuditLog, LeaderboardArchive
from domain.models.points import DailyPointTotal, LedgerAudit, PointTransaction, ReviewItem
from domain.models.requests import ProfileChangeRequest
from domain.models.sweepstakes import Drawing, Prize, PrizeFulfillment, Sponsor, Ticket
from domain.models.tracking import Activity, DailySummary, TrackerConnection, WebhookDelivery

metadata = SQLModel.metadata

__all__ = [
    "Activity", "AuditLog", "BrowserSession", "DailyPointTotal", "DailySummary", "Drawing", "LeaderboardArchive",
    "LedgerAudit", "PointTransaction", "Prize", "PrizeFulfillment", "Profile", "ProfileChangeRequest", "ReviewItem",
    "Sponsor", "Ticket",
    "TrackerConnection", "User", "WebhookDelivery", "metadata",
]
from domain.models.competition import BoardStanding  # noqa: E402,F401  (issue 12 §3: leaderboard standings)
from domain.models.mail import EmailToken, OutboxMessage  # noqa: E402,F401  (issue 4: email tokens, outbox)
from domain.models.notifications import Notification  # noqa: E402,F401  (issue 6: in-app notifications)
from domain.models.sweepstakes import FreeEntry, TicketPurchase  # noqa: E402,F401  (issue 6: purchases, free entries)
from domain.models.system import TaskRun  # noqa: E402,F401  (issue 7: last run of each task)
from domain.models.tokens import RefreshToken  # noqa: E402,F401  (issue 4: refresh tokens)
