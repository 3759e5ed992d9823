"""The instance's event log keeps its SQLite connections open (dagster_project/event_log.py).

Events written from several threads through one instance are all stored, a home whose
dagster.yaml still names Dagster's own class reads them (the file is the same), and the
storage opens a handful of connections for hundreds of events, not one per event.
"""

from __future__ import annotations

import threading
from pathlib import Path

from dagster import AssetKey, AssetMaterialization, DagsterInstance
from sqlalchemy import event

from dagster_project.event_log import POOL_SIZE, PooledSqliteEventLogStorage
from dagster_project.pipeline import instance_for
from dagster_project.settings import Settings

THREADS, EVENTS = 3, 60


def _write(instance: DagsterInstance, thread: int) -> None:
    for i in range(EVENTS):
        instance.report_runless_asset_event(
            AssetMaterialization(asset_key=AssetKey(["t", str(thread)]),
                                 metadata={"i": i}))


def test_events_from_threads_are_stored_over_a_few_kept_connections(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    instance = instance_for(settings)
    storage = instance.event_log_storage
    assert isinstance(storage, PooledSqliteEventLogStorage)
    opened: list[object] = []
    event.listen(storage._engine(), "connect", lambda conn, rec: opened.append(conn))

    threads = [threading.Thread(target=_write, args=(instance, t)) for t in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    for t in range(THREADS):
        latest = instance.get_latest_materialization_event(AssetKey(["t", str(t)]))
        assert latest is not None
        assert latest.asset_materialization.metadata["i"].value == EVENTS - 1
    # NullPool (Dagster's class) opens one per event and query: over 180 here
    assert 1 <= len(opened) <= 2 * POOL_SIZE
    instance.dispose()

    # the same file, read by Dagster's own storage class, as a home written before this
    yaml = settings.dagster_home / "dagster.yaml"
    yaml.write_text(yaml.read_text()
                    .replace("module: dagster_project.event_log",
                             "module: dagster._core.storage.event_log")
                    .replace("class: PooledSqliteEventLogStorage",
                             "class: ConsolidatedSqliteEventLogStorage"))
    plain = DagsterInstance.from_config(str(settings.dagster_home))
    assert type(plain.event_log_storage).__name__ == "ConsolidatedSqliteEventLogStorage"
    for t in range(THREADS):
        records = plain.fetch_materializations(AssetKey(["t", str(t)]), limit=1000).records
        assert len(records) == EVENTS
    plain.dispose()
