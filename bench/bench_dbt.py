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
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _measured(cmd: list[str], env_home: Path) -> dict[str, float]:
    """Run ``cmd`` under /usr/bin/time -v; wall seconds and peak RSS in MiB."""
    import os

    env = dict(os.environ, PUHUI_HOME=str(env_home))
    began = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-v", *cmd], cwd=REPO, env=env,
                          capture_output=True, text=True)
    wall = time.perf_counter() - began
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"failed: {' '.join(cmd)}")
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    return {"seconds": round(wall, 1), "peak_rss_mib": round(rss_kb / 1024, 0)}


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


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--landing", type=Path, required=True)
    p.add_argument("--home", type=Path, required=True)
    p.add_argument("--label", default="")
    p.add_argument("--loader", choices=("ingest", "direct"), default="ingest",
                   help="ingest: the Dagster ingestion job; direct: the ingestion service alone")
    a = p.parse_args()
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
