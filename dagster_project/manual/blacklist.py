"""The bank's blacklist file (黑名单补录, customer-ops.md §6): read, check, store.

A file is CSV (UTF-8 with or without BOM, or GB18030) or XLSX (its first sheet) with
the header row 证件号码, 姓名, 列入原因, 列入日期, 移出日期 (any order) and one entry per
row. :func:`read_blacklist` checks the whole file and raises :class:`BlacklistRejected`
with every violation it found, or returns the entries; :func:`store_blacklist` writes
them as one new version in one transaction. Nothing is stored from a bad file.

What the checks accept, beyond the contract's words:

* cells are taken without surrounding blanks; an ID's lower-case x (or lower-case letter
  of a credit code) is upper-cased (``ids.normalise``);
* rows whose cells are all empty are skipped (spreadsheets leave them behind), and a
  header cell that is empty is ignored when its column holds nothing;
* in an XLSX, a date may be a date cell (no time of day) as well as YYYY-MM-DD text; an
  ID in a number cell is rejected, since Excel keeps only 15 digits of a number;
* 证件号码, 姓名, 列入原因 and 列入日期 must have a value; 移出日期 may be empty.

A violation names the file, the row as a spreadsheet or a text editor numbers it (the
header is row 1) and the rule. It never quotes a cell: a cell may hold an ID number or a
name (a file without its header row has them where the column names should be).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from dagster_project.ingest.pii import hmac_hex
from dagster_project.manual import ids
from dagster_project.manual.rebuild import (
    PRECREDIT_SELECT,
    Interval,
    first_built_date_from,
    first_changed_date,
)
from dagster_project.manual.schema import ensure_manual

Say = Callable[[str], None]

ID_COL, NAME_COL, REASON_COL, LISTED_COL, REMOVED_COL = COLUMNS = (
    "证件号码", "姓名", "列入原因", "列入日期", "移出日期")
REQUIRED = (ID_COL, NAME_COL, REASON_COL, LISTED_COL)
SUFFIXES = (".csv", ".xlsx")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MAX_LISTED = 20  # violations in a one-line summary (the report lists every one)


@dataclass(frozen=True)
class Violation:
    """One broken rule: the row (None: the file as a whole), the column and the rule."""

    row: int | None
    column: str | None
    rule: str

    def text(self, file_name: str) -> str:
        where = [file_name] + ([f"row {self.row}"] if self.row is not None else [])
        where += [self.column] if self.column else []
        return ": ".join([*where, self.rule])


class BlacklistRejected(Exception):
    """The file breaks customer-ops.md §6; nothing of it was stored."""

    def __init__(self, file_name: str, violations: Sequence[Violation]) -> None:
        self.file_name = file_name
        self.violations = list(violations)
        self.moved_to: Path | None = None  # where the manual/ folder put the file
        super().__init__(self.summary())

    def lines(self) -> list[str]:
        return [v.text(self.file_name) for v in self.violations]

    def summary(self) -> str:
        head = (f"blacklist file {self.file_name} rejected, nothing stored: "
                f"{len(self.violations)} violation(s)")
        shown = self.lines()[:_MAX_LISTED]
        more = len(self.violations) - len(shown)
        return "\n".join([head, *shown] + ([f"... and {more} more"] if more > 0 else []))

    def report(self) -> str:
        """Every violation, one a line (the ``.errors.txt`` beside a rejected file)."""
        return "\n".join([f"blacklist file {self.file_name} rejected, nothing stored "
                          f"({len(self.violations)} violation(s)):", *self.lines()]) + "\n"


@dataclass(frozen=True)
class Entry:
    """One row of a good file. The ID and the name are PII: kept out of repr (a log or
    a traceback never shows them) and only ever stored hashed or masked."""

    row: int
    id_no: str = field(repr=False)  # normalised (ids.normalise)
    name: str = field(repr=False)
    reason: str
    listed_date: date
    removed_date: date | None

    @property
    def name_masked(self) -> str:
        """The extract's mask (ingest.pii.mask_name_sql): first character and ``*``."""
        return self.name[:1] + "*"


@dataclass(frozen=True)
class BlacklistFile:
    file_name: str
    sha256: str
    encoding: str  # utf-8, utf-8-sig, gb18030 or xlsx
    entries: tuple[Entry, ...]


# --- reading ----------------------------------------------------------------------------

Cell = str | int | float | bool | date | datetime | None
Row = tuple[int, list[Cell]]  # (row number as the user sees it, cells)


