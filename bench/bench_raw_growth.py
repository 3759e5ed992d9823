"""Raw-layer growth and the cost of a night as history builds up (issue 14 targets).

    uv run python bench/bench_raw_growth.py --landing /data/bank11 --home /tmp/growth
    uv run python bench/bench_raw_growth.py --landing /data/bank11 --home /tmp/growth-old \
        --code /tmp/puhui-before      # the same on another checkout (before/after)

Loads every delivered date of ``--landing`` in order into an empty warehouse, each
night in its own process under ``/usr/bin/time -v`` (wall time, peak RSS) with the
real ingestion service (every contract rule, the keyed hash, one transaction; no
Dagster, no expectation suites, no dbt), then ``CHECKPOINT``. After each night it
records the warehouse file's bytes and the CPU seconds of the night. Prints one
line per night and a summary: the bytes the first date takes, the mean bytes each
further date adds and their ratio (target: at most 15 %), and the last night's
time and memory against the second's (target: at most 1.2×). Results are appended
to ``bench/out/bench_raw_growth.jsonl``.

Generate the deliveries first, e.g.
``uv run puhui generate --out /data/bank11 --scale bank --start 2025-10-11 --days 11``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _night(code: Path, home: Path, folder: Path) -> dict[str, float]:
    """Inside the measured child: load one delivery, CHECKPOINT, report CPU and size."""
    sys.path.insert(0, str(code))
    os.environ["PUHUI_HOME"] = str(home)
    import duckdb

    from dagster_project.ingest.delivery import Delivery
    from dagster_project.ingest.service import IngestOptions, ingest_delivery
    from dagster_project.settings import get_settings

    s = get_settings()
    d = date(int(folder.name[:4]), int(folder.name[4:6]), int(folder.name[6:]))
    opts = IngestOptions(quarantine_dir=s.quarantine_dir, tmp_dir=s.tmp_dir,
                         pii_key=b"bench", parallel_min_bytes=s.ingest_parallel_min_bytes,
                         workers=s.threads)
    t0 = time.perf_counter()
    con = duckdb.connect(str(s.warehouse_path))
    res = ingest_delivery(con, Delivery(d, folder), opts, say=lambda _m: None)
    con.execute("CHECKPOINT")
    con.close()
    use = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return {"seconds": time.perf_counter() - t0,
            "cpu": sum(u.ru_utime + u.ru_stime for u in use),
            "rows": sum(res.rows.values()), "bytes_delivered": res.bytes,
            "db_bytes": s.warehouse_path.stat().st_size}


def _measured(code: Path, home: Path, folder: Path) -> dict[str, float]:
    p = subprocess.run(["/usr/bin/time", "-v", sys.executable, __file__, "_night",
                        str(code), str(home), str(folder)],
                       capture_output=True, text=True)
    if p.returncode:
        raise SystemExit(f"night {folder.name} failed:\n{p.stderr[-3000:]}")
    out = json.loads(p.stdout.strip().splitlines()[-1])
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    assert rss, p.stderr
    out["peak_rss_mib"] = int(rss.group(1)) / 1024
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--landing", type=Path, required=True)
    ap.add_argument("--home", type=Path, required=True, help="an empty PUHUI_HOME")
    ap.add_argument("--code", type=Path, default=REPO, help="checkout whose ingestion runs")
    ap.add_argument("--label", default="")
    a = ap.parse_args()
    folders = sorted(p for p in a.landing.iterdir() if p.is_dir() and p.name.isdigit())
    if len(folders) < 3:
        raise SystemExit("need at least three delivered dates")
    a.home.mkdir(parents=True, exist_ok=True)
    if (a.home / "warehouse.duckdb").exists():
        raise SystemExit(f"{a.home} already has a warehouse: give an empty home")
    nights = []
    for n, folder in enumerate(folders, 1):
        r = _measured(a.code.resolve(), a.home, folder)
        nights.append(r)
        grew = r["db_bytes"] - (nights[-2]["db_bytes"] if n > 1 else 0)
        print(f"night {n} ({folder.name}): {r['seconds']:.1f} s, CPU {r['cpu']:.1f} s, "
              f"peak {r['peak_rss_mib']:,.0f} MiB; warehouse {r['db_bytes'] / 1e6:,.1f} MB "
              f"(+{grew / 1e6:,.1f})", flush=True)
    first = nights[0]["db_bytes"]
    added = [(b["db_bytes"] - a_["db_bytes"]) for a_, b in zip(nights, nights[1:], strict=False)]
    mean_added = statistics.mean(added)
    res = {"label": a.label or str(a.code), "dates": [f.name for f in folders],
           "nights": nights, "first_date_bytes": first, "mean_bytes_added": mean_added,
           "growth_ratio": mean_added / first,
           "last_vs_second_seconds": nights[-1]["seconds"] / nights[1]["seconds"],
           "last_vs_second_cpu": nights[-1]["cpu"] / nights[1]["cpu"],
           "last_vs_second_rss": nights[-1]["peak_rss_mib"] / nights[1]["peak_rss_mib"]}
    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    with (out / "bench_raw_growth.jsonl").open("a") as f:
        f.write(json.dumps(res) + "\n")
    print(f"first date: {first / 1e6:,.1f} MB; each further date adds {mean_added / 1e6:,.1f} MB "
          f"on average = {res['growth_ratio']:.0%} of the first (target <= 15 %)")
    print(f"night {len(nights)} vs night 2: wall {res['last_vs_second_seconds']:.2f}×, "
          f"CPU {res['last_vs_second_cpu']:.2f}×, peak memory {res['last_vs_second_rss']:.2f}× "
          "(target <= 1.2×)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_night":
        print(json.dumps(_night(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))))
    else:
        main()
