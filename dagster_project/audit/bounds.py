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

# The bounds themselves are in dictionary.yml (field ``bound``), next to each
# indicator's definition; this module says what the named kinds mean.


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
_NAMED = {"amount": _AMOUNT, "count": _COUNT, "share": _SHARE, "growth": _GROWTH}


def _bounds() -> tuple[dict[str, Bound], frozenset[str]]:
    """Each indicator's ``bound`` in dictionary.yml (the one list of codes, issue 13):
    a named kind above, ``none``, or explicit {lo, hi, integral, not_null}."""
    bounds, unbounded = {}, set()
    for code, spec in _bound_specs().items():
        if spec == "none":
            unbounded.add(code)
        elif isinstance(spec, str):
            bounds[code] = _NAMED[spec]
        else:
            bounds[code] = Bound(spec.get("lo"), spec.get("hi"),
                                 bool(spec.get("integral", False)),
                                 bool(spec.get("not_null", False)))
    return bounds, frozenset(unbounded)


def _bound_specs() -> dict[str, object]:
    import yaml

    from dagster_project.indicators import DICTIONARY_PATH

    data = yaml.safe_load(DICTIONARY_PATH.read_text(encoding="utf-8"))
    specs = {e["code"]: e.get("bound") for e in data["indicators"]}
    missing = sorted(c for c, b in specs.items() if b is None)
    if missing:
        raise ValueError(f"dictionary.yml: indicators without a bound: {missing}")
    return specs


# Changes against a period start (may be negative or NULL) are ``bound: none``.
BOUNDS, UNBOUNDED = _bounds()

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
