"""Build a published `bank`-scale history of many business dates for the Superset
latency benchmark (issue 6: "the cockpit at bank scale with 90 days loaded").

    uv run python bench/prepare_bank_history.py --home /data/bank90 --days 90

Generates the deliveries (one generator process, in the background) and loads each
date as soon as its DONE flag appears, then deletes that delivery folder: 90 bank
dates are ~33 GB of GB18030 text, which need not sit on disk all at once. The generator
writes a bank date in about 3 s and a load takes about 10 s, so it is paused (SIGSTOP)
while ``--ahead`` dates wait in landing and resumed (SIGCONT) below that: at most that
many deliveries (about 0.37 GB each) are on disk at a time.

Raw dates go in through the ingestion service (bench_dbt.ingest_dates: every contract
rule and the versioned raw layer, without Dagster's run overhead). Every
``--build-every`` dates the real incremental ``dbt build`` runs; the first of them is a
full refresh, so ``--build-every`` equal to ``--days`` times one full refresh of every
date (issue 14's full-refresh figure; add ``--no-publish`` to stop there). At the end
the real ``publish`` runs. Progress goes to stdout; the timings of each stage to
``<home>/prepare.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--home", type=Path, required=True, help="PUHUI_HOME to fill")
    p.add_argument("--start", default="2025-10-03")
    p.add_argument("--days", type=int, default=90)
    p.add_argument("--build-every", type=int, default=30)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-publish", action="store_true",
                   help="leave the serving copy out (a home for dbt benchmarks only)")
    p.add_argument("--ahead", type=int, default=3,
                   help="generated dates that may wait in landing before the generator "
                        "is paused (at least 2)")
    a = p.parse_args()
    if a.ahead < 2:
        p.error("--ahead must be at least 2: the date being loaded and the one being written")

    a.home.mkdir(parents=True, exist_ok=True)
    os.environ["PUHUI_HOME"] = str(a.home)
    from dagster_project.settings import get_settings

    settings = get_settings()
    landing = a.home / "landing"
    first = date.fromisoformat(a.start)
    dates = [first + timedelta(days=i) for i in range(a.days)]
    loaded = _loaded_dates(settings.warehouse_path)
    if loaded:  # resuming: the folders of the dates not loaded yet are still in landing
        print(f"resuming: {len(loaded)} dates already loaded", flush=True)
        gen = subprocess.Popen(["true"], start_new_session=True)
    else:
        gen = subprocess.Popen(
            [sys.executable, "-m", "dagster_project.cli", "generate", "--out", str(landing),
             "--scale", "bank", "--start", a.start, "--days", str(a.days), "--seed",
             str(a.seed)],
            cwd=REPO, stdout=(a.home / "generate.log").open("w"), stderr=subprocess.STDOUT,
            start_new_session=True)  # its own process group, paused and resumed by _Pacer
    pacer = _Pacer(gen, landing, a.ahead)
    pacer.start()
    try:
        _prepare(a, settings, landing, dates, loaded, gen, pacer)
    finally:
        pacer.stop()  # first: it could pause the generator again after anything below
        if gen.poll() is None:  # stopped early (an error, Ctrl-C)
            gen.terminate()
            gen.wait()


class _Pacer(threading.Thread):
    """Pauses the generator while ``ahead`` dates wait in ``landing`` and resumes it below,
    checking twice a second, through the loads and the dbt builds alike. Dates are written
    one after another, so when a folder exists every older one is complete."""

    def __init__(self, gen: subprocess.Popen, landing: Path, ahead: int) -> None:
        super().__init__(daemon=True)
        self.gen, self.landing, self.ahead = gen, landing, ahead
        self.most_waiting = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.5) and self.gen.poll() is None:
            waiting = (sum(1 for f in self.landing.iterdir() if f.is_dir())
                       if self.landing.exists() else 0)
            self.most_waiting = max(self.most_waiting, waiting)
            os.killpg(self.gen.pid, signal.SIGSTOP if waiting >= self.ahead else signal.SIGCONT)

    def stop(self) -> None:
        self.done.set()
        self.join()
        if self.gen.poll() is None:
            os.killpg(self.gen.pid, signal.SIGCONT)


def _prepare(a: argparse.Namespace, settings, landing: Path, dates: list[date],  # noqa: ANN001
             loaded: set[date], gen: subprocess.Popen, pacer: _Pacer) -> None:
    from bench_dbt import ingest_dates

    from dagster_project.dbt_build import build
    from dagster_project.publish import publish

    timings: dict[str, float] = {"load": 0.0, "build": 0.0}
    began = time.perf_counter()
    for n, d in enumerate(dates, 1):
        if d not in loaded:
            folder = landing / d.strftime("%Y%m%d")
            done = folder / f"DONE_{d.strftime('%Y%m%d')}.flg"
            while not done.exists():
                if gen.poll() not in (None, 0):
                    raise SystemExit(f"generator failed, see {a.home / 'generate.log'}")
                time.sleep(2)
            t = time.perf_counter()
            ingest_dates(a.home, landing, d.isoformat())
            timings["load"] += time.perf_counter() - t
            shutil.rmtree(folder)
            print(f"[{time.perf_counter() - began:7.0f}s] loaded {d} ({n}/{len(dates)})",
                  flush=True)
        if n % a.build_every == 0 or n == len(dates):
            # incremental: builds every loaded date not yet in the marts (also the ones
            # a failed build of an earlier, interrupted run left behind)
            t = time.perf_counter()
            result = build(settings, full_refresh=n == a.build_every and not loaded)
            timings["build"] += time.perf_counter() - t
            print(f"[{time.perf_counter() - began:7.0f}s] dbt build through {d}: "
                  f"{result.seconds:.0f}s {result.counts}", flush=True)
    gen.wait()  # done writing: every date is loaded, so the pacer has let it run
    print(f"at most {pacer.most_waiting} generated dates waited in {landing} at a time", flush=True)
    tables: dict[str, int] = {}
    if not a.no_publish:
        t = time.perf_counter()
        result = publish(settings)
        timings["publish"] = time.perf_counter() - t
        tables = result.tables
        print(f"published {result.path}: {tables}", flush=True)
    timings["total"] = time.perf_counter() - began
    (a.home / "prepare.json").write_text(json.dumps(
        {"start": a.start, "days": a.days, "seconds": timings, "tables": tables}, indent=2))


def _loaded_dates(warehouse: Path) -> set[date]:
    import duckdb

    if not warehouse.exists():
        return set()
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {r[0] for r in con.execute("select biz_date from meta.delivery").fetchall()}
    except duckdb.CatalogException:
        return set()
    finally:
        con.close()


if __name__ == "__main__":
    main()
