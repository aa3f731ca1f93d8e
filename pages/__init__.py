"""NiceGUI pages. Importing this package registers every `@ui.page` (member, admin, public)."""

from pages import activity, admin_overview, admin_review, admin_users, home, leaderboard, login  # noqa: F401
