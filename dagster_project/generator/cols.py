"""A column store for one kind of entity: equal-length numpy arrays (or polars Series
for text that never changes), appended to and filtered as a unit."""

from __future__ import annotations

import numpy as np
import polars as pl

Column = np.ndarray | pl.Series


# Columns that hold money (cents), identifiers or timestamps stay int64; every other
# integer column (day numbers, indices, codes, rates) fits in int32, which halves the
# state of a `province` (20M accounts, 10M customers) in memory.
WIDE = frozenset({"id", "contract", "bal", "disb_amt", "od_prin", "od_int", "amt", "premium",
                  "activity", "ts", "prin", "int", "acct_id", "loan_id", "phone", "pushed"})


def _narrow(name: str, v: Column) -> Column:
    if isinstance(v, np.ndarray) and v.dtype == np.int64 and name not in WIDE:
        return v.astype(np.int32)
    return v


class Cols:
    def __init__(self, **columns: Column) -> None:
        self.c: dict[str, Column] = {k: _narrow(k, v) for k, v in columns.items()}
        lens = {len(v) for v in self.c.values()}
        if len(lens) > 1:
            sizes = {k: len(v) for k, v in self.c.items()}
            raise ValueError(f"columns of unequal length: {sizes}")

    def __len__(self) -> int:
        return len(next(iter(self.c.values()))) if self.c else 0

    def __getitem__(self, name: str) -> np.ndarray:
        return self.c[name]  # type: ignore[return-value]

    def __setitem__(self, name: str, value: Column) -> None:
        self.c[name] = _narrow(name, value)

    def text(self, name: str) -> pl.Series:
        return self.c[name]  # type: ignore[return-value]

    def filter(self, keep: np.ndarray) -> Cols:
        keep_s = pl.Series(keep)
        return Cols(**{k: (v.filter(keep_s) if isinstance(v, pl.Series) else v[keep])
                       for k, v in self.c.items()})

    def append(self, other: Cols) -> None:
        if set(other.c) != set(self.c):
            raise ValueError(f"column sets differ: {sorted(set(other.c) ^ set(self.c))}")
        for k, v in self.c.items():
            o = other.c[k]
            if isinstance(v, pl.Series):
                self.c[k] = v.append(o.cast(v.dtype) if isinstance(o, pl.Series) else pl.Series(o))
            else:
                self.c[k] = np.concatenate([v, np.asarray(o, dtype=v.dtype)])
