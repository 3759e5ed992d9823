"""Find complete deliveries in the landing folder and read their DONE and control files.

t1-extract-spec §1: one folder per business date ``YYYYMMDD``; it is complete only once
``DONE_<date>.flg`` exists, and DONE lists the data files. §2: each data file has a
control file ``<file>|<rows>|<bytes>|<md5>``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from dagster_project import contract
from dagster_project.ingest.errors import Violation

_DATE_DIR = re.compile(r"^\d{8}$")
_MD5 = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class Control:
    """One control file (§2)."""

    table: str
    data_file: str
    rows: int
    size: int
    md5: str


@dataclass(frozen=True)
class Delivery:
    """A complete delivery folder (DONE present)."""

    biz_date: date
    folder: Path

    @property
    def ymd(self) -> str:
        return self.biz_date.strftime(contract.DATE_FORMAT)

    @property
    def partition_key(self) -> str:
        return self.biz_date.isoformat()

    @property
    def done_path(self) -> Path:
        return self.folder / contract.done_file_name(self.ymd)

    def data_path(self, table: str) -> Path:
        return self.folder / contract.data_file_name(table, self.ymd)

    def control_path(self, table: str) -> Path:
        return self.folder / contract.control_file_name(table, self.ymd)

    def fingerprint(self) -> str:
        """Identity of the delivery's content: DONE plus every control line.

        The control files carry each data file's MD5 (§2), so two deliveries of a date
        with the same fingerprint are identical (a re-delivery that changes nothing,
        §1) unless one is corrupt, which validation catches.
        """
        h = hashlib.md5()
        for path in [self.done_path, *(self.control_path(t) for t in contract.TABLE_NAMES)]:
            h.update(path.name.encode())
            # never follow a link or read a pipe here: read_manifest refuses them next
            plain = path.is_file() and not path.is_symlink() and not self.folder.is_symlink()
            h.update(path.read_bytes() if plain else b"<missing or not a regular file>")
        return h.hexdigest()


def parse_ymd(text: str) -> date | None:
    try:
        return datetime.strptime(text, contract.DATE_FORMAT).date()
    except ValueError:
        return None


def find_deliveries(landing: Path) -> list[Delivery]:
    """Complete deliveries in business-date order; folders without DONE are ignored (§1)."""
    if not landing.is_dir():
        return []
    found = []
    for folder in landing.iterdir():
        if not folder.is_dir() or not _DATE_DIR.match(folder.name):
            continue
        d = parse_ymd(folder.name)
        if d is None:
            continue
        delivery = Delivery(d, folder)
        if delivery.done_path.is_file():
            found.append(delivery)
    return sorted(found, key=lambda x: x.biz_date)


def placement_violations(delivery: Delivery) -> list[Violation]:
    """Refuse a delivery whose folder or files are not plain files of that folder.

    A symlink (or a FIFO, a device, a sub-folder) in the landing area would make the
    loader read whatever it points to: another date's file, a file of the host, or a
    pipe that never ends. §1 delivers files into the date's folder, so anything else is
    refused before a byte is read, naming the file and the rule.
    """
    folder = delivery.folder
    if folder.is_symlink():
        return [Violation(folder.name, "symlink", "the delivery folder is a symbolic link; "
                          "deliveries must be real folders of the landing area (§1)")]
    out: list[Violation] = []
    real_folder = folder.resolve()
    names = [delivery.done_path.name]
    for table in contract.TABLE_NAMES:
        names += [delivery.data_path(table).name, delivery.control_path(table).name]
    for name in names:
        path = folder / name
        if path.is_symlink():
            out.append(Violation(name, "symlink", "is a symbolic link; data, control and "
                                 "DONE files must be regular files inside the delivery "
                                 "folder (§1)"))
        elif path.exists() and (not path.is_file() or path.resolve().parent != real_folder):
            out.append(Violation(name, "not-a-file", "is not a regular file inside the "
                                 "delivery folder (§1)"))
    return out


def read_manifest(delivery: Delivery) -> tuple[dict[str, Control], list[Violation]]:
    """Check DONE and the control files; return the parsed controls and any violations."""
    violations = placement_violations(delivery)
    if violations:
        return {}, violations
    ymd = delivery.ymd
    expected = {contract.data_file_name(t, ymd): t for t in contract.TABLE_NAMES}

    done_name = delivery.done_path.name
    listed = [ln.strip() for ln in delivery.done_path.read_bytes().decode("ascii", "replace")
              .split("\n")]
    listed = [ln for ln in listed if ln]
    seen: set[str] = set()
    for i, name in enumerate(listed, start=1):
        if name not in expected:
            violations.append(Violation(done_name, "done-list", f"lists a file that is not a "
                                        f"data file of {ymd}: {name[:60]!r}", line=i))
        elif name in seen:
            violations.append(Violation(done_name, "done-list", f"lists {name} twice", line=i))
        seen.add(name)
    for name in expected:
        if name not in seen:
            violations.append(Violation(done_name, "done-list",
                                        f"does not list {name} (§1: DONE lists the data files)"))

    controls: dict[str, Control] = {}
    for table, data_name in ((t, contract.data_file_name(t, ymd)) for t in contract.TABLE_NAMES):
        flg = delivery.control_path(table)
        if not delivery.data_path(table).is_file():
            violations.append(Violation(data_name, "missing-file", "data file is missing"))
        if not flg.is_file():
            violations.append(Violation(flg.name, "missing-file", "control file is missing"))
            continue
        control, problem = _parse_control(flg.read_bytes(), table, data_name)
        if problem:
            violations.append(Violation(flg.name, "control-format", problem, line=1))
        else:
            assert control is not None
            controls[table] = control
    return controls, violations


def _parse_control(raw: bytes, table: str, data_name: str) -> tuple[Control | None, str]:
    """§2: one ASCII line ``<data file name>|<row count>|<byte size>|<md5 lower-case hex>``."""
    if not raw.isascii():
        return None, "control file is not ASCII"
    lines = [ln for ln in raw.decode("ascii").split("\n") if ln.strip()]
    if len(lines) != 1:
        return None, f"expected one line, found {len(lines)}"
    parts = lines[0].strip().split("|")
    if len(parts) != 4:
        return None, f"expected 4 fields <file>|<rows>|<bytes>|<md5>, found {len(parts)}"
    name, rows, size, md5 = parts
    if name != data_name:
        return None, f"names {name[:60]!r}, expected {data_name}"
    if not rows.isdigit() or not size.isdigit():
        return None, "row count and byte size must be non-negative integers"
    if not _MD5.match(md5):
        return None, "md5 must be 32 lower-case hex digits"
    return Control(table, data_name, int(rows), int(size), md5), ""
