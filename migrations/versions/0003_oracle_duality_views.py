"""Oracle JSON Relational Duality Views (Oracle 23ai only; a no-op on SQLite and PostgreSQL).

Four read-only document views over the relational tables (notes/reliability.md §3.3):

- `user_profile_dv`: a member (users) with their profile (profiles), one document per user;
- `drawing_dv`: a drawing (drawings) with its prizes (prizes), each prize with its sponsor (sponsors);
- `user_tickets_dv`: a member's tickets (tickets), each with its drawing's essentials (drawings);
- `fulfillment_dv`: a prize fulfillment (prize_fulfillments) with its prize, ticket and winner (users + profiles).

Every table in every view is annotated `WITH NOINSERT NOUPDATE NODELETE`: the views are for reading only. Writes go
through the domain services, which keep the ledger, ticket and fulfillment invariants (PRODUCT.md §4–§6); the users
table carries the point balance, so a writable view would bypass the ledger. `_id` is the root table's RAW(16) id.
Secrets stay out of the documents: `users.password_hash` / `failed_logins` / `locked_until`, `drawings.server_seed_hex`
(secret until the draw, PRODUCT.md §5), `prize_fulfillments.digital_code` and the sponsors' contact details.
`drawings.rules_text` (a CLOB, which cannot take part in a duality view's ETAG) is left out too.

The views are not SQLAlchemy tables, so autogenerate never sees them. The rendered Oracle script is committed as
`migrations/oracle/upgrade.sql` (scripts/render_oracle_sql.sh); `tests/test_oracle_script.py` keeps it current.

Revision ID: 0003_oracle_duality_views
Revises: 0002_profile_prefs
"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003_oracle_duality_views"
down_revision: str | Sequence[str] | None = "0002_profile_prefs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# No blank lines inside a statement: SQL*Plus / SQLcl end a statement at a blank line in the rendered script.
USER_PROFILE_DV = """\
CREATE OR REPLACE JSON RELATIONAL DUALITY VIEW user_profile_dv AS
SELECT JSON {
    '_id' : u.id,
    'email' : u.email,
    'role' : u.role,
    'status' : u.status,
    'email_verified_at' : u.email_verified_at,
    'point_balance' : u.point_balance,
    'points_earned' : u.points_earned,
    'points_earned_at' : u.points_earned_at,
    'active_days' : u.active_days,
    'last_login_at' : u.last_login_at,
    'version' : u.version,
    'created_at' : u.created_at,
    'updated_at' : u.updated_at,
    'profile' : (
        SELECT JSON {
            'user_id' : p.user_id,
            'display_name' : p.display_name,
            'date_of_birth' : p.date_of_birth,
            'state_code' : p.state_code,
            'biological_sex' : p.biological_sex,
            'fitness_level' : p.fitness_level,
            'tier_code' : p.tier_code,
            'open_tier_opt_in' : p.open_tier_opt_in,
            'height_inches' : p.height_inches,
            'weight_pounds' : p.weight_pounds,
            'goals' : p.goals,
            'timezone' : p.timezone,
            'leaderboard_privacy' : p.leaderboard_privacy,
            'dark_mode' : p.dark_mode,
            'created_at' : p.created_at,
            'updated_at' : p.updated_at
        }
        FROM profiles p WITH NOINSERT NOUPDATE NODELETE
        WHERE p.user_id = u.id
    )
}
FROM users u WITH NOINSERT NOUPDATE NODELETE"""

DRAWING_DV = """\
CREATE OR REPLACE JSON RELATIONAL DUALITY VIEW drawing_dv AS
SELECT JSON {
    '_id' : d.id,
    'drawing_type' : d.drawing_type,
    'name' : d.name,
    'description' : d.description,
    'ticket_cost_points' : d.ticket_cost_points,
    'open_time' : d.open_time,
    'drawing_time' : d.drawing_time,
    'sales_close' : d.sales_close,
    'eligibility' : d.eligibility,
    'status' : d.status,
    'rules_version' : d.rules_version,
    'total_tickets' : d.total_tickets,
    'seed_commitment' : d.seed_commitment,
    'ticket_list_hash' : d.ticket_list_hash,
    'results' : d.results,
    'created_by' : d.created_by,
    'created_at' : d.created_at,
    'updated_at' : d.updated_at,
    'prizes' : [
        SELECT JSON {
            'prize_id' : p.id,
            'prize_rank' : p.prize_rank,
            'name' : p.name,
            'description' : p.description,
            'value_usd' : p.value_usd,
            'quantity' : p.quantity,
            'fulfillment_type' : p.fulfillment_type,
            'image_url' : p.image_url,
            'created_at' : p.created_at,
            'sponsor' : (
                SELECT JSON {
                    'sponsor_id' : s.id,
                    'name' : s.name,
                    'website_url' : s.website_url,
                    'logo_url' : s.logo_url,
                    'status' : s.status
                }
                FROM sponsors s WITH NOINSERT NOUPDATE NODELETE
                WHERE s.id = p.sponsor_id
            )
        }
        FROM prizes p WITH NOINSERT NOUPDATE NODELETE
        WHERE p.drawing_id = d.id
    ]
}
FROM drawings d WITH NOINSERT NOUPDATE NODELETE"""

USER_TICKETS_DV = """\
CREATE OR REPLACE JSON RELATIONAL DUALITY VIEW user_tickets_dv AS
SELECT JSON {
    '_id' : u.id,
    'tickets' : [
        SELECT JSON {
            'ticket_id' : t.id,
            'ticket_number' : t.ticket_number,
            'is_free_entry' : t.is_free_entry,
            'is_winner' : t.is_winner,
            'prize_id' : t.prize_id,
            'purchase_transaction_id' : t.purchase_transaction_id,
            'created_at' : t.created_at,
            'drawing' : (
                SELECT JSON {
                    'drawing_id' : d.id,
                    'name' : d.name,
                    'drawing_type' : d.drawing_type,
                    'status' : d.status,
                    'ticket_cost_points' : d.ticket_cost_points,
                    'drawing_time' : d.drawing_time
                }
                FROM drawings d WITH NOINSERT NOUPDATE NODELETE
                WHERE d.id = t.drawing_id
            )
        }
        FROM tickets t WITH NOINSERT NOUPDATE NODELETE
        WHERE t.user_id = u.id
    ]
}
FROM users u WITH NOINSERT NOUPDATE NODELETE"""

FULFILLMENT_DV = """\
CREATE OR REPLACE JSON RELATIONAL DUALITY VIEW fulfillment_dv AS
SELECT JSON {
    '_id' : f.id,
    'status' : f.status,
    'shipping_address' : f.shipping_address,
    'carrier' : f.carrier,
    'tracking_number' : f.tracking_number,
    'tax_form_needed' : f.tax_form_needed,
    'notes' : f.notes,
    'notified_at' : f.notified_at,
    'deadline_at' : f.deadline_at,
    'address_confirmed_at' : f.address_confirmed_at,
    'shipped_at' : f.shipped_at,
    'delivered_at' : f.delivered_at,
    'forfeit_at' : f.forfeit_at,
    'created_at' : f.created_at,
    'updated_at' : f.updated_at,
    'prize' : (
        SELECT JSON {
            'prize_id' : p.id,
            'drawing_id' : p.drawing_id,
            'prize_rank' : p.prize_rank,
            'name' : p.name,
            'value_usd' : p.value_usd,
            'fulfillment_type' : p.fulfillment_type
        }
        FROM prizes p WITH NOINSERT NOUPDATE NODELETE
        WHERE p.id = f.prize_id
    ),
    'ticket' : (
        SELECT JSON {
            'ticket_id' : t.id,
            'drawing_id' : t.drawing_id,
            'ticket_number' : t.ticket_number,
            'is_free_entry' : t.is_free_entry
        }
        FROM tickets t WITH NOINSERT NOUPDATE NODELETE
        WHERE t.id = f.ticket_id
    ),
    'user' : (
        SELECT JSON {
            'user_id' : u.id,
            'email' : u.email,
            'status' : u.status,
            'profile' : (
                SELECT JSON {
                    'user_id' : pr.user_id,
                    'display_name' : pr.display_name,
                    'state_code' : pr.state_code
                }
                FROM profiles pr WITH NOINSERT NOUPDATE NODELETE
                WHERE pr.user_id = u.id
            )
        }
        FROM users u WITH NOINSERT NOUPDATE NODELETE
        WHERE u.id = f.user_id
    )
}
FROM prize_fulfillments f WITH NOINSERT NOUPDATE NODELETE"""

VIEWS: dict[str, str] = {
    "user_profile_dv": USER_PROFILE_DV,
    "drawing_dv": DRAWING_DV,
    "user_tickets_dv": USER_TICKETS_DV,
    "fulfillment_dv": FULFILLMENT_DV,
}


def upgrade() -> None:
    if op.get_context().dialect.name != "oracle":
        return
    for statement in VIEWS.values():
        op.execute(statement)


def downgrade() -> None:
    if op.get_context().dialect.name != "oracle":
        return
    for name in reversed(VIEWS):
        op.execute(f"DROP VIEW {name}")
