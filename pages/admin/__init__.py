"""Admin pages (role `admin`, checked at load and on every event)."""
