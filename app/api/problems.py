"""Stub: RFC 7807 handlers (owner: platform helper)."""


def install_problem_handlers(app) -> None:  # type: ignore[no-untyped-def]
    pass
