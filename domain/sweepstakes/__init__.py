"""Sweepstakes (PRODUCT.md §6): drawings and their lifecycle, the verifiable draw recipe, tickets and the free
alternate method of entry, sponsors, prizes and fulfillment."""
