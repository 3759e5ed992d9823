"""Sizes of the synthetic province (`puhui generate --scale`).

Each scale fixes how many legal entities, outlets, managers, customers, accounts,
loans and policies exist on the first business date; daily flows are rates
relative to these stocks, so every scale behaves alike, only bigger.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    legal_entities: int
    branches_per_le: int  # level-3 支行 per 法人行社
    outlets: int  # level-4 网点 in the whole province
    managers: int
    grids_per_outlet: int
    customers: int
    deposit_accounts: int
    loans: int
    policies: int
    chunk_rows: int = 1_000_000  # rows rendered per write step (bounds memory)


SCALES: dict[str, Scale] = {
    s.name: s
    for s in (
        # tiny renders in chunks of 128 rows so tests exercise chunking and the caches
        Scale("tiny", 2, 2, 8, 24, 3, 400, 800, 160, 240, chunk_rows=128),
        Scale("small", 4, 3, 36, 180, 6, 20_000, 40_000, 4_000, 6_000),
        Scale("bank", 6, 6, 180, 2_000, 15, 1_000_000, 2_000_000, 200_000, 100_000),
        Scale("province", 60, 8, 2_000, 20_000, 20, 10_000_000, 20_000_000, 2_000_000,
              1_000_000, chunk_rows=500_000),
    )
}
