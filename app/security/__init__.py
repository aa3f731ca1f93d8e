"""Security primitives: password hashing (Argon2id), RS256 access tokens, login rate limits (PRODUCT.md §3)."""
