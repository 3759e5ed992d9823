"""The province's state between two business dates, and the constants that shape it.

Amounts are integer cents (fen) in the account's currency, rates are percent × 10⁴
(DECIMAL(8,4) without the point), coordinates are degrees × 10⁶, dates are day
numbers (see calendar.py). Exact integers keep GL_BAL equal to the sum of the
accounts (t1-extract-spec §5, 账账核对) with no rounding drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from dagster_project import contract
from dagster_project.generator.cols import Cols
from dagster_project.generator.reference import NamePools
from dagster_project.generator.scales import Scale

CCY = contract.CURRENCIES  # index 0 is CNY
DEP_SUBJ = contract.DEPOSIT_SUBJECTS  # 0 个人活期, 1 个人定期, 2 单位活期, 3 单位定期, 4 保证金
LOAN_SUBJ = contract.LOAN_SUBJECTS  # 0 个人经营, 1 个人消费, 2 单位流贷, 3 单位固贷
DEMAND_SUBJ = np.array([True, False, True, False, True])
# middle rates around the start (CNY per unit, × 10⁶); FX_RATE walks from here
FX_START = np.array([1_000_000, 7_120_000, 7_780_000, 915_000, 47_500], dtype=np.int64)

# Deposit products (prod_cd ≤ 8): demand, time by term (months), margin.
TIME_TERMS = np.array([3, 6, 12, 24, 36, 60])
TIME_TERM_P = np.array([0.10, 0.12, 0.38, 0.15, 0.18, 0.07])
TIME_RATE = np.array([10500, 12500, 13500, 14500, 17500, 18000])  # 1.05 % … 1.80 %

# Loan borrower categories (drive subject, purpose, size, terms and risk).
FARMER, OWNER, INDIV_BIZ, SME, LARGE, CONSUMER = range(6)
LOAN_PROD = ("NH01", "XW01", "GS01", "QY01", "QY02", "XF01")

INSURERS = ("000001", "000002", "000005", "000014", "000028", "000039")


@dataclass
class Orgs:
    org_no: list[str]
    name: list[str]
    level: np.ndarray
    parent: np.ndarray  # index, -1 for level 1
    legal: np.ndarray  # index of the level-2 org, -1 for level 1
    region: np.ndarray  # 6-digit GB/T 2260 code
    status: np.ndarray
    open_date: np.ndarray
    lon: np.ndarray  # county centroid, degrees
    lat: np.ndarray
    county: list[str]  # full county name of the org, e.g. 兰考县

    @property
    def org_no_series(self) -> pl.Series:
        return pl.Series(self.org_no)


@dataclass
class Province:
    scale: Scale
    seed: int
    pools: NamePools
    orgs: Orgs
    outlets: np.ndarray  # org indices of active level-4 outlets
    mgrs: Cols
    grids: Cols
    custs: Cols  # append-only: rows never change once written (render.cust_info caches)
    deps: Cols
    loans: Cols
    limits: Cols
    pols: Cols
    fx: np.ndarray = field(default_factory=lambda: FX_START.copy())
    next_id: dict[str, int] = field(default_factory=dict)
    # outlet → its managers (sorted order, start, count) and outlet → first grid index
    mgr_index: tuple[np.ndarray, np.ndarray, np.ndarray] = ()  # type: ignore[assignment]
    grid_first: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    home_outlet: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    # encoded CUST_INFO chunks of rows that can no longer change (render.cust_info)
    cust_cache: list[tuple[bytes, int]] = field(default_factory=list)

    def take_ids(self, kind: str, n: int) -> np.ndarray:
        start = self.next_id.get(kind, 1)
        self.next_id[kind] = start + n
        return np.arange(start, start + n, dtype=np.int64)


@dataclass
class DayEvents:
    """The incremental tables of one business date (t1-extract-spec §3, incr)."""

    repays: Cols
    txns: Cols
    visits: Cols
