"""Picture uploads of the admin API (prize pictures, sponsor logos; issue 7 §1–§2): reading the multipart file with
the size limit of `app.adapters.images` before anything is decoded or stored."""

from __future__ import annotations

from fastapi import UploadFile

from app.adapters import images
from domain.shared.errors import InvalidInput


async def read_upload(file: UploadFile) -> bytes:
    """The uploaded bytes; a 400 problem (`InvalidInput`, `field="image"`) beyond `images.MAX_UPLOAD_BYTES` (only one
    byte more than the limit is ever read)."""
    data = await file.read(images.MAX_UPLOAD_BYTES + 1)
    if len(data) > images.MAX_UPLOAD_BYTES:
        raise InvalidInput(f"The picture is larger than {images.MAX_UPLOAD_BYTES // 1_048_576} MB", field="image")
    return data
