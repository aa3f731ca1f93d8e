"""Logging: structlog for our own code, with the standard library's `logging` (NiceGUI, uvicorn, Huey, SQLAlchemy)
routed through the same processors and one handler on the root logger.

- `ENV=prod`: one JSON object per line (`timestamp`, `level`, `logger`, `event`, `request_id`, ...).
- otherwise: readable console lines.
- Every string value (and the message itself) is passed through `mask_emails` (`jane@example.com` → `j***@example.com`);
  values under secret-looking keys (`password`, `token`, `secret`, `authorization`, ...) become `"[redacted]"`.
- Exceptions are rendered by `compact_exception` in both modes: the exception line(s) and at most the last
  `TRACEBACK_FRAMES` frames (file, line, function, source line), never local variables, capped at
  `TRACEBACK_MAX_CHARS` — cheap enough to run on the event loop (issue 12 §1: structlog's default rich traceback
  with locals rendered ~31,000 lines, ~15 s of CPU, per error under load). The request id is on every line.
- `install_request_id(app)` adds an ASGI middleware: the request id comes from `X-Request-ID` (if it looks sane) or is
  generated, is bound to structlog's contextvars for the request, and is echoed in the `X-Request-ID` response header.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from types import TracebackType
from typing import Any, TextIO

import structlog

from app.settings import Env, Settings

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_SECRET_KEYS = ("password", "passwd", "secret", "token", "authorization", "api_key", "apikey", "cookie", "signature")
_OUR_HANDLER = "_fittrack_handler"
TRACEBACK_FRAMES = 8  # innermost frames kept in a logged traceback
TRACEBACK_MAX_CHARS = 4000  # a logged traceback is cut to this many characters
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def compact_exception(exc_info: ExcInfo) -> str:
    """A short, bounded rendering of an exception for logs (issue 12 §1): the innermost `TRACEBACK_FRAMES` frames
    (no local variables, ever), the exception line, and one line per chained cause/context; at most
    `TRACEBACK_MAX_CHARS` characters. Pure Python, milliseconds at worst, so it may run on the event loop."""
    exc_type, exc, tb = exc_info
    frames = traceback.extract_tb(tb, limit=-TRACEBACK_FRAMES) if tb is not None else []
    parts = [f"Traceback (innermost {len(frames)} frames):\n", *traceback.format_list(frames),
             *traceback.format_exception_only(exc_type, exc)]
    seen = {id(exc)}
    link = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        parts.append("while handling: " + "".join(traceback.format_exception_only(type(link), link)))
        link = link.__cause__ or (None if link.__suppress_context__ else link.__context__)
    text = "".join(parts).rstrip("\n")
    if len(text) > TRACEBACK_MAX_CHARS:
        text = text[: TRACEBACK_MAX_CHARS // 2] + "\n[…cut…]\n" + text[-TRACEBACK_MAX_CHARS // 2:]
    return text


def _console_exception(sio: TextIO, exc_info: ExcInfo) -> None:
    """`ConsoleRenderer`'s exception formatter: `compact_exception` (instead of rich's traceback with locals)."""
    sio.write("\n" + compact_exception(exc_info))


def mask_email_text(text: str) -> str:
    """Mask every email address in `text`: keep the first character of the local part and the domain."""
    return _EMAIL.sub(r"\1***@\2", text)


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return mask_email_text(value)
    if isinstance(value, dict):
        return {k: ("[redacted]" if _is_secret_key(k) else _mask(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_mask(v) for v in value)
    return value


def _is_secret_key(key: Any) -> bool:
    lowered = str(key).lower()
    return any(word in lowered for word in _SECRET_KEYS)


def mask_emails(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: mask emails in every value and redact values under secret-looking keys."""
    for key, value in list(event_dict.items()):
        if key in ("exc_info", "stack_info"):
            continue
        event_dict[key] = "[redacted]" if _is_secret_key(key) and key != "event" else _mask(value)
    return event_dict


def _mask_rendered(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Mask emails in rendered tracebacks too (they are added after `mask_emails` ran)."""
    for key in ("exception", "stack"):
        if isinstance(event_dict.get(key), str):
            event_dict[key] = mask_email_text(event_dict[key])
    return event_dict


def _drop_formatted_message(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Drop `message`, the copy of the text another formatter may have stored on a stdlib record."""
    if event_dict.get("message") == event_dict.get("event"):
        event_dict.pop("message", None)
    return event_dict


def configure_logging(settings: Settings) -> None:
    """Configure structlog and the root logger once per call (idempotent: our previous handler is replaced,
    handlers installed by others — e.g. pytest's log capture — are kept). Level from `LOG_LEVEL`."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
        _drop_formatted_message,
        mask_emails,
    ]
    if settings.env == Env.prod:
        renderer: Any = structlog.processors.JSONRenderer()
        final: list[Any] = [structlog.processors.ExceptionRenderer(compact_exception), _mask_rendered, renderer]
    else:
        final = [structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty(), exception_formatter=_console_exception)]

    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    setattr(handler, _OUR_HANDLER, True)

    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _OUR_HANDLER, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for noisy in ("httpx", "httpcore", "watchfiles", "multipart"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def route_uvicorn_logs() -> None:
    """uvicorn installs its own handlers when the server starts; send its records through ours instead
    (called from `app.web.lifecycle` at startup)."""
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class RequestIdMiddleware:
    """ASGI middleware: bind `request_id` for the request's logs and echo it in `X-Request-ID`."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app
        self.log = structlog.get_logger("fittrack.http")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = ""
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = incoming if _REQUEST_ID_OK.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        status = {"code": 500}
        started = time.perf_counter()

        async def send_with_id(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        path = scope.get("path", "")
        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                interesting = path.startswith(("/api/", "/webhooks/")) or (
                    path.startswith("/health") and status["code"] >= 400)  # load-balancer probes: failures only
                log = self.log.info if interesting else self.log.debug
                log("http.request", method=scope.get("method"), path=path, status=status["code"],
                    duration_ms=round((time.perf_counter() - started) * 1000, 1))


def install_request_id(app: Any) -> None:
    """Add `RequestIdMiddleware` to the FastAPI/NiceGUI `app` (call it last so it is the outermost of ours)."""
    app.add_middleware(RequestIdMiddleware)
