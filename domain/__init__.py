"""FitTrack's business: tables, enums, rules and services. No UI, no HTTP (PRODUCT.md §2)."""
