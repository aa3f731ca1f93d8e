"""`python -m bench` (`make bench`): every benchmark, results in `bench-results/`.

Each benchmark is a module of this package with `run(quick: bool = False) -> dict` (JSON-able figures, each module
records the load average it saw) and `markdown(result) -> list[str] | str` (a summary table that puts each figure
next to its target and the figure measured before the work that improved it):

- `load` (`bench.load_bench`): locust, the member read mix at 50/100/200 clients on the embedded default and 500
  through HAProxy to two instances (issue 12 §1, §6);
- `ingest` (`bench.ingest_bench`): signed Terra webhooks end to end ÷ a bare endpoint in both topologies, the
  late-upload recompute, the real-data replay (§4);
- `leaderboard` (`bench.leaderboard_bench`): board reads at 100,000 members, PostgreSQL, SQLite, Redis (§3);
- `live_push` (`bench.live_push_bench`): webhook → live change on many open pages, CPU per push per page, memory per
  page, page load (§2, §7);
- `draws` (`bench.draws`): a 1,000,000-ticket draw, close + execute, peak memory, results pages, ticket list (§5);
- `sync` (`bench.sync`): Terra sync scheduling against the stand-in (issue 5);
- `redis_outage` (`bench.redis_outage`): sign-in and every board with Redis killed and frozen, live updates after it
  returns, in the production topology (issue 13 §3).

Writes `bench-results/bench.json` (everything), `bench-results/<name>.json` and `bench-results/BENCH.md` (summary with
machine details: `uname -a`, nproc, Python, date, load average before and after, the command). Options: `--quick`
(small sizes, a smoke run of a few minutes), `--only name[,name]`, `--skip name[,name]`.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
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
BENCHES: tuple[tuple[str, str], ...] = (
    ("load", "bench.load_bench"), ("ingest", "bench.ingest_bench"), ("leaderboard", "bench.leaderboard_bench"),
    ("live_push", "bench.live_push_bench"), ("draws", "bench.draws"), ("sync", "bench.sync"),
    ("redis_outage", "bench.redis_outage"),
)


def load_average() -> str:
    """The 1/5/15-minute load averages as `a / b / c`."""
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def machine() -> dict[str, Any]:
    """What the figures were measured on: kernel, cores, Python, date (UTC), load average, command."""

    def run(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            return ""

    return {
        "uname": run(["uname", "-a"]), "nproc": os.cpu_count(), "python": sys.version.split()[0],
        "platform": platform.platform(), "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_before": load_average(),
        "command": " ".join([Path(sys.executable).name, "-m", "bench", *sys.argv[1:]]),
    }


def run_one(module_name: str, quick: bool) -> dict[str, Any]:
    """Run one benchmark module's `run` (with `quick` when it takes it)."""
    module = importlib.import_module(module_name)
    run = module.run
    if "quick" in inspect.signature(run).parameters:
        return dict(run(quick=quick))
    return dict(run())


def section(module_name: str, result: dict[str, Any]) -> list[str]:
    """One benchmark's summary lines (its own `markdown`, a string or lines)."""
    module = importlib.import_module(module_name)
    text = module.markdown(result)
    lines = text.splitlines() if isinstance(text, str) else list(text)
    # a module's own report starts with a level-1 title; inside BENCH.md it is a section
    return [("#" + line) if line.startswith("# ") else line for line in lines]


def markdown(result: dict[str, Any]) -> str:
    """BENCH.md: machine details, then each benchmark's summary, then the failures."""
    m = result["machine"]
    lines = [
        "# FitTrack benchmarks", "",
        f"- date: {m['date']}", f"- command: `{m['command']}` (`make bench`)", f"- machine: `{m['uname']}`",
        f"- nproc: {m['nproc']}, Python {m['python']}",
        f"- load average (1 / 5 / 15 min): {m['load_before']} before, {m.get('load_after', '?')} after",
        f"- total time: {result.get('seconds', '?')} s", "",
    ]
    for name, module_name in BENCHES:
        if name in result["results"]:
            try:
                lines += [*section(module_name, result["results"][name]), ""]
            except Exception:  # noqa: BLE001 - a report bug must not hide the other figures
                lines += [f"## {name}", "", "```", traceback.format_exc()[-2000:], "```", ""]
    for name, error in result["errors"].items():
        lines += [f"## {name}: FAILED", "", "```", error[-3000:], "```", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the selected benchmarks; exit status 1 when one of them failed."""
    names = [name for name, _ in BENCHES]
    parser = argparse.ArgumentParser(prog="python -m bench", description="FitTrack benchmarks")
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--only", default="", help=f"comma-separated subset of {','.join(names)}")
    parser.add_argument("--skip", default="", help="comma-separated benchmarks to leave out")
    args = parser.parse_args(argv)
    only = {n for n in args.only.split(",") if n}
    skip = {n for n in args.skip.split(",") if n}
    unknown = (only | skip) - set(names)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}; choose from {', '.join(names)}")
    RESULTS.mkdir(exist_ok=True)
    started = time.monotonic()
    result: dict[str, Any] = {"machine": machine(), "results": {}, "errors": {}}
    for name, module_name in BENCHES:
        if (only and name not in only) or name in skip:
            continue
        print(f"[bench] {name} ({module_name}) …", flush=True)
        try:
            result["results"][name] = run_one(module_name, args.quick)
            (RESULTS / f"{name}.json").write_text(json.dumps(result["results"][name], indent=2, default=str))
        except Exception:  # noqa: BLE001 - record and continue with the other benchmarks
            result["errors"][name] = traceback.format_exc()
            print(result["errors"][name], file=sys.stderr)
    result["seconds"] = round(time.monotonic() - started, 1)
    result["machine"]["load_after"] = load_average()
    (RESULTS / "bench.json").write_text(json.dumps(result, indent=2, default=str))
    report = markdown(result)
    (RESULTS / "BENCH.md").write_text(report)
    print(report)
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
