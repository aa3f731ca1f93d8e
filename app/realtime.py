"""Stub: live-push bridge (owner: UI helper)."""


def install(app) -> None:  # type: ignore[no-untyped-def]
    pass
