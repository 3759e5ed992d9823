"""Ingest one business date: check, validate, then load atomically or quarantine.

Order of checks, cheapest first, nothing written before all pass:
1. DONE and control files (§1, §2);
2. each data file streamed once: MD5, byte size, row count, GB18030, CR (§2);
3. each file staged into DuckDB temp tables: field count, NOT NULL, lengths, types,
   code lists, record rules, primary keys (§2, §4, §5);
4. references between the files and GL reconciliation (§4, §5);
5. the load transaction, with the blocking data-quality checks before COMMIT.
A failure at any step moves the folder to quarantine with a report, logs the
rejection to ``meta.load_log`` and raises DeliveryRejected.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date, timedelta
from multiprocessing import get_context
from pathlib import Path

import duckdb

from dagster_project import contract
from dagster_project.ingest import meta
from dagster_project.ingest.delivery import Control, Delivery, find_deliveries, read_manifest
from dagster_project.ingest.errors import DeliveryRejected, Violation
from dagster_project.ingest.load import ensure_raw, load_date
from dagster_project.ingest.plan import wait_reason
from dagster_project.ingest.quarantine import quarantine
from dagster_project.ingest.rules import cross_violations, table_violations
from dagster_project.ingest.stage import drop_staging, stage_table
from dagster_project.ingest.transcode import FileScan, scan_file

Say = Callable[[str], None]
BeforeCommit = Callable[[duckdb.DuckDBPyConnection], None]


class DeliveryWaits(Exception):
    """The date cannot load before its predecessor (indicators.md: no gaps)."""


@dataclass
class IngestResult:
    biz_date: date
    status: str  # "loaded" or "unchanged"
    rows: dict[str, int] = field(default_factory=dict)
    bytes: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class IngestOptions:
    quarantine_dir: Path
    tmp_dir: Path
    pii_key: bytes
    run_id: str | None = None
    pause_s: float = 0.0
    parallel_min_bytes: int = 64 << 20
    workers: int = 2


def ingest_delivery(con: duckdb.DuckDBPyConnection, delivery: Delivery, opts: IngestOptions,
                    before_commit: BeforeCommit | None = None,
                    say: Say = print) -> IngestResult:
    """Validate and load ``delivery``; raise DeliveryRejected (after quarantine) if bad."""
    t0 = time.perf_counter()
    ensure_raw(con)
    fingerprint = delivery.fingerprint()
    loaded = meta.loaded_fingerprints(con)
    if loaded.get(delivery.biz_date) == fingerprint:
        say(f"{delivery.biz_date}: identical to the loaded delivery, nothing to do")
        return IngestResult(delivery.biz_date, "unchanged")
    # back-filling before the first loaded date needs the days in between delivered
    pending = {x.biz_date for x in find_deliveries(delivery.folder.parent)} - set(loaded)
    reason = wait_reason(delivery.biz_date, set(loaded), pending)
    if reason:
        raise DeliveryWaits(f"{delivery.biz_date}: {reason}")

    tmp = opts.tmp_dir / f"ingest-{delivery.ymd}-{time.time_ns()}"
    tmp.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    scans: dict[str, FileScan] = {}
    controls: dict[str, Control] = {}
    try:
        controls, violations = read_manifest(delivery)
        if not violations:
            t = time.perf_counter()
            violations = _scan_stage_check(con, delivery, controls, scans, tmp, opts,
                                           _known_date(delivery.biz_date, set(loaded)))
            timings["scan_stage_validate"] = time.perf_counter() - t
        if not violations:
            t = time.perf_counter()
            violations = cross_violations(con, delivery.ymd)
            timings["references_gl"] = time.perf_counter() - t
        if violations:
            raise DeliveryRejected(delivery.ymd, violations)
        rows = {tb: controls[tb].rows for tb in contract.TABLE_NAMES}
        elapsed = time.perf_counter() - t0
        log_rows = [meta.LogRow(delivery.biz_date, controls[tb].data_file, tb, scans[tb].md5,
                                rows[tb], scans[tb].size, elapsed, "loaded")
                    for tb in contract.TABLE_NAMES]
        t = time.perf_counter()
        load_date(con, delivery.biz_date, fingerprint, log_rows, opts.pii_key, opts.run_id,
                  before_commit=before_commit, pause_s=opts.pause_s)
        timings["load"] = time.perf_counter() - t
    except DeliveryRejected as rejected:
        _reject(con, delivery, rejected, scans, controls, opts, time.perf_counter() - t0)
        raise
    finally:
        drop_staging(con, list(contract.TABLES))
        shutil.rmtree(tmp, ignore_errors=True)
    total_bytes = sum(s.size for s in scans.values())
    return IngestResult(delivery.biz_date, "loaded", rows, total_bytes,
                        time.perf_counter() - t0, timings)


def _known_date(d: date, loaded: set[date]) -> date | None:
    """The loaded date whose lines a full table's lines are compared with: ``d`` itself
    on a re-delivery, else the day before on a normal night; none for the first date
    or a back-fill (every line is then split and checked). Every version valid on it
    is also valid on ``d`` (ingest/versions.py), which the load relies on."""
    if d in loaded:
        return d
    return d - timedelta(days=1) if d - timedelta(days=1) in loaded else None


def _scan_stage_check(con: duckdb.DuckDBPyConnection, delivery: Delivery,
                      controls: dict[str, Control], scans: dict[str, FileScan], tmp: Path,
                      opts: IngestOptions, known: date | None) -> list[Violation]:
    """Stream every data file once (MD5, size, count, decode), then stage and check it.

    Big deliveries scan in worker processes, biggest file first, and each file is staged
    and checked in DuckDB as soon as its scan is back, while the workers go on with the
    next files: the two kinds of work overlap on the cores. Files whose bytes disagree
    with their control file are reported alone (§2: nothing else about them can be
    trusted), so once one is found the remaining files are only scanned.
    """
    paths = {t: delivery.data_path(t) for t in contract.TABLE_NAMES}
    file_bad: list[Violation] = []
    record_bad: list[Violation] = []

    def take(table: str, scan: FileScan) -> None:
        scans[table] = scan
        bad = _file_violations(scan, controls[table])
        file_bad.extend(bad)
        if not file_bad:
            record_bad.extend(_stage_and_check(con, contract.TABLES_BY_NAME[table], scan,
                                               delivery.biz_date, known))

    total = sum(p.stat().st_size for p in paths.values())
    if total < opts.parallel_min_bytes or opts.workers < 2:
        for table, path in paths.items():
            take(table, scan_file(path, tmp))
    else:
        order = sorted(paths, key=lambda t: -paths[t].stat().st_size)  # biggest first
        with ProcessPoolExecutor(opts.workers, mp_context=get_context("spawn")) as pool:
            futures = {pool.submit(scan_file, paths[t], tmp): t for t in order}
            for future in as_completed(futures):
                take(futures[future], future.result())
    # report in the contract's table order, whatever order the scans finished in
    rank = {name: i for i, name in enumerate(contract.data_file_name(t, delivery.ymd)
                                             for t in contract.TABLE_NAMES)}
    return sorted(file_bad or record_bad, key=lambda v: rank.get(v.file, len(rank)))


def _file_violations(scan: FileScan, c: Control) -> list[Violation]:
    """§2: a data file whose row count, size or MD5 disagrees with its control is corrupt."""
    out: list[Violation] = []
    name = c.data_file
    if scan.size != c.size:
        out.append(Violation(name, "byte-size", f"file has {scan.size} bytes, control "
                             f"file says {c.size} (§2)"))
    if scan.md5 != c.md5:
        out.append(Violation(name, "md5", f"MD5 of the file differs from {c.data_file[:-4]}"
                             ".flg (§2)"))
    if scan.records != c.rows:
        out.append(Violation(name, "row-count", f"file has {scan.records} records, "
                             f"control file says {c.rows} (§2)"))
    out.extend(scan.violations)
    return out


def _stage_and_check(con: duckdb.DuckDBPyConnection, table: contract.Table, scan: FileScan,
                     biz_date: date, known: date | None) -> list[Violation]:
    """Stage one file (ingest/stage.py) and check its records (§2, §4)."""
    name = scan.path.name
    try:
        n = stage_table(con, table, scan, known)
    except duckdb.Error:
        # DuckDB's message may quote the line, which may hold PII: say only where
        return [Violation(name, "unreadable", "the file cannot be read as lines of text "
                          "(a line is over 16 MiB)")]
    out: list[Violation] = []
    if n != scan.records:
        out.append(Violation(name, "field-count", "empty line (no fields)",
                             line=n + 1, count=scan.records - n))
    out.extend(table_violations(con, table, name, biz_date))
    return out


def _reject(con: duckdb.DuckDBPyConnection, delivery: Delivery, rejected: DeliveryRejected,
            scans: dict[str, FileScan], controls: dict[str, Control], opts: IngestOptions,
            elapsed: float) -> None:
    by_file: dict[str, list[str]] = {}
    for v in rejected.violations:
        by_file.setdefault(v.file, []).append(str(v))
    rows = []
    for table in contract.TABLE_NAMES:
        name = contract.data_file_name(table, delivery.ymd)
        c, s = controls.get(table), scans.get(table)
        reason = "; ".join(by_file.pop(name, [])) or "delivery rejected (other files)"
        rows.append(meta.LogRow(delivery.biz_date, name, table, s.md5 if s else None,
                                c.rows if c else None, s.size if s else None, elapsed,
                                "rejected", reason[:4000]))
    for name, msgs in by_file.items():  # DONE and control files
        rows.append(meta.LogRow(delivery.biz_date, name, None, None, None, None, elapsed,
                                "rejected", "; ".join(msgs)[:4000]))
    target = quarantine(delivery.folder, opts.quarantine_dir, rejected)
    rejected.quarantine_path = target  # type: ignore[attr-defined]
    meta.write_log(con, rows, opts.run_id)
