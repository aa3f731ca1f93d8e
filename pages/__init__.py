"""NiceGUI pages. Importing this package registers every `@ui.page` (member, admin, public)."""

from pages import activity, admin_review, home, leaderboard, login  # noqa: F401
