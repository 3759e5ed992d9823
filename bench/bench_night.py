"""The whole night as users run it (`puhui run`), on top of a prepared history (issue 14).

    uv run python bench/bench_night.py --landing /data/bank32 --home /data/night3 \
        --night 2025-10-14 --scratch /data/scratch
    uv run python bench/bench_night.py --landing /data/bank32 --home /data/night30 \
        --night 2025-11-10 --scratch /data/scratch

``--home`` is a PUHUI_HOME published through the day before ``--night``, prepared
once with ``puhui run --landing <landing> --through <day before>`` (untimed). Each
round copies it to ``--scratch`` (so rounds start alike and the prepared home is
never changed), then times ``puhui run --landing <landing> --through <night>`` —
the Dagster ingest job with its expectation suites, the dbt build, the audit and
the publish — under ``/usr/bin/time -v``: wall time, CPU (user + system) and peak
RSS of the whole process tree's largest member. The step times are the ones
`puhui run` prints. Results are appended to ``bench/out/bench_night.jsonl``.

Compare a night after 2 loaded dates with one after 29 (target: at most 1.2× in
time and peak memory).

``--against REPO HOME`` times another checkout's night in every round too, alternating
with this one's: ``REPO`` is a git worktree with its own ``uv sync``ed environment (for
example the commit an issue was filed at), ``HOME`` a home that checkout prepared the
same way from the same landing folder. Besides ``/usr/bin/time``'s figures each night
records ``dbt_s``, the seconds dbt itself reports for its build ("Finished running …"),
which every version prints (the step times are only printed since issue 11).

A home whose last publish was a night's keeps ``serving.standby.duckdb``, and the
night's publish starts from it (docs/architecture.md "Serving database"). ``--no-standby``
leaves it out of the copy, so the night copies the served file as it did before.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out" / "bench_night.jsonl"


def _loaded_dates(home: Path) -> int:
    import duckdb

    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute("select count(*) from meta.delivery").fetchone()[0]


def _time_v(text: str, label: str) -> str:
    match = re.search(rf"{re.escape(label)}: (.+)", text)
    if not match:
        raise RuntimeError(f"/usr/bin/time -v printed no {label!r}")
    return match.group(1).strip()


def _wall(text: str) -> float:
    parts = [float(p) for p in _time_v(text, "Elapsed (wall clock) time (h:mm:ss or m:ss)")
             .split(":")]
    return sum(p * 60 ** i for i, p in enumerate(reversed(parts)))


def usage(time_v: str) -> dict[str, float]:
    """Wall, CPU (user + system) and peak RSS of one process, from ``/usr/bin/time -v``."""
    return {
        "wall_s": _wall(time_v),
        "cpu_s": float(_time_v(time_v, "User time (seconds)"))
        + float(_time_v(time_v, "System time (seconds)")),
        "peak_rss_mib": int(_time_v(time_v, "Maximum resident set size (kbytes)")) / 1024,
    }


def fresh_copy(src: Path, dst: Path, *ignore: str) -> Path:
    """``src`` copied to ``dst``, replacing what was there (``ignore``: name patterns)."""
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(*ignore))
    return dst


def _revision(repo: Path) -> str:
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=repo,
                          capture_output=True, text=True, check=True).stdout.strip()


def night(landing: Path, home: Path, scratch: Path, through: date,
          standby: bool = True, repo: Path = REPO) -> dict[str, object]:
    fresh_copy(home, scratch, "tmp", "*.wal", *([] if standby else ["serving.standby.duckdb"]))
    before = _loaded_dates(scratch)
    revision = _revision(repo)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUHUI_")}
    env["PUHUI_HOME"] = str(scratch)
    cmd = ["/usr/bin/time", "-v", "uv", "run", "--locked", "puhui", "run",
           "--landing", str(landing), "--through", through.isoformat()]
    print(f"[{time.strftime('%H:%M:%S')}] {through}: {before} dates loaded; running the night "
          f"of {revision}", flush=True)
    done = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"puhui run failed ({done.returncode}):\n{done.stdout[-3000:]}\n"
                         f"{done.stderr[-3000:]}")
    steps = {m.group(1): float(m.group(2)) for m in
             re.finditer(r"^\s+(dbt build|audit|publish) done in (\d+) s", done.stdout, re.M)}
    # the dates dbt rebuilt: one night must read "from <night> through <night>"
    window = re.findall(r"build, audit, publish from (\S+) through (\S+)", done.stdout)
    dbt_s = [float(x) for x in re.findall(r"^Finished running .* \(([\d.]+)s\)\.",
                                           done.stdout, re.M)]
    return {
        "night": through.isoformat(), "dates_before": before, "window": window,
        "revision": revision, "dbt_s": sum(dbt_s),
        **usage(done.stderr),
        "steps_s": steps,
        "standby": (scratch / "serving.standby.duckdb").exists() and standby,
        "load_avg_after": os.getloadavg()[0],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--landing", type=Path, required=True)
    ap.add_argument("--home", type=Path, required=True, help="prepared PUHUI_HOME (unchanged)")
    ap.add_argument("--night", type=date.fromisoformat, required=True)
    ap.add_argument("--scratch", type=Path, required=True, help="copied to and run in")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--label", default="")
    ap.add_argument("--no-standby", action="store_true",
                    help="copy the home without serving.standby.duckdb")
    ap.add_argument("--against", nargs=2, type=Path, metavar=("REPO", "HOME"),
                    help="also time this other checkout's night on its own home, alternating")
    args = ap.parse_args()
    sides = [(REPO, args.home)] + ([tuple(args.against)] if args.against else [])
    OUT.parent.mkdir(parents=True, exist_ok=True)
    for i in range(args.rounds):
        for repo, home in sides:
            rec = night(args.landing, home, args.scratch, args.night,
                        standby=not args.no_standby, repo=repo)
            rec.update(label=args.label, round=i + 1, at=time.strftime("%Y-%m-%d %H:%M:%S"))
            print(json.dumps(rec, ensure_ascii=False), flush=True)
            with OUT.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
