"""Chart-data API latency of the 行长战情室 cockpit, against a real Superset.

    uv run python bench/bench_superset.py [--rounds 20] [--url http://127.0.0.1:8088]

Reads $PUHUI_HOME/serving.duckdb (whatever `puhui run` published: note its
scale and dates in docs/benchmarks.md). Without --url it starts Superset from
the Superset venv (2 gunicorn workers x 8 threads), imports the bundle, and
stops it afterwards. Each round asks every cockpit chart what the dashboard
asks (latest date; the org alternates province / a legal entity / a
sub-branch / an outlet), one request at a time (per-chart latency), then all
charts at once with 6 in flight, as a browser loads the dashboard. Prints p50/p95
and writes bench/out/superset.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dagster_project.settings import get_settings  # noqa: E402
from dagster_project.superset import assets_io, bundle, server, service  # noqa: E402
from dagster_project.superset.client import SupersetClient  # noqa: E402
from dagster_project.superset.dashboards import WARNINGS, cockpit  # noqa: E402


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100 * len(s) + 0.5)) - 1))
    return s[k]


def org_paths(serving: Path) -> tuple[str, list[tuple[str | None, str | None, str | None]],
                                       dict[str, int]]:
    """The latest date, one org of each level as the dashboard filters select it
    (法人行社 / 支行 / 网点 names, None = filter left empty), and the store's size."""
    con = duckdb.connect(str(serving), read_only=True)
    try:
        biz_dt = str(con.execute("select max(biz_date) from org_indicator_wide").fetchone()[0])
        paths = [tuple(None if v == "全部" else v for v in r) for r in con.execute(
            "select lvl2_org_name, lvl3_org_name, lvl4_org_name from org_indicator_wide "
            "where biz_date = ? and org_no in (select min(org_no) from org_indicator_wide "
            "where biz_date = ? group by org_level) order by org_level",
            [biz_dt, biz_dt]).fetchall()]
        size = {t: con.execute(f"select count(*) from {t}").fetchone()[0]
                for t in ("org_indicator_wide", "mgr_indicator_wide", "indicator_value",
                          "srv_indicator_leaf", "srv_indicator_customer")}
        size["dates"] = con.execute(
            "select count(distinct biz_date) from org_indicator_wide").fetchone()[0]
        size["orgs_on_latest"] = con.execute(
            "select count(*) from org_indicator_wide where biz_date = ?", [biz_dt]).fetchone()[0]
        for t in ("srv_indicator_leaf", "srv_indicator_customer"):
            size[t + "_on_latest"] = con.execute(
                f"select count(*) from {t} where biz_date = ?", [biz_dt]).fetchone()[0]
    finally:
        con.close()
    return biz_dt, paths, size


def run(client: SupersetClient, serving: Path, rounds: int) -> dict:
    biz_dt, paths, size = org_paths(serving)
    dash = cockpit()
    ds = assets_io.ids_by_uuid(client, "dataset")

    def request(chart, path) -> float:  # noqa: ANN001
        qc = bundle.dashboard_query(chart, dash, ds[bundle.uuid_for("dataset", chart.dataset)],
                                    biz_dt, path)
        qc["force"] = True
        t0 = time.perf_counter()
        rows = assets_io.chart_data(client, qc)
        elapsed = time.perf_counter() - t0
        if not rows and chart.dataset != WARNINGS:  # a quiet day may fire no warning
            raise RuntimeError(f"{chart.key} returned no rows")
        return elapsed

    charts = dash.charts()
    for c in charts:  # warm-up: first query of each worker opens DuckDB, imports modules
        request(c, paths[0])
    per_chart: dict[str, list[float]] = {c.key: [] for c in charts}
    whole: list[float] = []
    for i in range(rounds):
        path = paths[i % len(paths)]
        for c in charts:
            per_chart[c.key].append(request(c, path))
        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=6) as pool:
            list(pool.map(lambda c: request(c, path), charts))  # noqa: B023
        whole.append(time.perf_counter() - t0)
    every = [v for vs in per_chart.values() for v in vs]
    return {
        "serving": size, "biz_date": biz_dt, "rounds": rounds, "charts": len(charts),
        "requests": len(every),
        "p50_ms": round(1000 * statistics.median(every), 1),
        "p95_ms": round(1000 * pct(every, 95), 1),
        "max_ms": round(1000 * max(every), 1),
        "per_chart_p50_ms": {k: round(1000 * statistics.median(v), 1)
                             for k, v in per_chart.items()},
        "dashboard_6_parallel_p50_s": round(statistics.median(whole), 3),
        "dashboard_6_parallel_p95_s": round(pct(whole, 95), 3),
        "load_average": os.getloadavg(),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--url", default=None, help="a running Superset with the bundle imported")
    a = ap.parse_args()
    s = get_settings()
    if a.url:
        result = run(service.admin_client(s, a.url), s.serving_path, a.rounds)
    else:
        server.init_metadata(s)
        srv = server.start(s)
        try:
            client = service.deploy(s, srv.base_url)
            result = run(client, s.serving_path, a.rounds)
        finally:
            srv.stop()
    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "superset.json").write_text(json.dumps(result, ensure_ascii=False, indent=2))
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
