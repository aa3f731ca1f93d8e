"""Account settings of the signed-in member (PRODUCT.md §3 "data rights"; issue 4 item 7):

- `PUT /api/v1/users/me/password` `{"current_password", "new_password"}` → 204; every browser session and refresh-token
  family of the member ends (the access token in hand stays valid until it expires, at most 1 h);
- `GET /api/v1/users/me/export` → the member's data as a JSON file download (`fittrack-export-<YYYY-MM-DD>.json`);
- `DELETE /api/v1/users/me` `{"password"}` → 204; the account is deleted and its personal data erased.

Errors are problem details: a wrong password is a 401 naming the `field`; a refused new password a 400 with `errors`;
more than 5 password checks in 15 minutes per member (20 an hour per IP) a 429 with `Retry-After` (issue 13 §6).
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import CurrentUser, SystemDep, client_ip
from app.services import accounts

router = APIRouter(prefix="/users/me", tags=["users"])


class PasswordChangeIn(BaseModel):
    """`PUT /users/me/password` body."""

    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


class AccountDeleteIn(BaseModel):
    """`DELETE /users/me` body: the password, as confirmation."""

    model_config = ConfigDict(extra="forbid")

    password: str = Field(max_length=1024)


@router.put("/password", status_code=204, summary="Change the password; every other sign-in ends",
            responses={400: {"description": "The new password breaks a password rule (`errors`)"},
                       401: {"description": "Not signed in, or the current password is wrong"}})
def change_password(body: PasswordChangeIn, request: Request, user: CurrentUser, system: SystemDep) -> Response:
    accounts.change_password(system, user.id, body.current_password, body.new_password, ip=client_ip(request))
    return Response(status_code=204)


@router.get("/export", summary="Download all my data as a JSON file",
            responses={200: {"content": {"application/json": {}},
                             "description": "The export, as an attachment"}})
def export_my_data(user: CurrentUser, system: SystemDep) -> Response:
    filename, data = accounts.export_data(system, user.id)
    return Response(
        content=json.dumps(data, ensure_ascii=False, indent=2), media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@router.delete("", status_code=204, summary="Delete my account (password confirmation)",
               responses={401: {"description": "Not signed in, or the password is wrong"},
                          409: {"description": "The last administrator cannot delete their account"}})
def delete_my_account(body: AccountDeleteIn, request: Request, user: CurrentUser, system: SystemDep) -> Response:
    # the member leaves the Redis boards after the commit
    accounts.delete_account(system, user.id, body.password, ip=client_ip(request))
    return Response(status_code=204)
