"""Fault injection (`--corrupt KIND`): break the last delivery of a run in exactly one
way, so ingestion's rejections can be tested against every rule of the spec.

Each fault edits one written file in place and, unless the fault *is* the control
file, rewrites that file's control line so only the intended rule is broken.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from dagster_project import contract

CORRUPT_KINDS: tuple[str, ...] = (
    "md5", "row-count", "field-count", "encoding", "unknown-code", "duplicate-key",
    "gl-mismatch", "no-done",
)


@dataclass(frozen=True)
class Fault:
    kind: str
    file: str  # file name inside the delivery folder
    line: int | None  # 1-based line number of the data file, if a line was changed
    detail: str

    def __str__(self) -> str:
        where = f"{self.file}" + (f" line {self.line}" if self.line else "")
        return f"corrupt={self.kind}: {where}: {self.detail}"


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")[:-1]


def _rewrite(folder: Path, table: str, biz: str, lines: list[bytes]) -> None:
    data = b"".join(line + b"\n" for line in lines)
    (folder / contract.data_file_name(table, biz)).write_bytes(data)
    line = contract.control_line(contract.data_file_name(table, biz), len(lines), len(data),
                                 hashlib.md5(data).hexdigest())
    (folder / contract.control_file_name(table, biz)).write_bytes((line + "\n").encode())


def _edit_field(folder: Path, table: str, biz: str, column: str, line_no: int,
                new: bytes) -> bytes:
    path = folder / contract.data_file_name(table, biz)
    lines = _lines(path)
    if len(lines) < line_no:
        raise ValueError(f"{path.name} has only {len(lines)} rows; cannot corrupt line {line_no}")
    fields = lines[line_no - 1].split(b"|")
    i = contract.TABLES_BY_NAME[table].column_names.index(column)
    old = fields[i]
    fields[i] = new
    lines[line_no - 1] = b"|".join(fields)
    _rewrite(folder, table, biz, lines)
    return old


def inject(folder: Path, biz: str, kind: str) -> Fault:
    """Apply fault ``kind`` to the (complete, not yet DONE) delivery in ``folder``."""
    if kind not in CORRUPT_KINDS:
        raise ValueError(f"unknown corrupt kind {kind!r}; choose one of {', '.join(CORRUPT_KINDS)}")
    if kind in ("md5", "row-count"):
        table = "DEP_ACCT"
        flg = folder / contract.control_file_name(table, biz)
        name, rows, size, md5 = flg.read_text(encoding="ascii").strip().split("|")
        if kind == "md5":
            bad = ("0" if md5[0] != "0" else "1") + md5[1:]
            flg.write_text(contract.control_line(name, int(rows), int(size), bad) + "\n")
            return Fault(kind, flg.name, None, f"control md5 {bad} but the data's md5 is {md5}")
        flg.write_text(contract.control_line(name, int(rows) + 1, int(size), md5) + "\n")
        return Fault(kind, flg.name, None, f"control says {int(rows) + 1} rows, data has {rows}")
    if kind == "field-count":
        table, line_no = "VISIT_LOG", 2  # no balance depends on it: only the count breaks
        path = folder / contract.data_file_name(table, biz)
        lines = _lines(path)
        lines[line_no - 1] += b"|1"
        _rewrite(folder, table, biz, lines)
        n = len(contract.TABLES_BY_NAME[table].columns)
        return Fault(kind, path.name, line_no, f"{n + 1} fields instead of {n}")
    if kind == "encoding":
        table, line_no = "CUST_INFO", 3
        _edit_field(folder, table, biz, "cust_name", line_no, b"\xff\xff")
        # the old name is PII: never echo it (architecture.md: no PII in logs)
        return Fault(kind, contract.data_file_name(table, biz), line_no,
                     "cust_name replaced by bytes 0xFF 0xFF (not GB18030)")
    if kind == "unknown-code":
        table, line_no = "LOAN_DUEBILL", 1
        _edit_field(folder, table, biz, "guarantee_type", line_no, b"9")
        return Fault(kind, contract.data_file_name(table, biz), line_no,
                     "guarantee_type 9 is not in the code list (1-4)")
    if kind == "duplicate-key":
        table = "DEP_TXN"
        path = folder / contract.data_file_name(table, biz)
        first = _lines(path)[0].split(b"|")[0]
        _edit_field(folder, table, biz, "txn_id", 2, first)
        return Fault(kind, path.name, 2, f"txn_id {first.decode()} repeats line 1's key")
    if kind == "gl-mismatch":
        table, line_no = "GL_BAL", 1
        path = folder / contract.data_file_name(table, biz)
        bal = _lines(path)[0].split(b"|")[3].decode()
        units, cents = bal.split(".")
        new = f"{int(units) + 100}.{cents}"
        _edit_field(folder, table, biz, "balance", line_no, new.encode())
        return Fault(kind, path.name, line_no, f"GL balance {bal} → {new} (off by 100.00)")
    # no-done: the caller skips DONE
    return Fault(kind, contract.done_file_name(biz), None, "DONE file not written")
