"""NiceGUI pages. Importing this package registers every `@ui.page` (member, admin, public)."""

from pages import (  # noqa: F401
    activity,
    admin_overview,
    admin_review,
    admin_users,
    dev_mailbox,
    home,
    leaderboard,
    login,
    profile,
    public_profile,
    register,
    reset_password,
    verify_email,
)
