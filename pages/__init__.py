"""NiceGUI pages. Importing this package registers every `@ui.page` (member, admin, public)."""

from pages import (  # noqa: F401
    activity,
    admin_mail,
    admin_overview,
    admin_requests,
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
    settings,
    verify_email,
)
