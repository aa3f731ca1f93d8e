"""A local stand-in for Terra (tryterra.co) used by the tests and in development (`make terra-sim`).

It speaks Terra's REST API (widget sessions, deauthentication, `/daily` and `/activity` answered from the real
Fitbit dataset with dates shifted to end yesterday), serves a widget page where a tester "connects" a tracker, and
sends signed Terra webhooks (`auth`, `daily`, `deauth`, …) to FitTrack's `/webhooks/terra`. Test controls live under
`/_sim/` (faults, request log, webhook log, users, events, reset). See README "Local Terra stand-in".

In-process: `app = create_app(SimConfig(...))`, then `httpx.ASGITransport(app)`; as a server on a free port:
`with running_sim(SimConfig(...)) as base_url: …`; from a shell: `python -m tests.terra_sim --port 8090`.
"""

from tests.terra_sim.app import SimConfig, SimState, create_app, sign
from tests.terra_sim.server import running_sim

__all__ = ["SimConfig", "SimState", "create_app", "running_sim", "sign"]
