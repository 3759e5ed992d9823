"""What customer operations (issue 15) add to a night's dbt build.

    uv run python bench/bench_custops.py --home /data/night30 --date 2025-11-10 --rounds 2
    uv run python bench/bench_custops.py --home /data/night3 --date 2025-10-14 \
        --landing /data/bank32 --scratch /data/scratch --rounds 3

Each round builds ``--date`` alone twice, each in its own process under
``/usr/bin/time -v``: once with every dbt node (what ``puhui build --from-date`` runs,
the dbt step of a night: the date's models and their data tests) and once without
the customer-operations nodes (:data:`CUSTOMER_OPS`: the blacklist, the ID hashes,
the masked names, the per-customer intermediates, the four contract tables and the
客户经营 serving tables, with their tests). The two alternate, so load drifts on a
shared machine touch both alike.

Two modes:
- **rebuild** (no ``--landing``): ``--home`` is published through ``--date`` (prepared
  with ``puhui run``, untimed), and each build replaces that date's rows with the
  same rows, so the home ends as it began. Every incremental model first deletes
  the date it rebuilds.
- **new date** (``--landing`` and ``--scratch``): ``--home`` is published through the
  loaded date before ``--date``. The delivery of ``--date`` is loaded once, untimed,
  into a copy under ``--scratch`` (the ingestion service, every contract rule), and
  each build runs on a fresh copy of that: a night's dbt step, which only appends.
  ``--home`` is never changed.

Reported: wall, CPU (user + system) and peak RSS of each run, their medians and the
ratio with / without (the issue's target: at most +30 %), and the customer-operations
nodes' own times from dbt's ``run_results.json``. Results are appended to
``bench/out/bench_custops.jsonl``.

``--split-tests`` adds two builds to each round, to tell the models' share from their
tests': "models" keeps every customer-operations model and none of their data tests,
"required" only the two pre-credit checks issue 15 names (:data:`REQUIRED_TESTS`).
Their ratios to "without" are reported beside the others.

A home built before customer operations existed gets one untimed build first, which
builds their tables for every loaded date (they are new incremental models).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_night import fresh_copy, usage  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out" / "bench_custops.jsonl"

# Every node of customer operations: the ones that read what only they read, and
# everything downstream of them (dbt's "+" suffix), with the pre-credit parameters seed,
# the blacklist source's tests and the test that their codes have labels. `dbt ls` of it
# lists 82 nodes (18 models, the seed, 63 tests); what is left, 175 nodes, is exactly the
# night before customer operations (eb7c65c). Until session 22 the last three terms were
# missing and the "without" build kept 9 of these nodes.
CUSTOMER_OPS = ("stg_manual__blacklist_entries+ stg_t1__customer_id_hashes+ "
                "stg_t1__customer_names+ int_customer_deposits_summed+ "
                "int_customer_activity_counted+ int_customers_profiled+ "
                "precredit_parameters+ source:manual.blacklist_current+ "
                "assert_code_labels_name_customer_ops_codes")

# The checks issue 15 names for pre-credit ("every admitted customer has a limit, and no
# limit is above the cap"); --split-tests times the models with only these.
REQUIRED_TESTS = ("assert_precredit_admitted_have_limit", "assert_precredit_limit_within_cap")

# The customer-operations nodes, each its dbt test excluded: the models without a test.
CUSTOMER_OPS_TESTS = " ".join(f"{term},resource_type:test" for term in CUSTOMER_OPS.split())

# One dbt build of the window [day, day] in process, as dbt_build.build(from_date=day)
# runs it, optionally without some nodes; prints dbt's per-node times as JSON. The
# manifest is prepared first, as the night's Dagster code does before its build: a
# copied home then parses partially (resources/dbt.py), as a home's night does.
_BUILD = """
import json, sys
from dagster_project import dbt_build
from dagster_project.resources.dbt import prepare_manifest
from dagster_project.settings import get_settings
from datetime import date
s = get_settings()
day = date.fromisoformat(sys.argv[1])
dbt_build.ensure_sources(s)
prepare_manifest(s)
args = dbt_build.dbt_args(s, "build")
if sys.argv[2]:
    args += ["--exclude", sys.argv[2]]
res = dbt_build.run_dbt(s, args, dbt_build.window_env(day, day))
if not res.success:
    raise SystemExit("dbt build failed")
done = json.loads((s.dbt_target_dir / "run_results.json").read_text())
print("NODES " + json.dumps({r["unique_id"]: r["execution_time"] for r in done["results"]}))
"""


# The names of the customer-operations data tests (`dbt ls`, untimed).
_LS = """
import os, sys
from dbt.cli.main import dbtRunner
from dagster_project import dbt_build
from dagster_project.resources.dbt import prepare_manifest
from dagster_project.settings import get_settings
s = get_settings()
prepare_manifest(s)
os.environ.update(dbt_build.dbt_env(s))
res = dbtRunner().invoke(dbt_build.dbt_args(s, "ls") + [
    "--resource-type", "test", "--select", sys.argv[1], "--output", "name", "--quiet"])
print("NAMES " + " ".join(sorted(res.result)))
"""


def custops_tests(home: Path) -> list[str]:
    done = subprocess.run([sys.executable, "-c", _LS, CUSTOMER_OPS], cwd=REPO, env=_env(home),
                          capture_output=True, text=True, check=True)
    line = next(x for x in done.stdout.splitlines() if x.startswith("NAMES "))
    return line[len("NAMES "):].split()


def _has_custops(home: Path) -> bool:
    import duckdb

    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return bool(con.execute("select count(*) from duckdb_tables() where "
                                "schema_name = 'marts' and table_name = 'precredit'")
                    .fetchone()[0])


def _env(home: Path) -> dict[str, str]:
    """This environment with ``home`` as the only Puhui setting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUHUI_")}
    env["PUHUI_HOME"] = str(home)
    return env


