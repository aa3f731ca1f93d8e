"""Points (PRODUCT.md §4): the rate table, the points engine, the append-only ledger, the review queue of held
or lowered days, and what a member sees of their own points."""
