"""Run the stand-in as a real HTTP server (uvicorn in a background thread) on a free port — for Playwright flows and
for tests that need real sockets (client timeouts)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

from tests.terra_sim.app import SimConfig, create_app


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_app(app: FastAPI, *, host: str = "127.0.0.1", port: int | None = None,
                timeout: float = 15.0) -> Iterator[str]:
    """Serve `app` with uvicorn in a daemon thread; yields its base URL (`http://host:port`); stops it afterwards.
    Raises `RuntimeError` if it does not start within `timeout` seconds."""
    port = port or free_port(host)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name=f"terra-sim-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the Terra stand-in did not start on {host}:{port}")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextlib.contextmanager
def running_sim(config: SimConfig | None = None, *, host: str = "127.0.0.1",
                port: int | None = None) -> Iterator[str]:
    """The stand-in (`create_app(config)`) as a server on a free port; yields its base URL (use it as TERRA_BASE_URL).
    Widget URLs point at this server unless `config.public_url` says otherwise."""
    with running_app(create_app(config), host=host, port=port) as base_url:
        yield base_url
