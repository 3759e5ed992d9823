"""Loading a blacklist file into the warehouse of one home: what ``puhui blacklist``
and the Dagster ``manual/blacklist`` asset both call.

:func:`load_file` reads and checks the file (nothing touches the warehouse before the
whole file passed), then stores it as a new version; :func:`take_in` does the same for
a file dropped in ``$PUHUI_HOME/manual/`` and moves it on to ``manual/loaded/`` or, with
a ``.errors.txt`` beside it, ``manual/rejected/``. Both leave the rebuild they ask for
recorded in the warehouse (manual/rebuild.py); running it is the caller's choice.
"""

from __future__ import annotations

import os
import pwd
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.audit.clock import beijing_now, naive_beijing
from dagster_project.manual.blacklist import (
    BlacklistRejected,
    StoreResult,
    VersionRow,
    iter_lines,
    list_versions,
    read_blacklist,
    store_blacklist,
)
from dagster_project.manual.rebuild import selected_models
from dagster_project.resources.duckdb import connect_warehouse
from dagster_project.settings import Settings

Say = Callable[[str], None]

# A file younger than this may still be being copied into manual/ (a share, a USB key):
# the sensor leaves it for a later tick.
SETTLE_SECONDS = 10.0


def os_user(uid: int | None = None) -> str:
    """The login name of ``uid`` (default: this process's user), from the password
    database rather than the environment, or the number when it has no entry."""
    uid = os.getuid() if uid is None else uid
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _has_built_dates(settings: Settings) -> bool:
    if not settings.warehouse_path.exists():
        return False
    con = connect_warehouse(settings, read_only=True, threads=1)
    try:
        return bool(con.execute("SELECT count(*) FROM meta.delivery WHERE NOT needs_rebuild"
                                ).fetchone()[0])
    except duckdb.CatalogException:
        return False
    finally:
        con.close()


def _can_rebuild(settings: Settings) -> bool:
    """Whether the dbt project has a model the pre-credit selection picks (read from the
    manifest the Dagster dbt assets are built from; parsed once if missing)."""
    from dagster_project.resources.dbt import prepare_manifest

    return bool(selected_models(prepare_manifest(settings)))


def load_file(settings: Settings, path: Path, by: str | None = None,
              say: Say = print) -> StoreResult:
    """Check ``path`` whole, then store it as the new version in force (or nothing when
    it is that version already). Raises :class:`BlacklistRejected` for a bad file,
    before the warehouse is opened."""
    bl = read_blacklist(path)
    # Before the writer opens: the manifest is read only when a published date exists
    # that the file could change (a fresh home needs no dbt parse).
    can_rebuild = _can_rebuild(settings) if _has_built_dates(settings) else False
    settings.ensure_dirs()
    con = connect_warehouse(settings)
    try:
        result = store_blacklist(con, bl, settings.resolved_pii_key(), by or os_user(),
                                 naive_beijing(beijing_now()), can_rebuild=lambda: can_rebuild)
    finally:
        con.close()
    for line in iter_lines(result):
        say(line)
    return result


def versions(settings: Settings) -> list[VersionRow]:
    if not settings.warehouse_path.exists():
        return []
    con = connect_warehouse(settings, read_only=True, threads=1)
    try:
        return list_versions(con)
    finally:
        con.close()


# --- the manual/ folder -------------------------------------------------------------------

def inbox_files(settings: Settings, now: float | None = None) -> list[Path]:
    """Files waiting in ``manual/``, oldest first: not hidden, not an office lock file
    (``~$…``), and settled (unchanged for SETTLE_SECONDS)."""
    folder = settings.manual_dir
    if not folder.is_dir():
        return []
    now = time.time() if now is None else now
    found = [p for p in folder.iterdir()
             if p.is_file() and not p.name.startswith((".", "~$"))
             and now - p.stat().st_mtime >= SETTLE_SECONDS]
    return sorted(found, key=lambda p: (p.stat().st_mtime, p.name))


@dataclass(frozen=True)
class TakenIn:
    result: StoreResult
    moved_to: Path


def _move(path: Path, folder: Path) -> Path:
    """Into ``folder`` under a Beijing-time stamp, so a file loaded twice (a rollback
    loads an old file again) keeps both copies."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = folder / f"{naive_beijing(beijing_now()):%Y%m%dT%H%M%S}-{path.name}"
    n = 1
    while target.exists():
        target = target.with_name(f"{target.stem}.{n}{path.suffix}")
        n += 1
    shutil.move(str(path), target)
    return target


def errors_path(rejected: Path) -> Path:
    return rejected.with_name(rejected.name + ".errors.txt")


def take_in(settings: Settings, path: Path, say: Say = print) -> TakenIn:
    """Load a file dropped in ``manual/`` (loaded_by: the file's owner) and move it on.
    A bad file goes to ``manual/rejected/`` with its violations in ``<name>.errors.txt``
    and :class:`BlacklistRejected` is raised; any other failure (a busy warehouse)
    leaves the file where it is, for the next try."""
    try:
        result = load_file(settings, path, by=os_user(path.stat().st_uid), say=say)
    except BlacklistRejected as e:
        target = _move(path, settings.manual_dir / "rejected")
        errors_path(target).write_text(e.report(), encoding="utf-8")
        e.moved_to = target
        raise
    return TakenIn(result, _move(path, settings.manual_dir / "loaded"))
