"""`python -m bench` (`make bench`): every benchmark of issue 2 §16, results in `bench-results/`.

1. Webhook ingest end to end next to a bare endpoint on the same server, same run (`bench.ingest_bench`).
2. Replay wall time of the real Fitbit data on a fresh database (`bench.ingest_bench`).
3. Leaderboard read latency p50/p95 with 100,000 members in one tier, database and Redis
   (`bench.leaderboard_bench`, when present).
4. Live push latency, signed webhook POSTed → live `points` event published, in the production topology (Redis and
   a separate huey_consumer) and the embedded default (`bench.live_push_bench`).
5. Sweepstakes (issue 6 §9): a 1,000,000-ticket draw and ticket purchase throughput (`bench.draws`, own report).

Writes `bench-results/bench.json` (everything) and `bench-results/BENCH.md` (summary with machine details:
`uname -a`, nproc, Python version, date, the command). Options: `--quick` (fewer payloads and members, for a smoke
run), `--skip-replay`, `--skip-leaderboard`, `--skip-live`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench-results"


def machine() -> dict[str, Any]:
    def run(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            return ""

    return {
        "uname": run(["uname", "-a"]), "nproc": os.cpu_count(), "python": sys.version.split()[0],
        "platform": platform.platform(), "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, "-m", "bench", *sys.argv[1:]]),
    }


def markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [
        "# FitTrack benchmarks", "",
        f"- date: {m['date']}", f"- command: `{m['command']}` (`make bench`)", f"- machine: `{m['uname']}`",
        f"- nproc: {m['nproc']}, Python {m['python']}", f"- total time: {result['seconds']} s", "",
    ]
    ingest = result.get("ingest", {}).get("ingest")
    if ingest:
        e2e, http, bare = ingest["end_to_end"], ingest["webhook_http"], ingest["bare_endpoint"]
        lines += [
            "## Webhook ingest (signed Terra `daily` in → points in the ledger)", "",
            f"{ingest['payloads']} payloads, {ingest['members']} members, {ingest['concurrency']} concurrent clients, "
            "SQLite, embedded Huey consumer, one app process.", "",
            "| measure | value |", "| --- | --- |",
            f"| end to end (POST → points in ledger) | {e2e['payloads_per_second']} payloads/s ({e2e['seconds']} s) |",
            f"| webhook HTTP acknowledgement | {http['per_second']} req/s, p50 {http['p50_ms']} ms, "
            f"p95 {http['p95_ms']} ms |",
            f"| bare endpoint `{bare['path']}` | {bare['per_second']} req/s, p50 {bare['p50_ms']} ms, "
            f"p95 {bare['p95_ms']} ms |",
            f"| ratio end to end / bare | {ingest['ratio_end_to_end_vs_bare']} |",
            f"| ratio webhook ack / bare | {ingest['ratio_webhook_ack_vs_bare']} |",
            f"| ledger entries written | {e2e['ledger_entries']} |", "",
        ]
    replay = result.get("ingest", {}).get("replay")
    if replay:
        lines += [
            "## Real-data replay (33 Fitbit users, fresh database)", "",
            "| measure | value |", "| --- | --- |",
            f"| wall time | {replay['wall_seconds']} s (sending {replay['send_seconds']} s) |",
            f"| payloads sent / accepted | {replay['payloads_sent']} / {replay['accepted']} |",
            f"| points credited | {replay['points_credited']} |", f"| ok | {replay['ok']} |", "",
        ]
    board = result.get("leaderboard")
    if board:
        lines += [f"## Leaderboard reads ({board.get('members', '?')} members in one tier)", "",
                  "Full details in `leaderboard.md` / `leaderboard.json`.", "",
                  "| database | source | period | p50 ms | p95 ms |", "| --- | --- | --- | --- | --- |"]
        for db_name, per_db in (board.get("databases") or {}).items():
            for source in ("database", "redis"):
                for period, stats in (per_db.get(source) or {}).items():
                    if isinstance(stats, dict):
                        lines.append(f"| {db_name} | {source} | {period} | {stats.get('p50_ms')} | "
                                     f"{stats.get('p95_ms')} |")
        lines.append("")
    live = result.get("live_push")
    if live:
        from bench.live_push_bench import table

        lines += [f"## Live push latency (signed Terra `daily` POSTed → live `points` event, target < "
                  f"{live.get('target_ms', 1000)} ms)", "",
                  f"{live.get('samples')} sequential samples per topology (random 0–{live.get('gap_max_s')} s pauses), "
                  f"then {live.get('idle_samples')} each after {live.get('idle_seconds')} s of quiet. Full details in "
                  "`live_push.md` / `live_push.json`.", "",
                  *table(live), ""]
    for name, error in result.get("errors", {}).items():
        lines += [f"## {name}: FAILED", "", "```", error[-3000:], "```", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description="FitTrack benchmarks (issue 2 §16)")
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    parser.add_argument("--skip-replay", action="store_true")
    parser.add_argument("--skip-leaderboard", action="store_true")
    parser.add_argument("--skip-live", action="store_true")
    args = parser.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    started = time.monotonic()
    result: dict[str, Any] = {"machine": machine(), "errors": {}}

    from bench import ingest_bench

    ingest_args = ["--payloads", "300", "--members", "50"] if args.quick else []
    if args.skip_replay:
        ingest_args.append("--skip-replay")
    try:
        result["ingest"] = ingest_bench.main(ingest_args)
    except Exception:  # noqa: BLE001 - record and continue with the other benchmarks
        result["errors"]["ingest"] = traceback.format_exc()

    if not args.skip_leaderboard:
        try:
            from bench import leaderboard_bench
        except ImportError:
            leaderboard_bench = None  # type: ignore[assignment]
        if leaderboard_bench is not None:
            try:
                result["leaderboard"] = leaderboard_bench.main(["--members", "5000"] if args.quick else [])
            except Exception:  # noqa: BLE001
                result["errors"]["leaderboard"] = traceback.format_exc()

    if not args.skip_live:
        try:
            from bench import live_push_bench

            result["live_push"] = live_push_bench.main(["--samples", "20", "--idle-samples", "1"] if args.quick else [])
        except Exception:  # noqa: BLE001
            result["errors"]["live_push"] = traceback.format_exc()

    try:  # issue 6 §9: 1,000,000-ticket draw and purchase throughput (bench.draws → draws.md / draws.json)
        from bench import draws

        result["draws"] = draws.main(["--tickets", "100000", "--purchases", "200"] if args.quick else [])
    except Exception:  # noqa: BLE001
        result["errors"]["draws"] = traceback.format_exc()

    result["sync"] = __import__("bench.sync").sync.from_runner(args.quick, result["errors"])  # issue 5 → sync.md
    result["seconds"] = round(time.monotonic() - started, 1)
    (RESULTS / "bench.json").write_text(json.dumps(result, indent=2, default=str))
    (RESULTS / "BENCH.md").write_text(markdown(result))
    print(markdown(result))
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
