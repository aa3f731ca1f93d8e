"""Huey tasks and periodic schedules. `huey_consumer tasks.huey` imports this package, which registers every task."""
