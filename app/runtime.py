"""Stub: runtime start/stop (owner: platform helper)."""


def install(app) -> None:  # type: ignore[no-untyped-def]
    pass