def _column_letter(i: int) -> str:
    """0 → A, 25 → Z, 26 → AA: how a spreadsheet names the column."""
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _decode(data: bytes) -> tuple[str, str] | Violation:
    """UTF-8 (a BOM allowed) or else GB18030, each strictly; neither is a violation."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8):].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as e:
            return Violation(_line_of(data, e.start + 3), None,
                             "wrong encoding: a UTF-8 BOM, but bytes that are not UTF-8")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e8:
        try:
            return data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError as eg:
            return Violation(_line_of(data, eg.start), None,
                             "wrong encoding: neither UTF-8 (first bad byte on row "
                             f"{_line_of(data, e8.start)}) nor GB18030 (first bad byte on "
                             "this row); save the file as CSV UTF-8 or GB18030")


def _csv_rows(data: bytes) -> tuple[list[Row], str, list[Violation]]:
    decoded = _decode(data)
    if isinstance(decoded, Violation):
        return [], "", [decoded]
    text, encoding = decoded
    text = text.removeprefix("\ufeff")  # a GB18030 BOM decodes to U+FEFF
    if "\x00" in text:  # UTF-16 text of ASCII alone is valid UTF-8, with a NUL every 2 bytes
        return [], encoding, [Violation(text[:text.index("\x00")].count("\n") + 1, None,
                                        "wrong encoding: NUL bytes (UTF-16?); save the file "
                                        "as CSV UTF-8 or GB18030")]
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[Row] = []
    start = 1
    try:
        for fields in reader:
            rows.append((start, list(fields)))
            start = reader.line_num + 1
    except csv.Error:  # an unclosed quote runs to the end of the file
        return rows, encoding, [Violation(start, None, "not valid CSV from this row on "
                                                       "(a quote not closed?)")]
    return rows, encoding, []


def _xlsx_rows(path: Path) -> tuple[list[Row], list[Violation]]:
    import openpyxl  # only XLSX needs it
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(path, read_only=False, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as e:
        return [], [Violation(None, None, f"not a readable XLSX workbook ({type(e).__name__})")]
    try:
        ws = wb.worksheets[0]
        rows = [(n, list(values)) for n, values in
                enumerate(ws.iter_rows(min_row=1, values_only=True), start=1)]
    finally:
        wb.close()
    return rows, []


def _blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _header(rows: list[Row]) -> tuple[dict[str, int], list[Violation]]:
    """Column name → position, from row 1; the header's violations (never quoting a cell
    that is not one of COLUMNS)."""
    n, cells = rows[0]
    positions: dict[str, int] = {}
    out: list[Violation] = []
    for i, cell in enumerate(cells):
        name = cell.strip() if isinstance(cell, str) else cell
        letter = _column_letter(i)
        if _blank(name):
            if any(i < len(c) and not _blank(c[i]) for _, c in rows[1:]):
                out.append(Violation(n, None, f"column {letter} has values but no name"))
        elif name not in COLUMNS:
            out.append(Violation(n, None, f"column {letter} is not one of "
                                          f"{', '.join(COLUMNS)} (unknown column)"))
        elif name in positions:
            out.append(Violation(n, None, f"column {letter} repeats column "
                                          f"{_column_letter(positions[name])} ({name})"))
        else:
            positions[name] = i
    for name in COLUMNS:
        if name not in positions:
            out.append(Violation(n, None, f"no column {name} (missing column)"))
    return positions, out


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _date(cell: Cell) -> date | str | None:
    """A date, None when empty, or why the cell is not a YYYY-MM-DD date."""
    if _blank(cell):
        return None
    if isinstance(cell, datetime):
        if cell.time() != datetime.min.time():
            return "a date cell with a time of day; want YYYY-MM-DD"
        return cell.date()
    if isinstance(cell, date):
        return cell
    text = _text(cell)
    if not _DATE.fullmatch(text):
        return "not a date in the form YYYY-MM-DD"
    try:
        return date.fromisoformat(text)
    except ValueError:
        return "not a valid calendar date (YYYY-MM-DD)"


def _entries(rows: list[Row], cols: dict[str, int]) -> tuple[list[Entry], list[Violation]]:
    width = len(rows[0][1])
    entries: list[Entry] = []
    out: list[Violation] = []
    first_row_of: dict[str, int] = {}
    for n, cells in rows[1:]:
        if all(_blank(c) for c in cells):
            continue  # an empty line or a spreadsheet's formatted but empty row
        if len(cells) < width or any(not _blank(c) for c in cells[width:]):
            out.append(Violation(n, None, f"{len(cells)} fields, the header has {width}"))
            continue
        bad = len(out)
        for col in REQUIRED:
            if _blank(cells[cols[col]]):
                out.append(Violation(n, col, "is empty"))
        raw_id = cells[cols[ID_COL]]
        id_no = ""
        if isinstance(raw_id, int | float) and not isinstance(raw_id, bool):
            out.append(Violation(n, ID_COL, "is a number cell (Excel keeps 15 digits of a "
                                            "number): enter the ID as text"))
        elif not _blank(raw_id):
            id_no = ids.normalise(_text(raw_id))
            problem = ids.id_problem(id_no)
            if problem:
                out.append(Violation(n, ID_COL, problem))
            elif id_no in first_row_of:
                out.append(Violation(n, ID_COL,
                                     f"duplicate: the same ID as row {first_row_of[id_no]}"))
            else:
                first_row_of[id_no] = n
        listed = _date(cells[cols[LISTED_COL]])
        removed = _date(cells[cols[REMOVED_COL]])
        for col, value in ((LISTED_COL, listed), (REMOVED_COL, removed)):
            if isinstance(value, str):
                out.append(Violation(n, col, value))
        if isinstance(listed, date) and isinstance(removed, date) and removed <= listed:
            when = "the same day" if removed == listed else "earlier"
            out.append(Violation(n, REMOVED_COL, f"must be after {LISTED_COL} ({when})"))
        if len(out) == bad and isinstance(listed, date):
            entries.append(Entry(n, id_no, _text(cells[cols[NAME_COL]]),
                                 _text(cells[cols[REASON_COL]]), listed,
                                 removed if isinstance(removed, date) else None))
    if not entries and not out:
        out.append(Violation(None, None, "no data rows (an empty blacklist is not a file "
                                         "to load)"))
    return entries, out


def read_blacklist(path: Path, data: bytes | None = None) -> BlacklistFile:
    """The file's entries, or :class:`BlacklistRejected` with every violation found.

    A header that is wrong is reported alone: without it the rows cannot be read."""
    name = path.name
    data = path.read_bytes() if data is None else data
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise BlacklistRejected(name, [Violation(None, None, f"not a CSV or XLSX file "
                                                             f"({suffix or 'no suffix'})")])
    if not data:
        raise BlacklistRejected(name, [Violation(None, None, "the file is empty")])
    if suffix == ".xlsx":
        rows, violations = _xlsx_rows(path)
        encoding = "xlsx"
    else:
        rows, encoding, violations = _csv_rows(data)
    if violations:
        raise BlacklistRejected(name, violations)
    while rows and all(_blank(c) for c in rows[-1][1]):
        rows.pop()
    if not rows:
        raise BlacklistRejected(name, [Violation(None, None, "the file is empty")])
    cols, violations = _header(rows)
    if violations:
        raise BlacklistRejected(name, violations)
    entries, violations = _entries(rows, cols)
    if violations:
        raise BlacklistRejected(name, violations)
    return BlacklistFile(name, hashlib.sha256(data).hexdigest(), encoding, tuple(entries))


# --- storing ----------------------------------------------------------------------------

@dataclass(frozen=True)
class StoreResult:
    """What loading a good file did."""

    file_name: str
    entries: int
    version_id: int | None  # None: identical to the version in force, nothing stored
    in_force_id: int | None  # the version in force afterwards
    changes_from: date | None = None  # first date whose blacklist in force changed
    rebuild_from: date | None = None  # first published date whose pre-credit must rebuild
    built_dates_changed: bool = False  # some built date ≥ changes_from exists

    @property
    def stored(self) -> bool:
        return self.version_id is not None


def _current(con: duckdb.DuckDBPyConnection) -> tuple[int | None, str | None]:
    row = con.execute("SELECT version_id, file_sha256 FROM manual.blacklist_version "
                      "ORDER BY version_id DESC LIMIT 1").fetchone()
    return (row[0], row[1]) if row else (None, None)


def in_force_intervals(con: duckdb.DuckDBPyConnection) -> dict[str, Interval]:
    """Hash → (列入日期, 移出日期) of the version in force."""
    return {h: (a, b) for h, a, b in con.execute(
        "SELECT id_no_hash, listed_date, removed_date FROM manual.blacklist_current"
    ).fetchall()}


def store_blacklist(con: duckdb.DuckDBPyConnection, bl: BlacklistFile, pii_key: bytes,
                    loaded_by: str, loaded_at: datetime,
                    can_rebuild: Callable[[], bool] = lambda: True) -> StoreResult:
    """One transaction: a new ``manual.blacklist_version`` (max + 1) and its entries, or
    nothing when the file is the version in force byte for byte. ``can_rebuild`` says
    whether the dbt project has anything to rebuild (asked only when a built date
    changes); when it has, the version records the first built date to rebuild from."""
    ensure_manual(con)
    con.execute("BEGIN TRANSACTION")
    try:
        current_id, current_sha = _current(con)
        if current_sha == bl.sha256:
            con.execute("ROLLBACK")
            return StoreResult(bl.file_name, len(bl.entries), None, current_id)
        new = {hmac_hex(pii_key, e.id_no): e for e in bl.entries}
        changes_from = first_changed_date(
            in_force_intervals(con),
            {h: (e.listed_date, e.removed_date) for h, e in new.items()})
        built = first_built_date_from(con, changes_from) if changes_from else None
        rebuild_from = built if built is not None and can_rebuild() else None
        version_id = (current_id or 0) + 1
        con.execute("INSERT INTO manual.blacklist_version (version_id, loaded_at, loaded_by, "
                    "file_name, file_sha256, entry_cnt, changes_from, rebuild_from) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [version_id, loaded_at, loaded_by, bl.file_name, bl.sha256,
                     len(bl.entries), changes_from, rebuild_from])
        table = pa.table({
            "version_id": pa.array([version_id] * len(new), pa.int32()),
            "line_no": pa.array([e.row for e in new.values()], pa.int32()),
            "id_no_hash": pa.array(list(new), pa.string()),
            "name_masked": pa.array([e.name_masked for e in new.values()], pa.string()),
            "reason": pa.array([e.reason for e in new.values()], pa.string()),
            "listed_date": pa.array([e.listed_date for e in new.values()], pa.date32()),
            "removed_date": pa.array([e.removed_date for e in new.values()], pa.date32()),
        })
        con.register("_blacklist_new", table)
        con.execute("INSERT INTO manual.blacklist_entry BY NAME SELECT * FROM _blacklist_new")
        con.unregister("_blacklist_new")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return StoreResult(bl.file_name, len(bl.entries), version_id, version_id, changes_from,
                       rebuild_from, built is not None)


@dataclass(frozen=True)
class VersionRow:
    version_id: int
    loaded_at: datetime
    loaded_by: str
    file_name: str
    entry_cnt: int
    changes_from: date | None
    rebuild_from: date | None
    in_force: bool


def list_versions(con: duckdb.DuckDBPyConnection) -> list[VersionRow]:
    """Every version, oldest first; the one in force is the latest (read-only is fine)."""
    try:
        rows = con.execute(
            "SELECT version_id, loaded_at, loaded_by, file_name, entry_cnt, changes_from, "
            "rebuild_from, version_id = max(version_id) OVER () "
            "FROM manual.blacklist_version ORDER BY version_id").fetchall()
    except (duckdb.CatalogException, duckdb.BinderException):
        return []  # no manual schema yet (or from before changes_from): nothing loaded
    return [VersionRow(*r) for r in rows]


def iter_lines(result: StoreResult) -> Iterator[str]:
    """What loading a file did, as the CLI and the Dagster log say it."""
    if not result.stored:
        yield (f"{result.file_name}: identical to version {result.in_force_id}, the one in "
               "force: nothing stored")
        return
    yield (f"{result.file_name}: stored as version {result.version_id} "
           f"({result.entries} entries), now in force")
    if result.changes_from is None:
        yield "the entries in force on every date are the same as before: nothing to rebuild"
    elif not result.built_dates_changed:
        yield (f"changes the blacklist in force from {result.changes_from}; no date from then "
               "on is published yet: nothing to rebuild (later builds use this version)")
    elif result.rebuild_from is None:
        yield (f"changes the blacklist in force from {result.changes_from}, but there is "
               "nothing to rebuild: the dbt project has no model matching "
               f"`{PRECREDIT_SELECT}` (no pre-credit is built yet)")
    else:
        yield (f"changes the blacklist in force from {result.changes_from}: pre-credit "
               f"is rebuilt from {result.rebuild_from} on")
