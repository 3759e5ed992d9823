"""Stream a GB18030 data file once: MD5, size, record count, strict decoding to UTF-8.

t1-extract-spec §2: files are GB18030, records end with LF, fields never contain CR
or LF; a NUL byte is no text either and is refused here, since DuckDB would load it.
DuckDB reads UTF-8 only (no non-bundled extensions), so files are transcoded
in big chunks. A file that is pure ASCII is already valid UTF-8 and is read in place,
which is the common case for the big transaction and account files.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from dagster_project import contract
from dagster_project.ingest.errors import Violation

CHUNK = 16 << 20  # 16 MiB: large enough that per-chunk Python overhead is negligible
# Column delimiter for DuckDB's single-column read: any byte that is absent from the file.
# (Fields are split on "|" in SQL afterwards, so the field count of each line is exact.)
_DELIM_CANDIDATES = [bytes([b]) for b in (1, 2, 3, 4, 5, 6, 7, 8, 14, 15, 16, 17, 18, 19, 20,
                                          21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31)]


@dataclass
class FileScan:
    path: Path  # the landed data file
    md5: str = ""
    size: int = 0
    records: int = 0
    utf8_path: Path | None = None  # file DuckDB should read (the original if ASCII)
    delimiter: str = "\x01"
    violations: list[Violation] = field(default_factory=list)


def scan_file(src: Path, tmp_dir: Path, chunk_size: int = CHUNK) -> FileScan:
    """Hash, count and transcode ``src``; a UTF-8 copy is written to ``tmp_dir`` only if needed."""
    res = FileScan(src)
    md5 = hashlib.md5()
    present: set[bytes] = set()
    out = None
    dst = tmp_dir / (src.name + ".utf8")
    lines_before = 0  # complete lines in the bytes already handled
    carry = b""  # bytes after the last LF of the previous chunk (an unfinished line)
    failed = False
    nul_seen = False
    last_byte = b""
    # O_NOFOLLOW: delivery.read_manifest refuses symlinks; this closes the window between
    # that check and the read (a link swapped in afterwards fails to open).
    with open(src, "rb", opener=_no_follow) as f:
        while True:
            chunk = f.read(chunk_size)
            if not chunk:
                break
            md5.update(chunk)
            res.size += len(chunk)
            last_byte = chunk[-1:]
            if failed:
                continue  # keep hashing so the md5 rule is still reported
            if _DELIM_CANDIDATES[0] in chunk:  # rare: look for a free byte at the end
                present.add(_DELIM_CANDIDATES[0])
            if not nul_seen and b"\x00" in chunk:
                # A NUL is no character of any text field (GB18030 never uses 0x00 inside
                # a multi-byte character), and DuckDB's read_csv would load it silently.
                # The scan goes on, so the row count stays exact and is not reported too.
                pos = chunk.index(b"\x00")
                line = lines_before + (carry + chunk[:pos]).count(b"\n") + 1
                res.violations.append(Violation(src.name, "nul-byte",
                                                "NUL byte (0x00) in a field; text fields "
                                                "hold no control characters", line=line))
                nul_seen = True
            if b"\r" in chunk:
                # §2: records end with LF; text never holds CR (a CRLF file is not the format)
                pos = chunk.index(b"\r")
                line = lines_before + (carry + chunk[:pos]).count(b"\n") + 1
                res.violations.append(Violation(src.name, "record-separator",
                                                "CR found; records must end with LF only "
                                                "and fields never contain CR", line=line))
                failed = True
                continue
            block = carry + chunk
            cut = block.rfind(b"\n") + 1  # LF is never part of a GB18030 multi-byte char
            whole, carry = block[:cut], block[cut:]
            if out is None and not whole.isascii():
                out = open(dst, "wb")  # noqa: SIM115 - closed below
                # everything before this chunk was ASCII, identical in UTF-8
                with open(src, "rb") as head:
                    remaining = res.size - len(block)
                    while remaining > 0:
                        piece = head.read(min(chunk_size, remaining))
                        out.write(piece)
                        remaining -= len(piece)
            if out is not None:
                err = _write_decoded(out, whole, src.name, lines_before)
                if err:
                    res.violations.append(err)
                    failed = True
            lines_before += whole.count(b"\n")
    if carry and not failed:
        # a last record without a trailing LF: still a record (LF separates records)
        if out is None and not carry.isascii():
            out = open(dst, "wb")  # noqa: SIM115
            with open(src, "rb") as head:
                out.write(head.read(res.size - len(carry)))
        if out is not None:
            err = _write_decoded(out, carry, src.name, lines_before)
            if err:
                res.violations.append(err)
                failed = True
    if out is not None:
        out.close()
    res.records = lines_before + (1 if last_byte and last_byte != b"\n" else 0)
    res.md5 = md5.hexdigest()
    res.utf8_path = dst if out is not None else src
    if present:  # \x01 occurs in the file: one more pass to find bytes that do not
        with open(src, "rb") as f:
            while chunk := f.read(chunk_size):
                present.update(c for c in _DELIM_CANDIDATES if c not in present and c in chunk)
    free = [c for c in _DELIM_CANDIDATES if c not in present]
    if not free and not failed:
        res.violations.append(Violation(src.name, "control-characters",
                                        "file uses every control character; cannot be parsed"))
    else:
        res.delimiter = (free or _DELIM_CANDIDATES)[0].decode()
    return res


def _no_follow(path: str, flags: int) -> int:
    return os.open(path, flags | os.O_NOFOLLOW)


def _write_decoded(out: BinaryIO, block: bytes, name: str, lines_before: int) -> Violation | None:
    try:
        text = block.decode(contract.ENCODING)  # strict: §2 says GB18030
    except UnicodeDecodeError as e:
        line = lines_before + block[: e.start].count(b"\n") + 1
        col = e.start - block.rfind(b"\n", 0, e.start)  # 1-based byte position in the line
        return Violation(name, "encoding", f"byte {col} of the line is not valid GB18030",
                         line=line)
    out.write(text.encode("utf-8"))
    return None
