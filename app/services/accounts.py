"""Account settings of the signed-in member (PRODUCT.md §3 "data rights"; issue 4 item 7), shared by
`app/api/account.py` and `pages/member/settings.py`: change the password, download my data, delete my account.
Each write is one unit of work; Argon2id comes from `system.passwords`. Blocking: call from a worker thread.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from domain.accounts import self_service
from domain.models import User
from domain.shared.calendar import platform_day

if TYPE_CHECKING:
    from app.system import System


def change_password(system: System, user_id: uuid.UUID, current_password: str, new_password: str, *,
                    keep_session_token_hash: str | None = None, ip: str | None = None) -> User:
    """`domain.accounts.self_service.change_password` in its own unit of work: every browser session (except the
    one whose token hash is `keep_session_token_hash`) and refresh-token family of the member ends. Raises
    `RateLimited` first when the member or `ip` checked passwords too often (issue 13 §6), then
    `AuthenticationFailed` (wrong current password, `field`) or `InvalidInput` (refused new password, `errors`)."""
    system.throttle.check_sensitive("password-check", str(user_id), ip)
    with system.uow() as uow:
        return self_service.change_password(
            uow, user_id, current_password, new_password, verify=system.passwords.verify,
            hasher=system.passwords.hash, clock=system.clock, keep_session_token_hash=keep_session_token_hash,
        )


def export_data(system: System, user_id: uuid.UUID) -> tuple[str, dict[str, Any]]:
    """The member's data export: `(filename, data)` — `fittrack-export-<YYYY-MM-DD>.json` (today's platform day) and
    `domain.accounts.self_service.export_member_data` (JSON-ready)."""
    with system.read() as session:
        data = self_service.export_member_data(session, user_id, system.clock)
    return self_service.export_filename(platform_day(system.clock())), data


def delete_account(system: System, user_id: uuid.UUID, password: str, ip: str | None = None) -> User:
    """`domain.accounts.self_service.delete_account` (password confirmation) in its own unit of work; after the
    commit the member leaves the Redis leaderboard copies (the deletion is recorded as `TierChanged`: their board
    rows move — off every board). Raises `NotFound`, `AuthenticationFailed` (wrong password, `field`), `Conflict`
    (the last administrator); `RateLimited` first when the member or `ip` checked passwords too often (issue 13
    §6)."""
    system.throttle.check_sensitive("password-check", str(user_id), ip)
    with system.uow() as uow:
        user = self_service.delete_account(uow, user_id, password, verify=system.passwords.verify,
                                           clock=system.clock)
        return user
