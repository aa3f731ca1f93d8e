"""Alembic environment and versions (PRODUCT.md §2). `migrations.guards` holds the append-only trigger DDL."""
