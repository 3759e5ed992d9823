"""Benchmark of the dbt step: full refresh of several business dates, then the
incremental build of one new date, each in its own process measured with
``/usr/bin/time -v`` (wall time and peak RSS, which includes DuckDB's memory).

    uv run python bench/bench_dbt.py --landing /data/bank_landing --home /tmp/bench_bank

Deliveries are loaded through the real ingestion (``pipeline.run_pending``):
all dates but the last, then the full refresh is measured; then the last date is
loaded and the incremental build is measured; then a rebuild from the first
date (``from_date``, what a re-delivery of it costs) is measured. Results are
printed as a Markdown table row and appended to ``bench/out/bench_dbt.jsonl``.
Generate the deliveries first, e.g.
``uv run puhui generate --out /data/bank_landing --start 2025-12-29 --scale bank --days 5``.

``--refresh-only`` measures one thing on a home that already holds its dates: the
full refresh (``puhui build --full-refresh``, every model and test over every loaded
date), what an upgrade or a long rebuild costs. It rewrites every table, so give it a
copy. DuckDB's ``memory_limit`` is the home's setting (``PUHUI_MEMORY_LIMIT``, 12GB by
default); the process's peak RSS is reported beside it, with the size of the spill
folder ``PUHUI_HOME/tmp`` sampled every second.

    cp -a /data/night30 /data/fr && \
    uv run python bench/bench_dbt.py --home /data/fr --refresh-only --label 30-dates
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _folder_bytes(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*") if folder.is_dir() else ():
        with contextlib.suppress(FileNotFoundError):  # DuckDB removed a spill file
            total += path.stat().st_size
    return total


def _measured(cmd: list[str], env_home: Path) -> dict[str, float]:
    """Run ``cmd`` under /usr/bin/time -v: wall and CPU seconds, peak RSS in MiB, and
    the largest size the home's spill folder reached (sampled every second)."""
    env = dict(os.environ, PUHUI_HOME=str(env_home))
    began = time.perf_counter()
    child = subprocess.Popen(["/usr/bin/time", "-v", *cmd], cwd=REPO, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    spill = [0]

    def sample() -> None:
        while child.poll() is None:
            spill[0] = max(spill[0], _folder_bytes(env_home / "tmp"))
            time.sleep(1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = child.communicate()
    wall = time.perf_counter() - began  # before the join: the sampler may be asleep
    sampler.join()
    if child.returncode != 0:
        sys.stderr.write(stdout[-4000:] + stderr[-4000:])
        raise SystemExit(f"failed: {' '.join(cmd)}")

    def field(name: str) -> float:
        return float(re.search(rf"{re.escape(name)}: ([\d.]+)", stderr).group(1))

    return {"seconds": round(wall, 1),
            "cpu_s": round(field("User time (seconds)") + field("System time (seconds)"), 1),
            "peak_rss_mib": round(field("Maximum resident set size (kbytes)") / 1024, 0),
            "peak_spill_mib": round(spill[0] / 2**20, 0)}


def _step(kind: str, home: Path, arg: str | None) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "_step", kind, "--home", str(home),
            *(["--arg", arg] if arg else [])]


def _run_step(kind: str, arg: str | None) -> None:
    """Inside the measured child process: one ingestion or one build."""
    from dagster_project import pipeline
    from dagster_project.dbt_build import build
    from dagster_project.settings import get_settings

    settings = get_settings()
    if kind == "direct":
        landing, _, through = (arg or "").partition("@")
        ingest_dates(settings.home, Path(landing), through or None)
    elif kind == "ingest":
        landing, _, through = (arg or "").partition("@")
        report = pipeline.run_pending(settings, landing=Path(landing),
                                      through=date.fromisoformat(through) if through else None,
                                      say=lambda _m: None,
                                      publish=False)  # measure dbt on its own
        if not report.ok:
            raise SystemExit(f"ingestion failed: {report.failed}")
    elif kind == "full":
        build(settings, full_refresh=True)
    elif kind == "incremental":
        build(settings)
    elif kind == "from":
        build(settings, from_date=arg)
    else:
        raise SystemExit(f"unknown step {kind}")


def ingest_dates(settings_home: Path, landing: Path, through: str | None) -> None:
    """Load every delivered date up to ``through`` not loaded yet through the real
    ingestion service (every contract rule, the keyed hash, the versioned raw layer),
    without Dagster or the expectation suites: a bench loader for long histories."""
    import duckdb

    from dagster_project.ingest.delivery import Delivery
    from dagster_project.ingest.service import IngestOptions, ingest_delivery
    from dagster_project.settings import get_settings

    s = get_settings()
    assert s.home == settings_home, (s.home, settings_home)
    opts = IngestOptions(quarantine_dir=s.quarantine_dir, tmp_dir=s.tmp_dir,
                         pii_key=s.resolved_pii_key(),
                         parallel_min_bytes=s.ingest_parallel_min_bytes, workers=s.threads)
    con = duckdb.connect(str(s.warehouse_path))
    try:
        for folder in sorted(p for p in landing.iterdir() if p.is_dir() and p.name.isdigit()):
            d = date(int(folder.name[:4]), int(folder.name[4:6]), int(folder.name[6:]))
            if through and d.isoformat() > through:
                continue
            ingest_delivery(con, Delivery(d, folder), opts, say=lambda _m: None)
    finally:
        con.close()


def _counts(home: Path) -> dict[str, int]:
    import duckdb

    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        q = {"dates": "select count(distinct biz_date) from raw.org_info",
             "dep_acct_rows_per_day": "select count(*) / count(distinct biz_date) "
                                      "from raw.dep_acct",
             "orgs": "select count(distinct org_no) from raw.org_info",
             "indicator_value_rows": "select count(*) from marts.indicator_value"}
        return {k: int(con.execute(v).fetchone()[0]) for k, v in q.items()}
    finally:
        con.close()


def _refresh_only(home: Path, label: str) -> None:
    """One full refresh of an existing home, timed; appended to bench_dbt.jsonl."""
    import duckdb

    if not (home / "warehouse.duckdb").is_file():
        raise SystemExit(f"{home} holds no warehouse.duckdb: build the home first")
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        first, last, n = con.execute(
            "select min(biz_date), max(biz_date), count(*) from intermediate.int_loaded_dates"
        ).fetchone()
    print(f"full refresh of {n} loaded dates {first} .. {last} in {home} ...", flush=True)
    res = {"label": label or home.name, "kind": "refresh_only", "dates": n,
           "first": str(first), "last": str(last),
           "memory_limit": os.environ.get("PUHUI_MEMORY_LIMIT", "12GB (default)"),
           "at": time.strftime("%Y-%m-%d %H:%M:%S"),
           "full_refresh": _measured(_step("full", home, None), home)}
    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    with (out / "bench_dbt.jsonl").open("a") as f:
        f.write(json.dumps(res) + "\n")
    print(json.dumps(res, indent=2))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--landing", type=Path)
    p.add_argument("--home", type=Path, required=True)
    p.add_argument("--label", default="")
    p.add_argument("--loader", choices=("ingest", "direct"), default="ingest",
                   help="ingest: the Dagster ingestion job; direct: the ingestion service alone")
    p.add_argument("--refresh-only", action="store_true",
                   help="only a full refresh of the home's loaded dates (give it a copy)")
    a = p.parse_args()
    if a.refresh_only:
        _refresh_only(a.home, a.label)
        return
    if a.landing is None:
        p.error("--landing is required unless --refresh-only")
    dates = sorted(d.name for d in a.landing.iterdir() if d.is_dir() and d.name.isdigit())
    if len(dates) < 2:
        raise SystemExit("need at least two delivered dates")
    iso = [f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in dates]
    a.home.mkdir(parents=True, exist_ok=True)
    res: dict[str, object] = {"label": a.label or a.landing.name, "dates": iso}
    res["loader"] = a.loader
    res["ingest_first"] = _measured(_step(a.loader, a.home, f"{a.landing}@{iso[-2]}"), a.home)
    res["full_refresh"] = _measured(_step("full", a.home, None), a.home)
    res["ingest_last"] = _measured(_step(a.loader, a.home, str(a.landing)), a.home)
    res["incremental_one_date"] = _measured(_step("incremental", a.home, None), a.home)
    res["rebuild_from_first"] = _measured(_step("from", a.home, iso[0]), a.home)
    res["counts"] = _counts(a.home)
    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    with (out / "bench_dbt.jsonl").open("a") as f:
        f.write(json.dumps(res) + "\n")
    print(json.dumps(res, indent=2))
    fr, inc, rb = res["full_refresh"], res["incremental_one_date"], res["rebuild_from_first"]
    print(f"| {res['label']} | {len(iso) - 1} dates: {fr['seconds']} s, {fr['peak_rss_mib']} MiB "
          f"| 1 date: {inc['seconds']} s, {inc['peak_rss_mib']} MiB "
          f"| from {iso[0]} ({len(iso)} dates): {rb['seconds']} s, {rb['peak_rss_mib']} MiB |")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "_step":
        ap = argparse.ArgumentParser()
        ap.add_argument("step")
        ap.add_argument("kind")
        ap.add_argument("--home")
        ap.add_argument("--arg")
        ns = ap.parse_args()
        _run_step(ns.kind, ns.arg)
    else:
        main()
