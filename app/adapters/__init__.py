"""Adapters to the outside world (PRODUCT.md §2): database engine, cache, publish/subscribe, the Redis leaderboard
store, mail, the Huey job queue, images, metrics, logging and Terra."""
