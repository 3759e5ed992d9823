"""SQL for the §2 field formats: how to recognise a well-formed value and how to cast it.

Values arrive as VARCHAR (empty field = NULL, §2). Validation uses the ``bad_*``
predicates, loading uses ``cast_sql`` on values that passed them.
"""

from __future__ import annotations

import re

from dagster_project.contract import DECIMAL_SCALE, SQL_TYPES, Column


def decimal_shape(col: Column) -> tuple[int, int]:
    """(precision, scale) of a decimal column, from contract.SQL_TYPES."""
    m = re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", SQL_TYPES[col.type])
    assert m, col
    p, s = int(m.group(1)), int(m.group(2))
    assert s == DECIMAL_SCALE[col.type]
    return p, s


def format_rule(col: Column, v: str) -> tuple[str, str] | None:
    """(predicate true when the non-NULL value ``v`` is malformed, description)."""
    t = col.type
    # GLOB and length instead of regular expressions: same strictness (only the digits
    # §2 allows; DuckDB's own casts would accept ' 12', '+12' or '1_000'), cheaper.
    if t == "int":
        return (f"length({v}) > 11 OR {v} GLOB '*[!0-9-]*' OR try_cast({v} AS INTEGER) IS NULL",
                "not an integer")
    if t == "date":
        return (f"length({v}) <> 8 OR {v} GLOB '*[!0-9]*' "
                f"OR try_strptime({v}, '%Y%m%d') IS NULL", "not a date YYYYMMDD")
    if t == "timestamp":
        return (f"length({v}) <> 14 OR {v} GLOB '*[!0-9]*' "
                f"OR try_strptime({v}, '%Y%m%d%H%M%S') IS NULL",
                "not a timestamp YYYYMMDDHHMMSS")
    if t in DECIMAL_SCALE:
        p, s = decimal_shape(col)
        # §2: plain decimal, '.' separator, at most s places, no thousands separators;
        # at most p - s integer digits so the value fits the raw column.
        return (f"NOT regexp_full_match({v}, '-?[0-9]{{1,{p - s}}}(\\.[0-9]{{1,{s}}})?')",
                f"not a decimal with at most {p - s} integer digits and {s} places")
    return None


def cast_sql(col: Column, v: str) -> str:
    """Typed value of a validated VARCHAR ``v``."""
    t = col.type
    if t == "date":
        return f"strptime({v}, '%Y%m%d')::DATE"
    if t == "timestamp":
        return f"strptime({v}, '%Y%m%d%H%M%S')"
    if t in ("varchar", "char"):
        return v
    return f"CAST({v} AS {SQL_TYPES[t]})"


def try_cast_sql(col: Column, v: str) -> str:
    """Typed value or NULL, for row rules evaluated alongside the format rules."""
    t = col.type
    if t == "date":
        return f"try_strptime({v}, '%Y%m%d')::DATE"
    if t == "timestamp":
        return f"try_strptime({v}, '%Y%m%d%H%M%S')"
    if t in ("varchar", "char"):
        return v
    return f"TRY_CAST({v} AS {SQL_TYPES[t]})"
