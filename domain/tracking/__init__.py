"""Tracking (PRODUCT.md §4 "Source trust", §9; notes/terra.md): tracker connections, Terra payloads and the
one ingest path shared by webhooks, polling, the seed and the replay."""
