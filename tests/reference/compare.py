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


# --------------------------------------------------------------------------------------
# Tables keyed by rows (customer-ops.md): one row per key, column by column
# --------------------------------------------------------------------------------------

MONEY_REL_TOL = 1e-6  # DOUBLE money: equal within 1e-6 relative ...
MONEY_ABS_TOL = 1e-6  # ... or a millionth of a yuan (noise around 0)


def relation_exists(database: Path, schema: str, name: str) -> bool:
    """Whether ``schema.name`` (table or view) exists in a DuckDB file (read-only)."""
    import duckdb

    if not database.exists():
        return False
    with duckdb.connect(str(database), read_only=True) as con:
        hit = con.execute("select count(*) from information_schema.tables "
                          "where table_schema = ? and table_name = ?", [schema, name]).fetchone()
    return bool(hit and hit[0])


def read_relation(database: Path, schema: str, name: str) -> pl.DataFrame:
    """Every row and column of ``schema.name`` of a DuckDB file (read-only)."""
    import duckdb

    with duckdb.connect(str(database), read_only=True) as con:
        return con.sql(f'select * from "{schema}"."{name}"').pl()


def _as_reference_type(published: pl.DataFrame, reference: pl.DataFrame,
                       money: tuple[str, ...]) -> tuple[pl.DataFrame, list[str]]:
    """The published columns cast to the reference's types (money to DOUBLE); the names
    of columns that could not be cast (they are compared as text)."""
    failed = []
    casts = []
    for name, dtype in reference.schema.items():
        if name not in published.columns:
            continue
        target = pl.Float64 if name in money else dtype
        col = pl.col(name)
        if isinstance(published.schema[name], pl.Datetime) and target == pl.Date:
            col = col.dt.date()
        try:
            published.select(col.cast(target, strict=True))
            casts.append(col.cast(target).alias(name))
        except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError):
            failed.append(name)
            casts.append(col.cast(pl.String).alias(name))
    return published.with_columns(casts), failed


def diff_tables(published: pl.DataFrame, reference: pl.DataFrame, keys: tuple[str, ...],
                money: tuple[str, ...] = ()) -> pl.DataFrame:
    """Every disagreement between two versions of one table: a column missing or not
    in the reference, a duplicated key, a row on one side only, a value that differs
    (NULL equals only NULL; ``money`` columns, DOUBLE, within 1e-6 relative, every
    other column exactly). One row per finding: the key columns (as text), column,
    published, reference (as text) and problem."""
    findings: list[pl.DataFrame] = []
    schema = {**{k: pl.String for k in keys}, "column": pl.String, "published": pl.String,
              "reference": pl.String, "problem": pl.String}

    def add(frame: pl.DataFrame, column: str | pl.Expr, problem: str,
            pub: pl.Expr | None = None, ref: pl.Expr | None = None) -> None:
        none = pl.lit(None, pl.String)
        findings.append(frame.select(
            *[pl.col(k).cast(pl.String) for k in keys],
            (pl.lit(column) if isinstance(column, str) else column).alias("column"),
            (none if pub is None else pub.cast(pl.String)).alias("published"),
            (none if ref is None else ref.cast(pl.String)).alias("reference"),
            pl.lit(problem).alias("problem")))

    one = pl.DataFrame({k: [None] for k in keys}, schema={k: pl.String for k in keys})
    for name in reference.columns:
        if name not in published.columns:
            add(one, name, "column missing from published")
    for name in published.columns:
        if name not in reference.columns:
            add(one, name, "column not in the contract")
    if any(k not in published.columns for k in keys):
        return pl.concat(findings, how="vertical_relaxed").cast(schema)  # type: ignore[arg-type]
    pub, failed = _as_reference_type(
        published.select([c for c in reference.columns if c in published.columns]),
        reference, money)
    for name in failed:
        add(one, name, f"published type {published.schema[name]} is not "
                       f"{reference.schema[name]}")
    ref = reference.cast({n: pl.String for n in failed}) if failed else reference
    for side, frame in (("published", pub), ("reference", ref)):
        dup = frame.group_by(keys).len().filter(pl.col("len") > 1)
        if dup.height:
            add(dup, "", f"duplicate key in {side}")
    pub, ref = pub.unique(keys, keep="first"), ref.unique(keys, keep="first")
    values = [c for c in ref.columns if c not in keys and c in pub.columns]
    joined = pub.with_columns(pl.lit(True).alias("_in_pub")).join(
        ref.with_columns(pl.lit(True).alias("_in_ref")), on=list(keys), how="full",
        coalesce=True, nulls_equal=True, suffix="_ref")
    add(joined.filter(pl.col("_in_ref").is_null()), "", "row not in the reference")
    add(joined.filter(pl.col("_in_pub").is_null()), "", "row missing from published")
    both = joined.filter(pl.col("_in_pub") & pl.col("_in_ref"))
    for name in values:
        a, b = pl.col(name), pl.col(f"{name}_ref")
        if name in money and name not in failed:
            tol = pl.max_horizontal(pl.lit(MONEY_ABS_TOL),
                                    MONEY_REL_TOL * pl.max_horizontal(a.abs(), b.abs()))
            same = (a.is_null() & b.is_null()) | ((a - b).abs() <= tol).fill_null(False)
        else:
            same = a.eq_missing(b)
        add(both.filter(~same), name, "value differs", a, b)
    if not findings:
        return pl.DataFrame(schema=schema)
    return pl.concat(findings, how="vertical_relaxed").cast(schema)  # type: ignore[arg-type]


def describe_table(findings: pl.DataFrame, keys: tuple[str, ...], limit: int = 40) -> str:
    """A readable report of ``diff_tables``: counts per column and problem, then the
    first rows."""
    if findings.height == 0:
        return "no differences"
    summary = findings.group_by("column", "problem").len().sort("len", descending=True)
    lines = [f"{findings.height} differences; by column and problem:"]
    lines += [f"  {r['column'] or '(row)':16} {r['problem']}: {r['len']}"
              for r in summary.iter_rows(named=True)]
    null_keys = findings.filter(pl.col("problem").str.starts_with("row ")
                                & pl.any_horizontal(pl.col(k).is_null() for k in keys))
    if null_keys.height:
        lines.append(f"  ({null_keys.height} of the one-sided rows have a NULL key part: "
                     "NULL and '' are different keys)")
    lines.append(f"first {min(limit, findings.height)}:")
    for r in findings.head(limit).iter_rows(named=True):
        key = " ".join(f"{k}={r[k]}" for k in keys)
        lines.append(f"  {key} {r['column'] or '(row)'}: published={r['published']!r} "
                     f"reference={r['reference']!r} ({r['problem']})")
    return "\n".join(lines)
