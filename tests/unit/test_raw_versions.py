"""The versioned raw layer (拉链表, ingest/versions.py) on hand-written deliveries.

Each full table keeps one row per version of a key; ``raw.<table>`` gives a loaded
date's snapshot. Two things are checked on every scenario:
- the versions themselves, written out by hand (valid_from, valid_to, value);
- every date's snapshot equals what the same delivery gives when it is loaded alone
  into an empty warehouse, where it cannot depend on the version logic at all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date
from pathlib import Path

import duckdb

from dagster_project import contract
from dagster_project.ingest.delivery import Delivery
from dagster_project.ingest.sample import Rows, sample_tables, write_delivery
from dagster_project.ingest.service import IngestOptions, ingest_delivery
from dagster_project.ingest.versions import OPEN_END

KEY = b"test-key"
D10, D11, D12, D13, D14 = (date(2025, 1, day) for day in range(10, 15))
FULL = [t for t in contract.TABLES if t.kind == "full"]

# G002's name by date; None = absent from that day's GRID file
G002 = {D10: "甲村", D11: "乙村", D12: None, D13: "乙村", D14: "乙村"}
# A001's balance (and the GL line that must equal it, §5) by date
A001 = {D10: "1000.50", D11: "1000.50", D12: "2000.50", D13: "1000.50", D14: "1000.50"}


def _rows(d: date, g002: str | None, a001: str) -> Rows:
    rows = sample_tables(d)
    if g002 is not None:
        rows["GRID"].append(["G002", g002, "W001", "M001", "330102", "80", "120.2", "30.2"])
    rows["DEP_ACCT"][0][6] = a001
    rows["GL_BAL"][0][3] = a001
    return rows


def _load(con: duckdb.DuckDBPyConnection, landing: Path, d: date, rows: Rows,
          tmp: Path) -> None:
    write_delivery(landing, d, rows)
    opts = IngestOptions(quarantine_dir=tmp / "quarantine", tmp_dir=tmp / "tmp", pii_key=KEY)
    ingest_delivery(con, Delivery(d, landing / d.strftime("%Y%m%d")), opts,
                    say=lambda _: None)


def _snapshot(con: duckdb.DuckDBPyConnection, d: date) -> dict[str, list[tuple]]:
    return {t.name: con.execute(f"SELECT * EXCLUDE (biz_date) FROM raw.{t.raw_table} "
                                "WHERE biz_date = ? ORDER BY ALL", [d]).fetchall()
            for t in FULL}


def _alone(tmp: Path, d: date, rows: Rows) -> dict[str, list[tuple]]:
    """The snapshot of ``rows`` loaded alone into an empty warehouse."""
    home = tmp / f"alone-{d:%Y%m%d}-{time.time_ns()}"
    home.mkdir()
    con = duckdb.connect(str(home / "w.duckdb"))
    _load(con, home / "landing", d, rows, home)
    snap = _snapshot(con, d)
    con.close()
    return snap


def _grid(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("SELECT valid_from, valid_to, grid_name FROM raw.grid_versions "
                       "WHERE grid_no = 'G002' ORDER BY valid_from").fetchall()


def _acct(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("SELECT valid_from, valid_to, balance::VARCHAR FROM raw.dep_acct_versions "
                       "WHERE acct_no = 'A001' ORDER BY valid_from").fetchall()


def _all_versions(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    return {t.name: con.execute(f"SELECT * FROM raw.{t.raw_table}_versions ORDER BY ALL"
                                ).fetchall() for t in FULL}


def _load_week(tmp: Path) -> duckdb.DuckDBPyConnection:
    tmp.mkdir(exist_ok=True)
    con = duckdb.connect(str(tmp / "w.duckdb"))
    for d in G002:
        _load(con, tmp / "landing", d, _rows(d, G002[d], A001[d]), tmp)
    return con


def test_a_key_that_changes_disappears_and_comes_back(tmp_path: Path) -> None:
    con = _load_week(tmp_path)
    # by hand: 甲村 on the 10th, 乙村 from the 11th, closed on the 12th, back on the 13th
    assert _grid(con) == [(D10, D11, "甲村"), (D11, D12, "乙村"), (D13, OPEN_END, "乙村")]
    assert _acct(con) == [(D10, D12, "1000.50"), (D12, D13, "2000.50"),
                          (D13, OPEN_END, "1000.50")]
    # a key that never changed has one version, and G001 is the only grid besides G002
    assert con.execute("SELECT valid_from, valid_to FROM raw.grid_versions "
                       "WHERE grid_no = 'G001'").fetchall() == [(D10, OPEN_END)]
    # 23 keys in the sample's full tables, 21 never change: 21 versions, plus 3 each
    # for A001, its GL line and G002; the five snapshots hold 5 × 23 + 4 rows (G002 on
    # four days)
    versions = sum(len(v) for v in _all_versions(con).values())
    snapshots = sum(len(rows) for d in G002 for rows in _snapshot(con, d).values())
    assert (versions, snapshots) == (21 + 3 * 3, 5 * 23 + 4)
    for d in G002:
        assert _snapshot(con, d) == _alone(tmp_path, d, _rows(d, G002[d], A001[d])), d


def test_a_redelivery_in_mid_month_rebuilds_only_its_date(tmp_path: Path) -> None:
    con = _load_week(tmp_path)
    before = _all_versions(con)
    # the 12th re-delivered corrected: G002 was there after all, A001 did not move
    fixed = _rows(D12, "乙村", "1000.50")
    _load(con, tmp_path / "landing", D12, fixed, tmp_path)
    # the versions around the 12th are joined back into one each
    assert _grid(con) == [(D10, D11, "甲村"), (D11, OPEN_END, "乙村")]
    assert _acct(con) == [(D10, OPEN_END, "1000.50")]
    assert _snapshot(con, D12) == _alone(tmp_path, D12, fixed)
    for d in (D10, D11, D13, D14):
        assert _snapshot(con, d) == _alone(tmp_path, d, _rows(d, G002[d], A001[d])), d
    # the later dates must be rebuilt downstream (indicators of D read earlier dates)
    assert con.execute("SELECT biz_date FROM meta.delivery WHERE needs_rebuild ORDER BY 1"
                       ).fetchall() == [(d,) for d in G002]
    # re-delivering the original again restores exactly the first history
    _load(con, tmp_path / "landing", D12, _rows(D12, None, "2000.50"), tmp_path)
    assert _all_versions(con) == before


def test_redelivering_the_last_date_and_back_filling_give_the_same_versions(
        tmp_path: Path) -> None:
    sequential = _all_versions(_load_week(tmp_path / "in-order"))
    other = tmp_path / "back-filled"
    other.mkdir()
    con = duckdb.connect(str(other / "w.duckdb"))
    # the 13th and 14th first, then the 12th, 11th and 10th back-filled (plan.py allows
    # a date just before the first loaded one)
    for d in (D13, D14, D12, D11, D10):
        _load(con, other / "landing", d, _rows(d, G002[d], A001[d]), other)
    # and the last date re-delivered wrong, then right
    _load(con, other / "landing", D14, _rows(D14, "丙村", "1000.50"), other)
    assert _grid(con)[-1] == (D14, OPEN_END, "丙村")
    _load(con, other / "landing", D14, _rows(D14, G002[D14], A001[D14]), other)
    assert _all_versions(con) == sequential


KILLED = textwrap.dedent("""
    import sys
    from datetime import date
    from pathlib import Path
    import duckdb
    from dagster_project.ingest.delivery import Delivery
    from dagster_project.ingest.service import IngestOptions, ingest_delivery
    home = Path(sys.argv[1])
    con = duckdb.connect(str(home / "w.duckdb"))
    opts = IngestOptions(quarantine_dir=home / "quarantine", tmp_dir=home / "tmp",
                         pii_key=b"test-key", pause_s=60)
    ingest_delivery(con, Delivery(date(2025, 1, 12), home / "landing" / "20250112"), opts)
