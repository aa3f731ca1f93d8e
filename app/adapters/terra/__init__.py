"""Terra integration: webhook signatures, the REST client and its circuit breaker."""
