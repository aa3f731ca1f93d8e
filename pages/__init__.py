"""NiceGUI pages. Importing this package registers every `@ui.page` (member, admin, public)."""

from pages import home  # noqa: F401
