"""What values each indicator can take by its definition in indicators.md.

The audit's range rule reads this table. Every bound follows from the
definition, not from what the data happen to look like, so a breach is a bug
in the build or the delivery, never "an unusual day":

- **shares of a whole** (numerator ⊆ denominator) lie in [0, 1];
- **sums of balances and counts** are ≥ 0 and never NULL ("a sum or count over
  no records is 0", General rules; DEP_ACCT/LOAN_DUEBILL balance ≥ 0 per
  t1-extract-spec §4). Daily averages are averages over the loaded days up to
  and including D, so never over an empty set: ≥ 0 and never NULL too;
- **changes** (*_CHG) can be negative and are NULL when the period start is
  not loaded, so they get no bound (INCL_CUST_YTD_CHG must still be whole);
- **growth rates** X(D)/X(start) − 1 with X ≥ 0 are ≥ −1.

Deliberately *not* bounded by 1 (issue 7 asks to justify):

- NPL_DEVIATION = OVD90_BAL / NPL_BAL: a loan 90+ days overdue may still be
  classified 正常/关注, so OVD90 is not a subset of NPL and the ratio exceeds 1
  exactly when the bank under-classifies — the thing regulators watch it for.
- GRID_CREDIT_COVERAGE: the numerator counts *customers* (a household can hold
  several personal and 个体工商户 customers, and credit held "anywhere"), the
  denominator GRID.household_cnt is a survey figure of *households*; different
  units from different sources, so coverage above 1 is possible in good data.
  Both are still ≥ 0.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bound:
    lo: float | None = None
    hi: float | None = None
    integral: bool = False  # counts and flags are whole numbers
    not_null: bool = False  # defined on every key (empty sums/counts are 0)


_SHARE = Bound(0.0, 1.0)  # numerator ⊆ denominator
_AMOUNT = Bound(0.0, None, not_null=True)  # Σ of balances ≥ 0, 0 on an empty set
_COUNT = Bound(0.0, None, integral=True, not_null=True)
_GROWTH = Bound(-1.0, None)  # X(D)/X(start) − 1 with X ≥ 0

BOUNDS: dict[str, Bound] = {
    # Deposits 存款
    "DEP_BAL": _AMOUNT,
    "DEP_BAL_PERSONAL": _AMOUNT,
    "DEP_BAL_CORP": _AMOUNT,
    "DEP_BAL_DEMAND": _AMOUNT,
    "DEP_DAVG_MTD": _AMOUNT,
    "DEP_DAVG_YTD": _AMOUNT,
    # Loans and asset quality 贷款与资产质量
    "LOAN_BAL": _AMOUNT,
    "LOAN_GROWTH_YTD": _GROWTH,
    "SM_BAL": _AMOUNT,
    "NPL_BAL": _AMOUNT,
    "NPL_RATIO": _SHARE,
    "NPL_RATIO_YTD_CHG": Bound(-1.0, 1.0),  # difference of two shares
    "OVD_BAL": _AMOUNT,
    "OVD_RATIO": _SHARE,
    "OVD90_BAL": _AMOUNT,
    "NPL_DEVIATION": Bound(0.0, None),  # not ≤ 1: see module docstring
    # Inclusive finance 普惠金融
    "INCL_BAL": _AMOUNT,
    "INCL_CUST_CNT": _COUNT,
    "INCL_SHARE": _SHARE,
    "INCL_GROWTH_YTD": _GROWTH,
    "INCL_CUST_YTD_CHG": Bound(integral=True),
    "INCL_NPL_RATIO": _SHARE,  # NPL over inclusive loans ⊆ inclusive loans
    "TWO_INCREASE_MET": Bound(0.0, 1.0, integral=True),  # 1, 0 or NULL
    "CREDIT_CUST_CNT": _COUNT,
    "CREDIT_USE_RATE": _SHARE,
    "GRID_HH_CNT": _COUNT,
    "GRID_CREDIT_COVERAGE": Bound(0.0, None),  # not ≤ 1: see module docstring
    # Customer-manager visits 走访
    "VISIT_CNT_D": _COUNT,
    "VISIT_CNT_MTD": _COUNT,
    "VISIT_CNT_YTD": _COUNT,
    "VISIT_CUST_MTD": _COUNT,
    "VISIT_PER_MGR_MTD": Bound(0.0, None),  # NULL with no managers in the subtree
    "VISIT_CONV_MTD": _SHARE,
    "VISIT_SATIS_MTD": Bound(1.0, 5.0),  # average of 1–5 ratings (spec §4 VISIT_LOG)
    # Bancassurance policy lapse 保单失效
    "POLICY_INFORCE_CNT": _COUNT,
    "POLICY_GRACE_CNT": _COUNT,
    "POLICY_LAPSED_CNT": _COUNT,
    "LAPSE_RATE": _SHARE,
    "LAPSE_RATE_PREM": _SHARE,
    "LAPSE_FOLLOWUP_RATE": _SHARE,
    "RENEWAL_DUE_30D": _AMOUNT,
}
# Unbounded on purpose (changes against a period start, may be negative or NULL):
# DEP_BAL_YTD_CHG, DEP_BAL_MTD_CHG, LOAN_BAL_YTD_CHG, INCL_BAL_YTD_CHG.
UNBOUNDED = frozenset({"DEP_BAL_YTD_CHG", "DEP_BAL_MTD_CHG", "LOAN_BAL_YTD_CHG",
                       "INCL_BAL_YTD_CHG"})

# Float sums and quotients can land a hair outside an exact bound (Σ in a
# different order); this slack keeps rounding noise from blocking a morning.
EPSILON = 1e-9


def bounds_values_sql() -> str:
    """``VALUES`` rows (indicator_code, lo, hi, is_integral, is_not_null) for a CTE.

    Built from the constants above only (no user input), hence inlined.
    """

    def num(x: float | None) -> str:
        return "NULL::DOUBLE" if x is None else f"{float(x)!r}::DOUBLE"

    rows = [
        f"('{code}', {num(b.lo)}, {num(b.hi)}, {str(b.integral).upper()}, "
        f"{str(b.not_null).upper()})"
        for code, b in BOUNDS.items()
    ]
    return ",\n        ".join(rows)
