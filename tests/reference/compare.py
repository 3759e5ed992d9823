"""Run the real pipeline on a landing folder and compare its published store with
the reference implementation row by row.

The comparison follows indicators.md "The published indicator store": the same
row set (one row per business date, key and code; an undefined value is a row
with NULL, never a missing row) and equal values, NULL only where NULL.
"""

from __future__ import annotations

import importlib.util
import math
import os
import subprocess
import sys
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parents[2]
REL_TOL = 1e-6  # values equal within 1e-6 relative
ABS_TOL = 1e-9  # float noise around an exact 0 (e.g. a change of x − x)


def pipeline_missing() -> str | None:
    """Why the real pipeline cannot run yet, or None when it can."""
    if importlib.util.find_spec("dagster_project.pipeline") is None:
        return "dagster_project.pipeline is not importable yet (ingestion not landed)"
    if not (REPO / "dbt" / "dbt_project.yml").exists():
        return "dbt/dbt_project.yml does not exist yet (indicator models not landed)"
    return None


def generator_missing() -> str | None:
    """Why ``puhui generate`` cannot run yet, or None when it can."""
    if importlib.util.find_spec("dagster_project.generator") is None:
        return "dagster_project.generator is not importable yet (generator not landed)"
    return None


def puhui_command() -> list[str]:
    """The ``puhui`` console script of this environment (what ``uv run puhui`` runs)."""
    script = Path(sys.executable).parent / "puhui"
    return [str(script)] if script.exists() else [sys.executable, "-m", "dagster_project.cli"]


def run_puhui(args: list[str], home: Path, timeout: int = 900) -> str:
    """Run ``puhui <args>`` with PUHUI_HOME=home; fail with its output if it fails,
    else return its standard output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUHUI_")}
    env["PUHUI_HOME"] = str(home)
    done = subprocess.run([*puhui_command(), *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout)
    if done.returncode != 0:
        raise AssertionError(
            f"puhui {' '.join(args)} exited {done.returncode}\n--- stdout\n"
            f"{done.stdout[-4000:]}\n--- stderr\n{done.stderr[-4000:]}")
    return done.stdout


def published_store(landing: Path, home: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``puhui run --landing landing`` into a fresh PUHUI_HOME, then its published store."""
    run_puhui(["run", "--landing", str(landing)], home)
    return serving_store(home)


def serving_store(home: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The two store tables of the home's published ``serving.duckdb`` (read-only, as
    Superset reads it)."""
    import duckdb

    with duckdb.connect(str(home / "serving.duckdb"), read_only=True) as con:
        org = con.sql("select biz_date, org_no, indicator_code, value::double as value "
                      "from indicator_value").pl()
        mgr = con.sql("select biz_date, mgr_no, indicator_code, value::double as value "
                      "from mgr_indicator_value").pl()
    return org, mgr


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None  # NULL = NULL, and NULL ≠ any number
    if math.isnan(a) or math.isnan(b):
        return False
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def diff_stores(published: pl.DataFrame, reference: pl.DataFrame, key: str) -> list[dict]:
    """Every row where the two disagree: missing from one side, duplicated, or with a
    different value. Each finding is a dict (biz_date, key, indicator_code,
    published, reference, problem)."""
    cols = ["biz_date", key, "indicator_code"]
    findings: list[dict] = []
    for name, frame in (("published", published), ("reference", reference)):
        dups = frame.group_by(cols).len().filter(pl.col("len") > 1)
        for row in dups.iter_rows(named=True):
            findings.append({**{c: row[c] for c in cols}, "published": None,
                             "reference": None, "problem": f"duplicate key in {name}"})
    pub = published.with_columns(pl.col("biz_date").cast(pl.Date)).unique(cols, keep="first")
    ref = reference.unique(cols, keep="first")
    joined = pub.rename({"value": "published"}).join(
        ref.rename({"value": "reference"}).with_columns(pl.lit(True).alias("_in_ref")),
        on=cols, how="full", coalesce=True).with_columns(
        pl.col("_in_ref").fill_null(False))
    pub_keys = pub.select(cols).with_columns(pl.lit(True).alias("_in_pub"))
    joined = joined.join(pub_keys, on=cols, how="left").with_columns(
        pl.col("_in_pub").fill_null(False))
    for row in joined.sort(cols).iter_rows(named=True):
        problem = None
        if not row["_in_pub"]:
            problem = "row missing from the published store"
        elif not row["_in_ref"]:
            problem = "row not expected (the reference has no such org/manager/code/date)"
        elif not _close(row["published"], row["reference"]):
            problem = "value differs"
        if problem:
            findings.append({**{c: row[c] for c in cols}, "published": row["published"],
                             "reference": row["reference"], "problem": problem})
    return findings


def describe(findings: list[dict], key: str, limit: int = 40) -> str:
    """A readable report: counts per code and problem, then the first rows."""
    if not findings:
        return "no differences"
    frame = pl.DataFrame(findings, infer_schema_length=None)
    summary = frame.group_by("indicator_code", "problem").len().sort(
        "len", descending=True)
    lines = [f"{len(findings)} differing rows; by code and problem:"]
    lines += [f"  {r['indicator_code']:22} {r['problem']}: {r['len']}"
              for r in summary.iter_rows(named=True)]
    lines.append(f"first {min(limit, len(findings))} rows:")
    lines += [f"  {r['biz_date']} {r[key]} {r['indicator_code']}: published="
              f"{r['published']!r} reference={r['reference']!r} ({r['problem']})"
              for r in findings[:limit]]
    return "\n".join(lines)
