"""Member pages (signed in)."""
