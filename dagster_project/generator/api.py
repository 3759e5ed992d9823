"""``generate()``: the synthetic province, one delivery per business date."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from dagster_project import contract
from dagster_project.generator import calendar as cal
from dagster_project.generator import render, writer
from dagster_project.generator.build import build_province
from dagster_project.generator.corrupt import CORRUPT_KINDS, Fault, inject
from dagster_project.generator.daily import step
from dagster_project.generator.model import Province
from dagster_project.generator.scales import SCALES

# The shared test landing: `tiny`, 8 business dates across a year end.
TINY_START = dt.date(2025, 12, 28)
TINY_DAYS = 8


@dataclass(frozen=True)
class DayReport:
    biz_date: str
    folder: Path
    rows: dict[str, int]
    bytes: int
    seconds: float
    fault: Fault | None = None

    def __str__(self) -> str:
        total = sum(self.rows.values())
        s = (f"{self.biz_date}: {total:,} rows, {self.bytes / 1e6:,.1f} MB, "
             f"{self.seconds:.1f} s (DEP_ACCT {self.rows['DEP_ACCT']:,}, "
             f"DEP_TXN {self.rows['DEP_TXN']:,}, LOAN_REPAY {self.rows['LOAN_REPAY']:,})")
        return s + (f"\n  {self.fault}" if self.fault else "")


def generate(out: Path | str, scale: str, start: dt.date | str, days: int, seed: int = 0,
             corrupt: str | None = None,
             progress: Callable[[str], None] | None = None) -> list[DayReport]:
    """Write ``days`` deliveries from ``start`` into ``out/<YYYYMMDD>/``.

    Deterministic: the same arguments give byte-identical files. ``corrupt`` breaks
    the last delivery in one way (see ``CORRUPT_KINDS``).
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    if corrupt is not None and corrupt not in CORRUPT_KINDS:
        raise ValueError(f"unknown corrupt kind {corrupt!r}; choose one of "
                         f"{', '.join(CORRUPT_KINDS)}")
    if days < 1:
        raise ValueError("days must be at least 1")
    first = dt.date.fromisoformat(start) if isinstance(start, str) else start
    out = Path(out)
    t0 = time.perf_counter()
    p = build_province(SCALES[scale], seed, cal.day_no(first) - 1)
    render.prime_cust_cache(p)
    if progress:
        progress(f"built {scale} province (seed {seed}): {len(p.custs):,} customers, "
                 f"{len(p.deps):,} deposit accounts, {len(p.loans):,} loans "
                 f"in {time.perf_counter() - t0:.1f} s")
    reports = []
    for i in range(days):
        d = first + dt.timedelta(days=i)
        fault_kind = corrupt if i == days - 1 else None
        reports.append(write_day(p, d, out, fault_kind))
        if progress:
            progress(str(reports[-1]))
    return reports


def write_day(p: Province, d: dt.date, out: Path, corrupt: str | None = None) -> DayReport:
    t0 = time.perf_counter()
    ev = step(p, d)
    biz = d.strftime(contract.DATE_FORMAT)
    folder = out / biz
    writer.begin_folder(folder, biz)

    def one(item: tuple[str, render.Chunks]) -> writer.FileStat:
        table, chunks = item
        path = folder / contract.data_file_name(table, biz)
        stat = writer.write_data_file(path, table, chunks, table in render.NON_ASCII)
        writer.write_control(folder, stat, biz)
        return stat

    # two tables at a time: rendering is mostly polars/numpy/hashlib work that releases
    # the GIL, so both cores of the target machine stay busy
    with ThreadPoolExecutor(2) as pool:
        stats = list(pool.map(one, render.tables(p, ev, cal.day_no(d)).items()))
    fault = inject(folder, biz, corrupt) if corrupt else None
    if corrupt != "no-done":
        writer.write_done(folder, biz, [s.name for s in stats])
    return DayReport(biz, folder, {s.table: s.rows for s in stats}, sum(s.size for s in stats),
                     time.perf_counter() - t0, fault)


def generate_tiny(out: Path | str, days: int = TINY_DAYS, seed: int = 0,
                  corrupt: str | None = None, start: dt.date = TINY_START) -> Path:
    """The test landing (tiny, from 2025-12-28 across the year end) written into ``out``."""
    generate(out, "tiny", start, days, seed=seed, corrupt=corrupt)
    return Path(out)
