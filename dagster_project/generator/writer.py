"""Writing one delivery folder exactly per t1-extract-spec §1-§2.

Data files stream chunk by chunk: each chunk is rendered to CSV text by polars
(``|`` separator, no header, no quoting, LF, empty = NULL), transcoded to GB18030
only when the table can hold Chinese, hashed and appended. ``DONE_<date>.flg`` is
written last through a temporary name and a rename, after every data and control
file is flushed to disk, so a half-written folder never looks complete (§1).
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from dagster_project import contract


@dataclass(frozen=True)
class FileStat:
    table: str
    name: str
    rows: int
    size: int
    md5: str


# A chunk is a polars frame of text columns, or bytes already encoded (with their row
# count) when the renderer could reuse yesterday's unchanged rows.
Chunk = pl.DataFrame | tuple[bytes, int]


def encode_chunk(df: pl.DataFrame, transcode: bool) -> bytes:
    buf = io.BytesIO()
    df.write_csv(buf, include_header=False, separator=contract.FIELD_SEP, line_terminator="\n",
                 quote_style="never", null_value="")
    raw = buf.getvalue()
    if not transcode:
        return raw
    # transcode in ~8 MB slices cut at line ends: one astral character (a rare name)
    # makes Python hold a whole slice as 4 bytes per character
    out, step, i = [], 8 << 20, 0
    while i < len(raw):
        j = raw.find(b"\n", min(i + step, len(raw)) - 1)
        j = len(raw) if j < 0 else j + 1
        out.append(raw[i:j].decode("utf-8").encode(contract.ENCODING))
        i = j
    return b"".join(out)


def write_data_file(path: Path, table: str, chunks: Iterable[Chunk], transcode: bool) -> FileStat:
    """Stream ``chunks`` into ``path``; hashing and writing run on a helper thread (both
    release the GIL) so they overlap with rendering the next chunk."""
    md5 = hashlib.md5()
    rows = size = 0
    with path.open("wb") as f, ThreadPoolExecutor(1) as io_thread:
        pending: list[Future[None]] = []

        def sink(b: bytes) -> None:
            md5.update(b)
            f.write(b)

        for chunk in chunks:
            if isinstance(chunk, tuple):
                b, n = chunk
            else:
                b, n = encode_chunk(chunk, transcode), chunk.height
            rows += n
            size += len(b)
            pending.append(io_thread.submit(sink, b))
            if len(pending) > 2:  # bound the bytes held in memory
                pending.pop(0).result()
        for fut in pending:
            fut.result()
        f.flush()
        os.fsync(f.fileno())
    return FileStat(table, path.name, rows, size, md5.hexdigest())


def write_control(folder: Path, stat: FileStat, biz: str) -> None:
    line = contract.control_line(stat.name, stat.rows, stat.size, stat.md5)
    _write_synced(folder / contract.control_file_name(stat.table, biz), (line + "\n").encode())


def write_done(folder: Path, biz: str, data_files: list[str]) -> None:
    """§1: DONE lists the data file names, one per line; rename makes it appear whole."""
    final = folder / contract.done_file_name(biz)
    tmp = folder / f".{final.name}.tmp"
    _write_synced(tmp, "".join(f"{n}\n" for n in data_files).encode())
    os.replace(tmp, final)
    _sync_dir(folder)


def begin_folder(folder: Path, biz: str) -> None:
    """A re-run replaces the folder's files; the old DONE goes first so readers wait."""
    folder.mkdir(parents=True, exist_ok=True)
    done = folder / contract.done_file_name(biz)
    if done.exists():
        done.unlink()
        _sync_dir(folder)


def _write_synced(path: Path, data: bytes) -> None:
    with path.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _sync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
