"""Enumerations shared by tables and services (PRODUCT.md §3–§6). Stored as their string values."""

from enum import StrEnum


class Role(StrEnum):
    user = "user"
    premium = "premium"
    admin = "admin"


class UserStatus(StrEnum):
    pending = "pending"
    active = "active"
    suspended = "suspended"
    banned = "banned"
    deleted = "deleted"


class BiologicalSex(StrEnum):
    male = "M"
    female = "F"


class FitnessLevel(StrEnum):
    beginner = "BEG"
    intermediate = "INT"
    advanced = "ADV"


class LeaderboardPrivacy(StrEnum):
    visible = "visible"
    initials = "initials"
    hidden = "hidden"


class ConnectionStatus(StrEnum):
    pending = "pending"
    connected = "connected"
    error = "error"
    revoked = "revoked"
    disconnected = "disconnected"


class DeliveryStatus(StrEnum):
    received = "received"
    processed = "processed"
    ignored = "ignored"
    failed = "failed"


class TransactionType(StrEnum):
    earn = "earn"
    spend = "spend"
    adjust = "adjust"
    reverse = "reverse"
    hold = "hold"
    release = "release"


class ReviewKind(StrEnum):
    held_points = "held_points"
    lowered_total = "lowered_total"
    plausibility = "plausibility"


class ReviewStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    acknowledged = "acknowledged"


class Period(StrEnum):
    daily = "daily"
    weekly = "weekly"
    monthly = "monthly"
    alltime = "alltime"


class DrawingType(StrEnum):
    daily = "daily"
    weekly = "weekly"
    monthly = "monthly"
    annual = "annual"


class DrawingStatus(StrEnum):
    draft = "draft"
    scheduled = "scheduled"
    open = "open"
    closed = "closed"
    completed = "completed"
    cancelled = "cancelled"


class FulfillmentType(StrEnum):
    digital = "digital"
    physical = "physical"


class FulfillmentStatus(StrEnum):
    pending = "pending"
    winner_notified = "winner_notified"
    address_confirmed = "address_confirmed"
    address_invalid = "address_invalid"
    shipped = "shipped"
    delivered = "delivered"
    forfeited = "forfeited"


class SponsorStatus(StrEnum):
    active = "active"
    inactive = "inactive"
