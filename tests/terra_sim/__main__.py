"""`python -m tests.terra_sim --port 8090 --fittrack-url http://127.0.0.1:8080` (what `make terra-sim` runs).

Defaults come from FitTrack's own settings (`.env` / environment), so the stand-in and the app agree: it accepts
`TERRA_DEV_ID` / `TERRA_API_KEY` (or `fittrack-dev` / `fittrack-dev-key` when unset) and signs webhooks with
`TERRA_SIGNING_SECRET`; the dataset is `FITBIT_DATA_DIR`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn

from app.adapters.log_config import configure_logging
from app.settings import load_settings
from tests.terra_sim.app import SimConfig, create_app


def main(argv: list[str] | None = None) -> None:
    settings = load_settings()
    parser = argparse.ArgumentParser(prog="python -m tests.terra_sim", description="Local Terra stand-in")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--fittrack-url", default=f"http://127.0.0.1:{settings.app_port}",
                        help="FitTrack base URL that receives the webhooks (POST <url>/webhooks/terra); '' = none")
    parser.add_argument("--public-url", default=None, help="base of widget URLs (default: the URL asked)")
    parser.add_argument("--dev-id", default=settings.terra_dev_id or "fittrack-dev")
    parser.add_argument("--api-key", default=settings.terra_api_key or "fittrack-dev-key")
    parser.add_argument("--signing-secret", default=settings.terra_signing_secret)
    parser.add_argument("--data-dir", type=Path, default=settings.fitbit_data_dir)
    parser.add_argument("--data-webhook-days", type=int, default=3,
                        help="daily webhooks sent after a connection (the last N days)")
    parser.add_argument("--data-delay", type=float, default=1.0, help="seconds between auth and those webhooks")
    args = parser.parse_args(argv)
    configure_logging(settings)
    config = SimConfig(dev_id=args.dev_id, api_key=args.api_key, signing_secret=args.signing_secret,
                       fittrack_url=args.fittrack_url or None, public_url=args.public_url, data_dir=args.data_dir,
                       data_webhook_days=args.data_webhook_days, data_delay_seconds=args.data_delay)
    base = f"http://{'127.0.0.1' if args.host in ('0.0.0.0', '::') else args.host}:{args.port}"
    print(f"Terra stand-in on {base} — webhooks to {config.fittrack_url or '(nowhere)'}/webhooks/terra\n"
          f"Point FitTrack at it: TERRA_BASE_URL={base} TERRA_DEV_ID={config.dev_id} TERRA_API_KEY={config.api_key}",
          flush=True)
    uvicorn.run(create_app(config), host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
