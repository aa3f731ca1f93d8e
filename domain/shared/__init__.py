"""Shared kernel of the domain: portable column types, errors, enums, platform calendar, the audit record,
domain events and the unit of work. Every bounded context may import it; it imports no context."""
