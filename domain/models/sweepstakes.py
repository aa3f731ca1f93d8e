"""Sweepstakes tables: sponsors, drawings, prizes, tickets, fulfillments (PRODUCT.md §6). The services that run
them arrive with the sweepstakes issue; the tables exist now so the schema is complete from the first migration."""

from __future__ import annotations

from domain.models._base import (
    SQLModel,
    clob,
    datetime,
    fk,
    flag,
    id_field,
    integer,
    json_col,
    number,
    sa,
    text,
    ts,
    uuid,
    uuid_col,
)
from domain.shared.enums import DrawingStatus, FulfillmentStatus, FulfillmentType, SponsorStatus


class Sponsor(SQLModel, table=True):
    __tablename__ = "sponsors"

    id: uuid.UUID = id_field()
    name: str = text(128, index=True)
    # lower-cased name, unique: no two sponsors differ only in case (set from `name` on every insert/update)
    name_key: str = text(128, unique=True)
    contact_name: str | None = text(128, nullable=True)
    contact_email: str | None = text(254, nullable=True)
    contact_phone: str | None = text(32, nullable=True)
    website_url: str | None = text(500, nullable=True)
    logo_url: str | None = text(500, nullable=True)
    status: str = text(16, default=SponsorStatus.active.value)
    notes: str | None = text(2000, nullable=True)
    created_at: datetime = ts(nullable=False, now=True)
    updated_at: datetime = ts(nullable=False, now=True)


class Drawing(SQLModel, table=True):
    """A prize drawing. `server_seed_hex` stays secret until the draw; `seed_commitment` is published at open."""

    __tablename__ = "drawings"
    __table_args__ = (sa.Index("ix_drawings_status_time", "status", "drawing_time"),)

    id: uuid.UUID = id_field()
    drawing_type: str = text(16)
    name: str = text(200)
    description: str | None = text(4000, nullable=True)
    ticket_cost_points: int = integer(0)
    open_time: datetime | None = ts()
    drawing_time: datetime = ts(nullable=False)
    sales_close: datetime = ts(nullable=False)
    eligibility: dict | None = json_col()
    status: str = text(16, default=DrawingStatus.draft.value)
    rules_text: str | None = clob()
    rules_version: int = integer(1)
    total_tickets: int = integer(0)
    seed_commitment: str | None = text(64, nullable=True)
    server_seed_hex: str | None = text(64, nullable=True)
    ticket_list_hash: str | None = text(64, nullable=True)
    results: dict | None = json_col()
    rules_frozen_at: datetime | None = ts()  # set when the drawing opens: rules and prizes can no longer change
    drawn_at: datetime | None = ts()  # when the draw ran (completed) or the drawing was cancelled
    created_by: uuid.UUID | None = uuid_col()
    created_at: datetime = ts(nullable=False, now=True)
    updated_at: datetime = ts(nullable=False, now=True)


class Prize(SQLModel, table=True):
    __tablename__ = "prizes"

    id: uuid.UUID = id_field()
    drawing_id: uuid.UUID = fk("drawings.id")
    sponsor_id: uuid.UUID | None = fk("sponsors.id", nullable=True)
    prize_rank: int = integer(1)
    name: str = text(200)
    description: str | None = text(2000, nullable=True)
    value_usd: float = number(nullable=False)
    quantity: int = integer(1)
    fulfillment_type: str = text(16, default=FulfillmentType.physical.value)
    image_url: str | None = text(500, nullable=True)
    created_at: datetime = ts(nullable=False, now=True)


class Ticket(SQLModel, table=True):
    """A sweepstakes entry; `ticket_number` is sequential per drawing. Free alternate entries are tickets too."""

    __tablename__ = "tickets"
    __table_args__ = (
        sa.UniqueConstraint("drawing_id", "ticket_number"),
        sa.Index("ix_tickets_user_drawing", "user_id", "drawing_id"),
    )

    id: uuid.UUID = id_field()
    drawing_id: uuid.UUID = fk("drawings.id", index=False)
    user_id: uuid.UUID = fk("users.id", index=False)
    ticket_number: int = integer(None)
    purchase_transaction_id: uuid.UUID | None = uuid_col()
    is_free_entry: bool = flag(False)
    is_winner: bool = flag(False)
    prize_id: uuid.UUID | None = uuid_col()
    created_at: datetime = ts(nullable=False, now=True)


class TicketPurchase(SQLModel, table=True):
    """One ticket purchase (issue 6 §2): the idempotency record of `domain.sweepstakes.tickets.purchase`. The same
    member and `idempotency_key` always return this row; its tickets are numbers
    `first_ticket_number..last_ticket_number`."""

    __tablename__ = "ticket_purchases"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "idempotency_key"),
        sa.Index("ix_ticket_purchases_drawing", "drawing_id"),
    )

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = fk("users.id", index=False)
    drawing_id: uuid.UUID = fk("drawings.id", index=False)
    idempotency_key: str = text(128)
    quantity: int = integer(None)
    points_spent: int = integer(None)
    transaction_id: uuid.UUID = fk("point_transactions.id", index=False)
    first_ticket_number: int = integer(None)
    last_ticket_number: int = integer(None)
    created_at: datetime = ts(nullable=False, now=True)


class FreeEntry(SQLModel, table=True):
    """A claimed free alternate entry (PRODUCT.md §6: no purchase necessary). UNIQUE(drawing_id, user_id) makes "one
    per member per drawing" a database rule (a separate table, so no NULL-in-composite-key differences on Oracle)."""

    __tablename__ = "free_entries"
    __table_args__ = (sa.UniqueConstraint("drawing_id", "user_id"),)

    id: uuid.UUID = id_field()
    drawing_id: uuid.UUID = fk("drawings.id", index=False)
    user_id: uuid.UUID = fk("users.id")
    ticket_id: uuid.UUID = fk("tickets.id", index=False)
    created_at: datetime = ts(nullable=False, now=True)


class PrizeFulfillment(SQLModel, table=True):
    __tablename__ = "prize_fulfillments"
    __table_args__ = (sa.Index("ix_prize_fulfillments_status", "status", "deadline_at"),)

    id: uuid.UUID = id_field()
    ticket_id: uuid.UUID = fk("tickets.id")
    prize_id: uuid.UUID = fk("prizes.id")
    user_id: uuid.UUID = fk("users.id")
    status: str = text(24, default=FulfillmentStatus.pending.value)
    shipping_address: dict | None = json_col()
    carrier: str | None = text(64, nullable=True)
    tracking_number: str | None = text(128, nullable=True)
    digital_code: str | None = text(256, nullable=True)
    tax_form_needed: bool = flag(False)
    notes: str | None = text(2000, nullable=True)
    notified_at: datetime | None = ts()
    deadline_at: datetime | None = ts()
    reminder_sent_at: datetime | None = ts()  # the day-7 reminder (PRODUCT.md §6)
    address_confirmed_at: datetime | None = ts()
    shipped_at: datetime | None = ts()
    delivered_at: datetime | None = ts()
    forfeit_at: datetime | None = ts()
    created_at: datetime = ts(nullable=False, now=True)
    updated_at: datetime = ts(nullable=False, now=True)


@sa.event.listens_for(Sponsor, "before_insert")
@sa.event.listens_for(Sponsor, "before_update")
def _sponsor_name_key(_mapper: object, _connection: object, sponsor: Sponsor) -> None:
    sponsor.name_key = sponsor.name.strip().lower()
