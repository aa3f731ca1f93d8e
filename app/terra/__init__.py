"""Terra integration: webhook signatures (and, later, the REST client)."""
