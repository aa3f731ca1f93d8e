"""Stub: structlog configuration (owner: platform helper)."""


def configure_logging(settings) -> None:  # type: ignore[no-untyped-def]
    pass
