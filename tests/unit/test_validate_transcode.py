"""§2 file format at the byte level: GB18030 → UTF-8 streaming, MD5, records, CR."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from dagster_project.ingest.transcode import scan_file

LINES = ["A001|CNY|1.00", "C001|张三丰|1", "B002|USD|2.50", "G001|桃源村|𠀀", "Z|x|y"]
DATA = "".join(ln + "\n" for ln in LINES).encode("gb18030")


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 16, 64, 1 << 20])
def test_streaming_transcode_is_exact_at_every_chunk_size(tmp_path: Path, chunk: int) -> None:
    src = tmp_path / "T.dat"
    src.write_bytes(DATA)
    scan = scan_file(src, tmp_path, chunk_size=chunk)
    assert scan.violations == []
    assert (scan.md5, scan.size, scan.records) == (hashlib.md5(DATA).hexdigest(), len(DATA), 5)
    assert scan.utf8_path is not None and scan.utf8_path != src
    # a 4-byte GB18030 sequence (U+20000) split across chunks still decodes
    assert scan.utf8_path.read_text(encoding="utf-8") == "".join(ln + "\n" for ln in LINES)


def test_ascii_file_is_read_in_place(tmp_path: Path) -> None:
    src = tmp_path / "T.dat"
    src.write_bytes(b"A|1\nB|2\n")
    scan = scan_file(src, tmp_path)
    assert scan.utf8_path == src and scan.records == 2


def test_last_record_without_lf_still_counts(tmp_path: Path) -> None:
    src = tmp_path / "T.dat"
    src.write_bytes("A|张\nB|2".encode("gb18030"))
    scan = scan_file(src, tmp_path, chunk_size=3)
    assert scan.records == 2 and scan.violations == []
    assert scan.utf8_path is not None
    assert scan.utf8_path.read_text(encoding="utf-8") == "A|张\nB|2"


@pytest.mark.parametrize("chunk", [2, 5, 1 << 20])
def test_invalid_gb18030_names_its_line(tmp_path: Path, chunk: int) -> None:
    src = tmp_path / "T.dat"
    bad = DATA.replace("桃源村".encode("gb18030"), b"\x81\xff")  # line 4
    src.write_bytes(bad)
    scan = scan_file(src, tmp_path, chunk_size=chunk)
    assert [(v.rule, v.line) for v in scan.violations] == [("encoding", 4)]
    assert scan.md5 == hashlib.md5(bad).hexdigest()  # still hashed to the end


def test_cr_names_its_line(tmp_path: Path) -> None:
    src = tmp_path / "T.dat"
    src.write_bytes(b"A|1\nB|2\r\nC|3\n")
    scan = scan_file(src, tmp_path, chunk_size=4)
    assert [(v.rule, v.line) for v in scan.violations] == [("record-separator", 2)]


def test_delimiter_for_duckdb_avoids_bytes_in_the_file(tmp_path: Path) -> None:
    src = tmp_path / "T.dat"
    src.write_bytes(b"A|\x01\x02|x\n")
    assert scan_file(src, tmp_path).delimiter == "\x03"
