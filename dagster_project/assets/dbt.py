"""dbt models as Dagster assets, from the manifest (STYLE.md §4).

Partitioned by business date like the raw layer. A run builds from the earliest of
its partitions and of the dates ``meta.delivery`` flags for rebuild: that date and
every later one are rebuilt (MTD/YTD/日均 of later dates read its daily values), so a
re-delivered date rebuilds from itself on, and a backfill launched in the UI over
``D..last`` rebuilds from D. dbt tests become asset checks (dagster-dbt maps them);
sources ``t1.<table>`` are the ingestion assets ``raw/<table>``, so the lineage runs
from delivery to indicator store.
"""

import os
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

# No `from __future__ import annotations`: Dagster resolves ResourceParam at runtime.
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    BackfillPolicy,
    ResourceParam,
)
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from dagster_project.dbt_build import BUILD_EXCLUDES, dbt_env, ensure_sources, window_env
from dagster_project.ingest import meta
from dagster_project.partitions import BIZ_DATE_PARTITIONS, partition_date
from dagster_project.resources.dbt import dbt_project, prepare_manifest
from dagster_project.resources.duckdb import connect_warehouse
from dagster_project.settings import Settings

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
PARTITION_TAG = "dagster/partition"


@dataclass(frozen=True)
class BuildWindow:
    """The dates one build-audit-publish run covers."""

    from_date: date  # first date dbt rebuilds and the audit checks
    through: date  # last loaded date: the publication covers every date up to it


def run_partition_keys(tags: Mapping[str, str]) -> list[str]:
    """The partition keys a run was launched for (one key, or a range's two ends)."""
    if PARTITION_TAG in tags:
        return [tags[PARTITION_TAG]]
    return [tags[t] for t in (RANGE_START_TAG, RANGE_END_TAG) if t in tags]


def build_window(settings: Settings, partition_keys: Sequence[str]) -> BuildWindow:
    """From the earliest of the run's partitions, the dates flagged for rebuild (a
    build that failed last night is retried from where it stopped) and the first date
    a new blacklist version waits to be rebuilt from (manual/rebuild.py), to the last
    loaded date. Pure apart from reading ``meta.delivery`` and ``manual``."""
    from dagster_project.manual.rebuild import pending_from

    con = connect_warehouse(settings, read_only=True, threads=1)
    try:
        flagged = meta.rebuild_from(con)
        pending = pending_from(con)
        last = meta.last_loaded(con)
    finally:
        con.close()
    starts = [partition_date(k) for k in partition_keys]
    starts += [d for d in (flagged, pending) if d is not None]
    if last is None or not starts:
        raise RuntimeError("nothing loaded yet: load a delivery before building")
    return BuildWindow(from_date=min(starts), through=last)


def build_invocation(window: BuildWindow) -> tuple[list[str], dict[str, str]]:
    """``dbt build`` arguments, and the environment that rebuilds and tests from the
    window's first date (dbt_build.window_env).

    The YAML unit tests are left out (dbt_build.BUILD_EXCLUDES): in a bank's night they
    cost about 40 s of a loaded machine (issue 16's figures) and test no data."""
    return ["build", *BUILD_EXCLUDES], window_env(window.from_date, window.from_date)


class PuhuiDbtTranslator(DagsterDbtTranslator):
    """Sources are the ingestion assets; models are grouped by their dbt layer folder,
    the indicator store (marts/indicators) by itself so the graph shows it."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            # t1 is the extract (the ingestion assets raw/<table>); the blacklist in
            # force is the asset its loader materializes (assets/manual.py), so the graph
            # reads blacklist file -> manual/blacklist -> pre-credit
            source = dbt_resource_props["source_name"]
            if (source, dbt_resource_props["name"]) == ("manual", "blacklist_current"):
                return AssetKey(["manual", "blacklist"])
            schema = "raw" if source == "t1" else source
            return AssetKey([schema, dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = list(dbt_resource_props.get("fqn") or [])
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        if fqn[1:3] == ["marts", "indicators"]:
            return "indicator_store"
        return fqn[1] if len(fqn) > 2 else "dbt"


def build_dbt_assets(settings: Settings) -> AssetsDefinition:
    """The ``@dbt_assets`` of the project, over this home's manifest (parsed if missing)."""

    @dbt_assets(
        name="dbt_models",
        manifest=prepare_manifest(settings),
        project=dbt_project(settings.dbt_target_dir),
        partitions_def=BIZ_DATE_PARTITIONS,
        # one dbt invocation for any range: `from_date` covers every later date anyway
        backfill_policy=BackfillPolicy.single_run(),
        dagster_dbt_translator=PuhuiDbtTranslator(),
    )
    def dbt_models(context: AssetExecutionContext, dbt: DbtCliResource,
                   settings: ResourceParam[Settings]) -> Iterator[Any]:
        window = build_window(settings, run_partition_keys(context.run.tags))
        ensure_sources(settings)
        args, window_vars = build_invocation(window)
        # profiles.yml reads the warehouse, and the models the window, from here
        os.environ.update(dbt_env(settings) | window_vars)
        settings.dbt_target_dir.mkdir(parents=True, exist_ok=True)
        context.log.info(f"dbt build from {window.from_date} through {window.through}")
        invocation = dbt.cli(args, context=context, target_path=settings.dbt_target_dir)
        try:
            yield from invocation.stream()
        except Exception as exc:
            _stop(invocation.process)
            _alert_failed(settings, window, f"dbt build failed: {exc}")
            raise

    return dbt_models


def _stop(process: subprocess.Popen, grace_s: float = 30.0) -> None:
    """End a dbt build whose events can no longer be read. dagster-dbt leaves the dbt
    process running when reading its events fails (an event of a node the manifest
    does not know raised KeyError), and that build went on holding the warehouse:
    the failure alert could not be recorded ("warehouse busy"), and the next run met
    the lock. DuckDB commits or drops each model's transaction whole, so stopping it
    loses no half-written table; the next night rebuilds from the flagged date."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _alert_failed(settings: Settings, window: BuildWindow, reason: str) -> None:
    """A failed build or publish keeps yesterday's publication serving; say so (issue 7).
    A blocked audit raises its own alert (checks/audit.py)."""
    from dagster_project.alerts import publish_failed, raise_in_warehouse
    from dagster_project.audit.clock import beijing_now
    from dagster_project.briefing import notice_not_published

    dates = sorted({window.from_date, window.through})
    raise_in_warehouse(settings, publish_failed(dates, reason, beijing_now()))
    notice_not_published(settings, window.through)  # issue 16: 数据未更新, no figures
