"""What the business warnings and the morning briefing add to a night (issue 16).

    uv run python bench/bench_briefing.py --home /tmp/bench_brief --scale bank --days 3

Generates ``--days`` dates (unless the landing folder already has them), loads all but
the last with bench_dbt.py's bench-only direct loader and builds them, then loads the
last date and runs the real incremental ``dbt build`` of that night, and reads from
dbt's run_results.json the time of the two warning models (int_customer_outflows_daily,
fct_business_warnings, and their tests). Then the real ``publish`` and
``send_briefing(..., dry_run=True)`` for every legal entity, then for every legal entity
and 支行, with and without the cockpit picture. Prints a Markdown table and writes
``<home>/bench_briefing.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
WARNING_NODES = ("int_customer_outflows_daily", "fct_business_warnings", "warning_rules")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--home", type=Path, required=True)
    p.add_argument("--scale", default="bank")
    p.add_argument("--start", default="2025-12-30")
    p.add_argument("--days", type=int, default=3)
    a = p.parse_args()
    a.home.mkdir(parents=True, exist_ok=True)
    os.environ["PUHUI_HOME"] = str(a.home)
    from bench_dbt import _direct_load

    from dagster_project.briefing import send_briefing
    from dagster_project.briefing.content import connect
    from dagster_project.dbt_build import build
    from dagster_project.publish import publish
    from dagster_project.settings import BriefingRecipient, get_settings

    s = get_settings()
    landing = a.home / "landing"
    dates = [date.fromisoformat(a.start) + timedelta(days=i) for i in range(a.days)]
    out: dict[str, object] = {"scale": a.scale, "dates": [d.isoformat() for d in dates]}
    if not (landing / f"{dates[-1]:%Y%m%d}" / f"DONE_{dates[-1]:%Y%m%d}.flg").exists():
        subprocess.run([sys.executable, "-m", "dagster_project.cli", "generate", "--out",
                        str(landing), "--scale", a.scale, "--start", a.start, "--days",
                        str(a.days)], cwd=REPO, check=True)
    _direct_load(a.home, landing, dates[-2].isoformat())
    build(s)
    _direct_load(a.home, landing, dates[-1].isoformat())
    t = time.perf_counter()
    build(s)  # the night of the last date: incremental
    out["dbt_night_s"] = round(time.perf_counter() - t, 1)
    results = json.loads((s.dbt_target_dir / "run_results.json").read_text())["results"]
    nodes = {r["unique_id"]: r["execution_time"] for r in results
             if any(n in r["unique_id"] for n in WARNING_NODES)}
    out["warning_nodes_s"] = {k: round(v, 2) for k, v in nodes.items()}
    out["warning_nodes_total_s"] = round(sum(nodes.values()), 2)
    t = time.perf_counter()
    publish(s)
    out["publish_s"] = round(time.perf_counter() - t, 1)
    con = connect(s.serving_path)
    try:
        les = [r[0] for r in con.execute("select org_no from dim_org where org_level = 2 "
                                         "order by org_no").fetchall()]
        branches = [r[0] for r in con.execute("select org_no from dim_org where org_level = 3 "
                                              "order by org_no").fetchall()]
        out["warnings_on_night"] = con.execute(
            "select count(*) from fct_business_warnings where biz_date = ?",
            [dates[-1]]).fetchone()[0]
    finally:
        con.close()
    d = dates[-1]
    for label, orgs, image in (("legal_entities_with_picture", les, True),
                               ("legal_entities_and_branches_with_picture", les + branches, True),
                               ("legal_entities_and_branches_no_picture", les + branches, False)):
        s.briefing_recipients = [BriefingRecipient(org_no=o) for o in orgs]
        s.briefing_image = image
        t = time.perf_counter()
        report = send_briefing(s, d, dry_run=True, say=lambda _: None)
        out[label] = {"recipients": len(orgs), "messages": len(report.sent),
                      "seconds": round(time.perf_counter() - t, 1)}
    (a.home / "bench_briefing.json").write_text(json.dumps(out, indent=1))
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
