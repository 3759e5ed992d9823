"""`--corrupt KIND` breaks the last delivery in exactly the one described way.

An independent checker restates the spec's rules (§1 DONE, §2 control file, encoding
and field count, §4 code lists and primary keys, §5 账账核对) and lists every
violation it finds; each fault must produce exactly its own rule, nothing else.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dagster_project import contract
from dagster_project.cli import app
from dagster_project.generator import CORRUPT_KINDS, generate_tiny


def violations(folder: Path) -> set[str]:
    biz = folder.name
    found: set[str] = set()
    if not (folder / f"DONE_{biz}.flg").exists():
        found.add("no-done")
    rows_of: dict[str, list[list[str]]] = {}
    for t in contract.TABLES:
        data = (folder / f"{t.name}_{biz}.dat").read_bytes()
        _, rows, size, md5 = (folder / f"{t.name}_{biz}.flg").read_text().strip().split("|")
        if md5 != hashlib.md5(data).hexdigest():
            found.add("md5")
        if int(rows) != data.count(b"\n"):
            found.add("row-count")
        if int(size) != len(data):
            found.add("size")
        parsed = []
        for raw in data.split(b"\n")[:-1]:
            try:
                line = raw.decode("gb18030")
            except UnicodeDecodeError:
                found.add("encoding")
                continue
            fields = line.split("|")
            if len(fields) != len(t.columns):
                found.add("field-count")
                continue
            parsed.append(fields)
        rows_of[t.name] = parsed
        for i, col in enumerate(t.columns):
            if col.codes and any(r[i] not in col.codes and r[i] != "" for r in parsed):
                found.add("unknown-code")
        pk = [t.column_names.index(k) for k in t.primary_key]
        if max(Counter(tuple(r[i] for i in pk) for r in parsed).values(), default=1) > 1:
            found.add("duplicate-key")
    legal = {r[0]: r[4] for r in rows_of["ORG_INFO"]}
    sums: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for r in rows_of["DEP_ACCT"]:
        sums[legal[r[2]], r[4], r[5]] += Decimal(r[6])
    for r in rows_of["LOAN_DUEBILL"]:
        if r[21] == "1":
            sums[legal[r[3]], r[5], r[6]] += Decimal(r[8])
    gl = {(r[0], r[1], r[2]): Decimal(r[3]) for r in rows_of["GL_BAL"]}
    if any(gl.get(k, Decimal(0)) != v for k, v in sums.items()) or any(
            v != sums.get(k, Decimal(0)) for k, v in gl.items()):
        found.add("gl-mismatch")
    return found


@pytest.fixture(scope="module")
def corrupted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = {}
    for kind in CORRUPT_KINDS:
        root = generate_tiny(tmp_path_factory.mktemp(kind), days=2, corrupt=kind)
        out[kind] = root
    return out


def test_the_kinds_are_the_eight_of_the_brief() -> None:
    assert set(CORRUPT_KINDS) == {"md5", "row-count", "field-count", "encoding", "unknown-code",
                                  "duplicate-key", "gl-mismatch", "no-done"}


@pytest.mark.parametrize("kind", CORRUPT_KINDS)
def test_only_the_last_date_is_broken_and_only_one_way(kind: str,
                                                       corrupted: dict[str, Path]) -> None:
    first, last = sorted(p for p in corrupted[kind].iterdir())
    assert violations(first) == set()
    assert violations(last) == {kind}


def test_unknown_kind_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown corrupt kind 'bitrot'"):
        generate_tiny(tmp_path, days=1, corrupt="bitrot")
    assert not any(tmp_path.iterdir())


def test_cli_prints_the_broken_file_and_line(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["generate", "--out", str(tmp_path), "--scale", "tiny",
                                   "--start", "2026-03-30", "--days", "2",
                                   "--corrupt", "field-count"])
    assert res.exit_code == 0, res.output
    assert "20260330:" in res.output and "20260331:" in res.output  # progress per day
    assert "VISIT_LOG_20260331.dat line 2" in res.output
    line2 = (tmp_path / "20260331" / "VISIT_LOG_20260331.dat").read_bytes().split(b"\n")[1]
    assert line2.count(b"|") == len(contract.TABLES_BY_NAME["VISIT_LOG"].columns)


def test_cli_names_a_bad_option(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["generate", "--out", str(tmp_path), "--scale", "county",
                                   "--start", "2026-03-30"])
    assert res.exit_code == 2
    assert "unknown scale 'county'" in res.output
    assert not any(tmp_path.iterdir())
