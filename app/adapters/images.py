"""Uploaded images (prize pictures, sponsor logos; issue 7 §1–§2), processed with Pillow and served as static files.

`store_image(media_dir, data, kind="prizes")` (`media_dir` is `MEDIA_DIR`: `system.settings.media_dir`):
- validates: at most `MAX_UPLOAD_BYTES` (5 MiB), a real JPEG / PNG / WebP / GIF (decoded, not judged by its name),
  at most `MAX_PIXELS` pixels (decompression bombs are refused before decoding);
- normalises: EXIF orientation applied, first frame only, RGB (RGBA when the picture has transparency);
- strips metadata: a new file is written from the pixels only — no EXIF (GPS, camera), XMP, ICC or comments;
- resizes: the picture to at most `MAX_SIDE` (800 px) on its longer side and a thumbnail of at most `THUMB_SIDE`
  (240 px), both WebP, never enlarged;
- saves them under `MEDIA_DIR/<kind>/<random hex>.webp` and `….thumb.webp` (random names: nothing from the upload
  reaches the file system) and returns their URLs under `/static/media/` (public, served by `media_router`, which
  reads the folder from the app's System: `request.app.state.system.settings.media_dir`).

`delete_image(media_dir, url)` removes a stored picture and its thumbnail.

Errors are `domain.shared.errors.InvalidInput` with a sentence the admin can act on (pages show it, the API answers
400).
"""

from __future__ import annotations

import io
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse
from PIL import Image, ImageOps, UnidentifiedImageError

from domain.shared.errors import InvalidInput

MEDIA_URL: Final = "/static/media"
KINDS: Final = ("prizes", "sponsors")
MAX_UPLOAD_BYTES: Final = 5 * 1024 * 1024
MAX_PIXELS: Final = 40_000_000  # e.g. 8000 × 5000; larger headers are refused before any pixel is decoded
MAX_SIDE: Final = 800
THUMB_SIDE: Final = 240
FORMATS: Final = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "GIF": "GIF"}
ACCEPT: Final = "image/jpeg,image/png,image/webp,image/gif"  # for <input accept> / ui.upload
WEBP_QUALITY: Final = 85
_NAME = re.compile(r"^[0-9a-f]{32}(\.thumb)?\.webp$")


@dataclass(frozen=True)
class StoredImage:
    """Where a processed upload went: `url` (≤ 800 px) and `thumbnail_url` (≤ 240 px), both under `/static/media/`;
    `width`/`height` of the stored picture in pixels."""

    url: str
    thumbnail_url: str
    width: int
    height: int


def thumbnail_url(url: str | None) -> str | None:
    """The thumbnail URL belonging to a stored picture's URL (None stays None; other URLs are returned unchanged)."""
    if url and url.startswith(MEDIA_URL + "/") and url.endswith(".webp") and not url.endswith(".thumb.webp"):
        return url.removesuffix(".webp") + ".thumb.webp"
    return url


def _open(data: bytes) -> Image.Image:
    """Decode `data` as one of FORMATS (header checked first, then the pixels); InvalidInput otherwise."""
    if not data:
        raise InvalidInput("The file is empty. Choose a JPEG, PNG, WebP or GIF picture.", field="image")
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput(f"The picture is {len(data) / 1_048_576:.1f} MB; the limit is "
                           f"{MAX_UPLOAD_BYTES // 1_048_576} MB.", field="image")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format or ""
            if kind not in FORMATS:
                raise InvalidInput(f"{kind or 'This'} files are not accepted. Choose a JPEG, PNG, WebP or GIF "
                                   "picture.", field="image")
            if probe.width * probe.height > MAX_PIXELS:
                raise InvalidInput(f"The picture is {probe.width} × {probe.height} pixels; at most "
                                   f"{MAX_PIXELS // 1_000_000} megapixels are accepted.", field="image")
            probe.verify()  # structural check (CRC, truncation) without decoding
        image = Image.open(io.BytesIO(data))
        image.load()  # decode for real: a truncated or corrupt picture fails here
    except InvalidInput:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidInput("This file is not a readable picture. Choose a JPEG, PNG, WebP or GIF picture.",
                           field="image") from exc
    return image


def _normalised(image: Image.Image) -> Image.Image:
    """Orientation applied, first frame, RGB or RGBA, and a pixel-only copy (no metadata carried along)."""
    image.seek(0)
    oriented = ImageOps.exif_transpose(image) or image
    has_alpha = oriented.mode in ("RGBA", "LA", "PA") or (oriented.mode == "P" and "transparency" in oriented.info)
    converted = oriented.convert("RGBA" if has_alpha else "RGB")
    clean = Image.new(converted.mode, converted.size)
    clean.paste(converted)
    return clean


def _save(image: Image.Image, side: int, path: Path) -> tuple[int, int]:
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)  # keeps the aspect ratio, never enlarges
    copy.save(path, "WEBP", quality=WEBP_QUALITY, method=4)  # no exif/xmp/icc_profile passed: none written
    return copy.size


def store_image(media_dir: Path, data: bytes, *, kind: str) -> StoredImage:
    """Validate, clean, resize and store one uploaded picture under `media_dir` (`MEDIA_DIR`; see the module
    docstring); `kind` is "prizes" or "sponsors". Returns the URLs of the picture and its thumbnail. Raises
    InvalidInput for a file that is empty, over 5 MiB, not a JPEG/PNG/WebP/GIF, corrupt, or over 40 megapixels;
    ValueError for an unknown `kind`."""
    if kind not in KINDS:
        raise ValueError(f"unknown media kind {kind!r}")
    image = _normalised(_open(data))
    folder = Path(media_dir) / kind
    folder.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(16)
    width, height = _save(image, MAX_SIDE, folder / f"{name}.webp")
    _save(image, THUMB_SIDE, folder / f"{name}.thumb.webp")
    return StoredImage(f"{MEDIA_URL}/{kind}/{name}.webp", f"{MEDIA_URL}/{kind}/{name}.thumb.webp", width, height)


def delete_image(media_dir: Path, url: str | None) -> None:
    """Remove a stored picture and its thumbnail from `media_dir` (`MEDIA_DIR`); URLs that are not ours, or files
    already gone, are ignored."""
    if not url or not url.startswith(MEDIA_URL + "/"):
        return
    parts = url.removeprefix(MEDIA_URL + "/").split("/")
    if len(parts) != 2 or parts[0] not in KINDS or not _NAME.match(parts[1]):
        return
    stem = parts[1].removesuffix(".thumb.webp").removesuffix(".webp")
    for suffix in (".webp", ".thumb.webp"):
        (Path(media_dir) / parts[0] / f"{stem}{suffix}").unlink(missing_ok=True)


media_router = APIRouter()


@media_router.get(MEDIA_URL + "/{kind}/{name}", include_in_schema=False)
def media_file(kind: str, name: str, request: Request) -> FileResponse:
    """A stored picture (public: prize pictures and sponsor logos are shown to everyone), from the media folder of
    the app's System (`request.app.state.system.settings.media_dir`). Names are random and never reused, so browsers
    may cache them for a year."""
    if kind not in KINDS or not _NAME.match(name):
        raise HTTPException(status_code=404, detail="No such picture")
    path = Path(request.app.state.system.settings.media_dir) / kind / name
    if not path.is_file():
        raise HTTPException(status_code=404, detail="No such picture")
    return FileResponse(path, media_type="image/webp",
                        headers={"Cache-Control": "public, max-age=31536000, immutable"})