def _ingested_copy(home: Path, landing: Path, day: date, scratch: Path) -> Path:
    """``home`` copied to ``scratch/base`` with the delivery of ``day`` loaded (untimed)."""
    base = fresh_copy(home, scratch / "base", "tmp", "*.wal")
    code = ("import sys; from pathlib import Path; from bench_dbt import ingest_dates; "
            "ingest_dates(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])")
    subprocess.run([sys.executable, "-c", code, str(base), str(landing), day.isoformat()],
                   cwd=REPO, env={**_env(base), "PYTHONPATH": str(REPO / "bench")}, check=True)
    return base


def build(home: Path, day: date, exclude: str) -> dict[str, object]:
    done = subprocess.run(["/usr/bin/time", "-v", sys.executable, "-c", _BUILD,
                           day.isoformat(), exclude],
                          cwd=REPO, env=_env(home), capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"dbt build failed ({done.returncode}):\n{done.stdout[-3000:]}\n"
                         f"{done.stderr[-3000:]}")
    line = next(x for x in done.stdout.splitlines() if x.startswith("NODES "))
    return {
        **usage(done.stderr),
        "nodes": json.loads(line[len("NODES "):]),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--home", type=Path, required=True, help="published through --date")
    ap.add_argument("--date", type=date.fromisoformat, required=True)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--label", default="")
    ap.add_argument("--landing", type=Path,
                    help="new-date mode: the delivery of --date is loaded from here")
    ap.add_argument("--scratch", type=Path, help="new-date mode: where the copies go")
    ap.add_argument("--split-tests", action="store_true",
                    help="also time the customer-operations models without their data "
                         "tests, and with only the two pre-credit checks issue 15 names")
    args = ap.parse_args()
    if (args.landing is None) != (args.scratch is None):
        ap.error("--landing and --scratch go together (new-date mode)")
    has_custops = _has_custops(args.home)
    if args.landing is not None:
        if not has_custops:
            raise SystemExit(f"{args.home} has no customer-operations tables: build it once "
                             "first")
        print(f"[{time.strftime('%H:%M:%S')}] loading {args.date} into a copy of "
              f"{args.home} (untimed)", flush=True)
        base = _ingested_copy(args.home, args.landing, args.date, args.scratch)
    if not has_custops:
        print(f"[{time.strftime('%H:%M:%S')}] no customer-operations tables yet: one "
              "untimed build of every loaded date", flush=True)
        build(args.home, args.date, "")  # the new incremental models build all dates
    kinds = [("with", ""), ("without", CUSTOMER_OPS)]
    if args.split_tests:
        names = custops_tests(base if args.landing is not None else args.home)
        missing = set(REQUIRED_TESTS) - set(names)
        if missing:
            raise SystemExit(f"not customer-operations tests: {sorted(missing)}")
        kinds += [("models", CUSTOMER_OPS_TESTS),
                  ("required", " ".join(n for n in names if n not in REQUIRED_TESTS))]
    runs: dict[str, list[dict[str, object]]] = {kind: [] for kind, _ in kinds}
    for i in range(args.rounds):
        for kind, exclude in kinds:
            home = args.home if args.landing is None else fresh_copy(base, args.scratch / "run")
            run = build(home, args.date, exclude)
            runs[kind].append(run)
            print(f"[{time.strftime('%H:%M:%S')}] round {i + 1} {kind:8s} "
                  f"wall {run['wall_s']:.1f} s, CPU {run['cpu_s']:.1f} s, "
                  f"peak {run['peak_rss_mib']:.0f} MiB, {len(run['nodes'])} nodes", flush=True)
    med = {kind: {m: statistics.median(r[m] for r in rs)
                  for m in ("wall_s", "cpu_s", "peak_rss_mib")} for kind, rs in runs.items()}
    # the nodes only the full build ran are customer operations'; their own times
    extra = set(runs["with"][0]["nodes"]) - set(runs["without"][0]["nodes"])
    own = {n: statistics.median(r["nodes"][n] for r in runs["with"]) for n in extra}
    models = {n.split(".")[-1]: round(t, 2) for n, t in own.items() if n.startswith("model.")}
    # test.<project>.<name>[.<hash>]: a singular test's id has no hash
    tests = {n.split(".")[2]: round(t, 2) for n, t in own.items() if n.startswith("test.")}
    rec = {
        "date": args.date.isoformat(), "label": args.label, "rounds": args.rounds,
        "mode": "rebuild" if args.landing is None else "new date",
        "at": time.strftime("%Y-%m-%d %H:%M:%S"), "load_avg_after": os.getloadavg()[0],
        "median": med,
        "ratio_wall": med["with"]["wall_s"] / med["without"]["wall_s"],
        "ratio_cpu": med["with"]["cpu_s"] / med["without"]["cpu_s"],
        **{f"ratio_{kind}_{m}": med[kind][f"{m}_s"] / med["without"][f"{m}_s"]
           for kind in ("models", "required") if kind in med for m in ("wall", "cpu")},
        "custops_nodes": len(extra),
        "custops_node_s": round(sum(own.values()), 2),
        "custops_models_s": dict(sorted(models.items(), key=lambda kv: -kv[1])),
        "custops_tests_s": round(sum(tests.values()), 2),
        "custops_slowest_tests_s": dict(sorted(tests.items(), key=lambda kv: -kv[1])[:8]),
    }
    print(json.dumps(rec, ensure_ascii=False, indent=1), flush=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
