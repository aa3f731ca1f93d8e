"""Messaging (PRODUCT.md §6 "notified by email and in-app"): in-app notifications and the email outbox."""
