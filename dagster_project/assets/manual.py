"""Manual data (补录): the bank's blacklist, dropped as a file in ``$PUHUI_HOME/manual/``.

``manual/blacklist_file`` is the folder (external: the bank writes it, Dagster only
reads it); ``manual/blacklist`` is the blacklist in the warehouse, one version per good
file (manual/blacklist.py). The manual sensor launches the ``blacklist_load`` job once
per file dropped; the run loads it and moves it to ``manual/loaded/`` or, with its
``.errors.txt``, ``manual/rejected/``. The rebuild a new version asks for is the
delivery sensor's next step (pipeline.next_step), so it waits behind any delivery
still to load and runs one at a time with the night.
"""

from pathlib import Path

# No `from __future__ import annotations`: Dagster resolves ResourceParam and Config at
# runtime.
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSelection,
    AssetSpec,
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
    ResourceParam,
    asset,
    define_asset_job,
    in_process_executor,
)

from dagster_project.manual.blacklist import BlacklistRejected
from dagster_project.manual.service import errors_path, take_in
from dagster_project.settings import Settings

BLACKLIST_FILE_KEY = AssetKey(["manual", "blacklist_file"])
BLACKLIST_KEY = AssetKey(["manual", "blacklist"])
BLACKLIST_JOB_NAME = "blacklist_load"
BLACKLIST_FILE = AssetSpec(
    BLACKLIST_FILE_KEY, group_name="manual", kinds={"file"},
    description="$PUHUI_HOME/manual/<name>.csv or .xlsx: the bank's blacklist as handed "
                "in (customer-ops.md §6), ID numbers and names in clear.")


class BlacklistFileConfig(Config):
    path: str  # the file in manual/ to load


@asset(key=BLACKLIST_KEY, deps=[BLACKLIST_FILE_KEY], group_name="manual", kinds={"duckdb"},
       description="manual.blacklist_version / blacklist_entry: every version loaded, the "
                   "latest in force (manual.blacklist_current); IDs hashed, names masked.")
def blacklist(context: AssetExecutionContext, config: BlacklistFileConfig,
              settings: ResourceParam[Settings]) -> MaterializeResult:
    """Check the whole file, store it as the new version (or nothing if identical to the
    one in force), move it on. A bad file fails the run with its violations (file, row,
    rule; never a value)."""
    path = Path(config.path)
    try:
        taken = take_in(settings, path, say=context.log.info)
    except BlacklistRejected as e:
        where = e.moved_to
        raise Failure(description=e.summary(), metadata={
            "violations": len(e.violations),
            "errors_file": str(errors_path(where)) if where else "",
        }) from None
    r = taken.result
    return MaterializeResult(metadata={
        "file": r.file_name,
        "moved_to": str(taken.moved_to),
        "stored": r.stored,
        "version_in_force": MetadataValue.int(r.in_force_id or 0),
        "entries": MetadataValue.int(r.entries),
        "changes_from": r.changes_from.isoformat() if r.changes_from else "",
        "rebuild_from": r.rebuild_from.isoformat() if r.rebuild_from else "",
    })


blacklist_load_job = define_asset_job(
    BLACKLIST_JOB_NAME, selection=AssetSelection.assets(blacklist),
    executor_def=in_process_executor,
    description="Check and load one blacklist file from manual/ (customer-ops.md §6).")
