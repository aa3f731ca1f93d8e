"""Use-case services: each runs one unit of work against the domain and returns what the caller shows."""
