"""Public pages (no sign-in needed)."""
