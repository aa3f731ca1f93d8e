"""FitTrack composition root and infrastructure (PRODUCT.md §2)."""
