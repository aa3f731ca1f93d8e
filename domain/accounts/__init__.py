"""Accounts (PRODUCT.md §3): members, sign-in checks, browser sessions, registration, email verification,
password reset, refresh tokens, profiles, tiers, eligibility, roles, data rights."""
