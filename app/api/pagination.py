"""Pagination for list endpoints: `?page=1&limit=20` → `{"items": [...], "pagination": {"page", "limit", "total",
"pages"}}` (issue 2 API conventions). `page` 1..100,000 (default 1); `limit` 1..100 (default 20).

Both are bounded (issue 13 §2): an out-of-range value is a 422 problem before any query runs, so
`?page=9223372036854775807` never reaches the database as an overflowing OFFSET (it gave a 500 and stalled the
server). 100,000 pages of 100 rows reach the 10,000,000th row, beyond any list FitTrack serves (1,000,000 tickets
at most per drawing, issue 12 §5)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

T = TypeVar("T")

MAX_LIMIT = 100
MAX_PAGE = 100_000


@dataclass(frozen=True)
class PageParams:
    """Validated page request; use as a dependency through the `Paging` alias: `params: Paging`."""

    page: int = Query(1, ge=1, le=MAX_PAGE, description="Page number, starting at 1 (at most 100,000)")
    limit: int = Query(20, ge=1, le=MAX_LIMIT, description="Items per page (1..100)")

    @property
    def offset(self) -> int:
        """Rows to skip before this page."""
        return (self.page - 1) * self.limit


async def page_params(
    page: int = Query(1, ge=1, le=MAX_PAGE, description="Page number, starting at 1 (at most 100,000)"),
    limit: int = Query(20, ge=1, le=MAX_LIMIT, description="Items per page (1..100)"),
) -> PageParams:
    """The `Paging` dependency. Async because it does no I/O: FastAPI resolves it on the event loop rather than
    spending a worker-thread hop on it, as it does for a class dependency (issue 12 §1)."""
    return PageParams(page=page, limit=limit)


Paging = Annotated[PageParams, Depends(page_params)]


def page_response(items: Sequence[Any], total: int, params: PageParams) -> dict[str, Any]:
    """The standard list envelope; `pages` = ceil(total / limit) (0 when there are no items)."""
    return {
        "items": list(items),
        "pagination": {
            "page": params.page, "limit": params.limit, "total": total,
            "pages": math.ceil(total / params.limit) if total else 0,
        },
    }


class PageInfo(BaseModel):
    page: int
    limit: int
    total: int
    pages: int


class Page(BaseModel, Generic[T]):
    """The list envelope as an OpenAPI schema: `response_model=Page[ItemSchema]`."""

    items: list[T]
    pagination: PageInfo
