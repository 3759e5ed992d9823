"""Ingestion throughput and peak memory against DuckDB's own read_csv (issue 4 targets).

    uv run python bench/bench_ingest.py --scale bank [--landing DIR] [--date YYYYMMDD]

Generates one delivery (unless --landing has one), then measures, each phase in its own
process under ``/usr/bin/time -v`` (wall time, peak RSS including children):

- baseline: DuckDB ``read_csv`` of the UTF-8-converted files straight into typed tables
  (the conversion is done beforehand and not timed);
- ingest:   our full path on the GB18030 delivery: stream MD5 + transcode, stage, every
  contract rule, PII hashing, one-transaction load (no Dagster, no GE), as a night:
  on a warehouse that already holds the day before (generated too, loaded untimed),
  so full tables write only their changed keys; ``--empty`` loads into nothing;
- checks:   the Great Expectations suites on the loaded date (reported separately).

Target (issue 14): ingest throughput >= 90 % of baseline, peak memory < 12 GB. Results go to
docs/benchmarks.md by hand, with the machine's load noted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dagster_project import contract  # noqa: E402


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the transcode workers)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _typed_columns(t: contract.Table) -> str:
    cols = ", ".join(f"'{c.name}': '{contract.SQL_TYPES[c.type]}'" for c in t.columns)
    return "{" + cols + "}"


def phase_baseline(folder: Path, work: Path) -> dict:
    import duckdb

    from dagster_project.ingest.transcode import scan_file

    utf8 = work / "utf8"
    utf8.mkdir(parents=True, exist_ok=True)
    files = {}
    for t in contract.TABLES:  # conversion (streamed) is not part of the baseline's time
        scan = scan_file(next(folder.glob(f"{t.name}_*.dat")), utf8)
        assert scan.utf8_path is not None and not scan.violations
        files[t.name] = scan.utf8_path  # ASCII files are UTF-8 already: read in place
    db = work / "baseline.duckdb"
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db), config={"threads": 2, "memory_limit": "12GB"})
    t0, c0 = time.perf_counter(), _cpu()
    for t in contract.TABLES:
        f = files[t.name]
        con.execute(f"""CREATE TABLE {t.raw_table} AS SELECT * FROM read_csv(
            '{f}', delim = '|', header = false, quote = '', escape = '',
            auto_detect = false, columns = {_typed_columns(t)},
            dateformat = '%Y%m%d', timestampformat = '%Y%m%d%H%M%S')""")
    con.execute("CHECKPOINT")
    secs, cpu = time.perf_counter() - t0, _cpu() - c0
    con.close()
    return {"seconds": secs, "cpu": cpu, "db_bytes": db.stat().st_size}


def phase_prior(folder: Path, work: Path) -> dict:
    """Untimed: load the day before into ``prior.duckdb``, the warehouse a night finds."""
    from dagster_project.ingest.delivery import Delivery
    from dagster_project.ingest.service import IngestOptions, ingest_delivery
    from dagster_project.resources.duckdb import connect_warehouse
    from dagster_project.settings import Settings

    settings = Settings(home=work, threads=2, memory_limit="12GB")
    settings.warehouse_path.unlink(missing_ok=True)
    d = date(int(folder.name[:4]), int(folder.name[4:6]), int(folder.name[6:]))
    con = connect_warehouse(settings)
    ingest_delivery(con, Delivery(d, folder), IngestOptions(
        quarantine_dir=work / "quarantine", tmp_dir=work / "tmp", pii_key=b"bench"),
        say=lambda _: None)
    con.execute("CHECKPOINT")
    con.close()
    shutil.move(settings.warehouse_path, work / "prior.duckdb")
    return {"prior": folder.name}


def phase_ingest(folder: Path, work: Path, checks: bool) -> dict:
    import duckdb

    from dagster_project.checks.raw_quality import run_suites
    from dagster_project.ingest.delivery import Delivery
    from dagster_project.ingest.service import IngestOptions, ingest_delivery
    from dagster_project.resources.duckdb import connect_warehouse
    from dagster_project.settings import Settings

    settings = Settings(home=work, threads=2, memory_limit="12GB")
    db = settings.warehouse_path
    db.unlink(missing_ok=True)
    prior = work / "prior.duckdb"
    if prior.exists():  # a night: the warehouse already holds the day before
        shutil.copyfile(prior, db)
    bytes_before = db.stat().st_size if db.exists() else 0
    d = date(int(folder.name[:4]), int(folder.name[4:6]), int(folder.name[6:]))
    con = connect_warehouse(settings)
    opts = IngestOptions(quarantine_dir=work / "quarantine", tmp_dir=work / "tmp",
                         pii_key=b"bench")
    t0, c0 = time.perf_counter(), _cpu()
    res = ingest_delivery(con, Delivery(d, folder), opts, say=lambda _: None)
    con.execute("CHECKPOINT")
    secs, cpu = time.perf_counter() - t0, _cpu() - c0
    out = {"seconds": secs, "cpu": cpu, "timings": res.timings, "rows": sum(res.rows.values()),
           "bytes": res.bytes, "db_bytes": db.stat().st_size,
           "db_bytes_added": db.stat().st_size - bytes_before}
    if checks:
        t1 = time.perf_counter()
        outcomes = run_suites(con, d)
        out["checks_seconds"] = time.perf_counter() - t1
        out["checks_passed"] = all(o.passed for o in outcomes)
    con.close()
    assert isinstance(con, duckdb.DuckDBPyConnection)
    return out


def _timed(args: list[str]) -> tuple[dict, float, int]:
    """Run this script's phase under /usr/bin/time -v: (result, wall s, max RSS bytes)."""
    p = subprocess.run(["/usr/bin/time", "-v", sys.executable, __file__, *args],
                       capture_output=True, text=True, check=True)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", p.stderr)
    parts = [float(x) for x in wall.group(1).split(":")]
    secs = sum(v * 60 ** i for i, v in enumerate(reversed(parts)))
    return json.loads(p.stdout.strip().splitlines()[-1]), secs, rss * 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", default="bank")
    ap.add_argument("--landing", type=Path)
    ap.add_argument("--date", help="YYYYMMDD folder in the landing (default: first)")
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / "out")
    ap.add_argument("--phase", choices=["baseline", "ingest", "prior"])
    ap.add_argument("--folder", type=Path)
    ap.add_argument("--no-checks", action="store_true")
    ap.add_argument("--empty", action="store_true",
                    help="load into an empty warehouse, not on top of the day before")
    ap.add_argument("--rounds", type=int, default=1,
                    help="baseline and ingest alternately, this many times each")
    a = ap.parse_args()
    if a.phase == "prior":
        print(json.dumps(phase_prior(a.folder, a.work)))
        return
    if a.phase:
        fn = phase_baseline if a.phase == "baseline" else None
        res = (fn(a.folder, a.work) if fn else
               phase_ingest(a.folder, a.work, checks=not a.no_checks))
        print(json.dumps(res))
        return

    landing = a.landing or a.work / f"landing-{a.scale}"
    if not landing.exists():
        from dagster_project.generator import generate

        t = time.perf_counter()
        generate(landing, a.scale, "2025-06-29", 2)
        print(f"generated {a.scale} in {time.perf_counter() - t:.0f}s", flush=True)
    dates = sorted(p for p in landing.iterdir() if p.is_dir() and p.name.isdigit())
    folder = landing / a.date if a.date else dates[-1]
    (a.work / "prior.duckdb").unlink(missing_ok=True)
    before = [p for p in dates if p.name < folder.name]
    if before and not a.empty:
        # a real night: the warehouse holds the day before (versions of the full tables)
        t = time.perf_counter()
        _timed(["--phase", "prior", "--work", str(a.work), "--folder", str(before[-1])])
        print(f"warehouse with {before[-1].name} loaded (untimed, "
              f"{time.perf_counter() - t:.0f}s)", flush=True)
    size = sum(f.stat().st_size for f in folder.glob("*.dat"))
    rows = sum(int(f.read_text().split("|")[1]) for f in folder.glob("*.flg")
               if not f.name.startswith("DONE"))
    print(f"delivery {folder.name}: {rows:,} rows, {size / 1e6:,.1f} MB (GB18030)", flush=True)
    common = ["--work", str(a.work), "--folder", str(folder)]
    # Alternate the two so that a change in the machine's load hits both alike; the
    # medians are the figures (docs/benchmarks.md), every round is printed too.
    bases, ings = [], []
    for r in range(a.rounds):
        load = os.getloadavg()[0]
        base, base_wall, base_rss = _timed(["--phase", "baseline", *common])
        ing, ing_wall, ing_rss = _timed(["--phase", "ingest", *common,
                                         *([] if r == 0 else ["--no-checks"])])
        bases.append((base, base_rss))
        ings.append((ing, ing_rss))
        print(f"round {r + 1}: load {load:.1f}; baseline {base['seconds']:.1f}s "
              f"(CPU {base['cpu']:.1f}s, peak {base_rss / 2**30:.2f} GiB); ingest "
              f"{ing['seconds']:.1f}s (CPU {ing['cpu']:.1f}s, peak {ing_rss / 2**30:.2f} GiB), "
              f"phases {ing['timings']}; ratio {base['seconds'] / ing['seconds']:.0%}; "
              f"process wall {base_wall:.1f}s / {ing_wall:.1f}s", flush=True)
        if "checks_seconds" in ing:
            print(f"GE suites on the loaded date: {ing['checks_seconds']:.1f}s, "
                  f"passed={ing['checks_passed']}", flush=True)
    b = statistics.median(x["seconds"] for x, _ in bases)
    i = statistics.median(x["seconds"] for x, _ in ings)
    bc = statistics.median(x["cpu"] for x, _ in bases)
    ic = statistics.median(x["cpu"] for x, _ in ings)
    print(f"median of {a.rounds}: baseline read_csv {b:.1f}s = {size / 1e6 / b:.0f} MB/s; "
          f"ingest (decode + validate + load) {i:.1f}s = {size / 1e6 / i:.0f} MB/s")
    print(f"throughput ratio ingest/baseline: {b / i:.0%} wall (target >= 90%), "
          f"{bc / ic:.0%} by CPU seconds ({bc:.1f} / {ic:.1f})")
    print(f"peak RSS: baseline {max(r for _, r in bases) / 2**30:.2f} GiB, ingest "
          f"{max(r for _, r in ings) / 2**30:.2f} GiB (incl. children; target < 12 GB)")
    ing = ings[0][0]
    print(f"warehouse bytes added by the date: {ing['db_bytes_added'] / 1e6:,.1f} MB "
          f"({ing['db_bytes_added'] / ing['rows']:.1f} per delivered row; the baseline's "
          f"typed tables: {bases[0][0]['db_bytes'] / rows:.1f})")
    shutil.rmtree(a.work / "utf8", ignore_errors=True)


if __name__ == "__main__":
    main()