""")


def test_a_kill_during_the_version_write_leaves_the_raw_layer_as_it_was(
        tmp_path: Path) -> None:
    con = _load_week(tmp_path)
    before = _all_versions(con)
    delivered = con.execute("SELECT * FROM meta.delivery ORDER BY 1").fetchall()
    con.close()
    write_delivery(tmp_path / "landing", D12, _rows(D12, "乙村", "1000.50"))
    proc = subprocess.Popen([sys.executable, "-c", KILLED, str(tmp_path)],
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    assert proc.stderr is not None
    for line in proc.stderr:  # the versions are written, COMMIT not yet reached
        if "load transaction open" in line:
            break
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    assert _all_versions(con) == before
    assert con.execute("SELECT * FROM meta.delivery ORDER BY 1").fetchall() == delivered
    # and the same re-delivery, run to the end, then lands
    _load(con, tmp_path / "landing", D12, _rows(D12, "乙村", "1000.50"), tmp_path)
    assert _grid(con) == [(D10, D11, "甲村"), (D11, OPEN_END, "乙村")]


def test_migrate_raw_turns_dated_snapshots_into_the_same_versions(tmp_path: Path) -> None:
    from dagster_project.ingest.load import OldRawLayout, ensure_raw
    from dagster_project.ingest.migrate import migrate_raw

    con = _load_week(tmp_path)
    snapshots = {d: _snapshot(con, d) for d in G002}
    # the layout before versions: one base table per full table, every date's rows
    for t in FULL:
        con.execute(f"CREATE TABLE raw._old AS SELECT * FROM raw.{t.raw_table}")
        con.execute(f"DROP VIEW raw.{t.raw_table}")
        con.execute(f"DROP TABLE raw.{t.raw_table}_versions")
        con.execute(f"ALTER TABLE raw._old RENAME TO {t.raw_table}")
    try:
        ensure_raw(con)
        raise AssertionError("a night must not run on the old layout")
    except OldRawLayout as e:
        assert "puhui migrate-raw" in str(e)
    said: list[str] = []
    counts = migrate_raw(con, say=said.append)
    assert counts["GRID"] == (9, 4) and counts["DEP_ACCT"] == (15, 5)
    assert "raw.grid: 9 dated rows → 4 versions" in said
    assert _grid(con) == [(D10, D11, "甲村"), (D11, D12, "乙村"), (D13, OPEN_END, "乙村")]
    assert {d: _snapshot(con, d) for d in G002} == snapshots
    # the next night loads on the new layout
    d15 = date(2025, 1, 15)
    _load(con, tmp_path / "landing", d15, _rows(d15, "乙村", "1000.50"), tmp_path)
    assert _snapshot(con, d15) == _alone(tmp_path, d15, _rows(d15, "乙村", "1000.50"))
    assert migrate_raw(con, say=said.append) == {}
