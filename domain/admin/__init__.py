"""Administration (PRODUCT.md §7): overview analytics, moderation, exports and system bookkeeping."""
