"""Competition (PRODUCT.md §5): tier and OPEN leaderboards per period, ties, privacy, archives."""
