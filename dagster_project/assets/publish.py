"""The serving copy and the dashboards that read it: the end of the graph.

``serving/serving_duckdb`` is the publish step (publish.py: a new file renamed over
``serving.duckdb``). It depends on every warehouse relation it copies, so it runs after
the dbt models and after the blocking audit checks on the indicator store
(checks/audit.py): a failed blocking check stops it and yesterday's file keeps serving.
The Superset dashboards are external assets below it, so the graph reads from delivery
to dashboard; Superset is not run by Dagster, it reads the file when a chart asks.
"""

from typing import Any

# No `from __future__ import annotations`: Dagster resolves ResourceParam at runtime.
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSelection,
    AssetSpec,
    BackfillPolicy,
    MaterializeResult,
    MetadataValue,
    ResourceParam,
    define_asset_job,
    in_process_executor,
    multi_asset,
)

from dagster_project.assets.dbt import _alert_failed, build_window, run_partition_keys
from dagster_project.briefing import brief_after_night, push_after_publish
from dagster_project.ingest import meta
from dagster_project.manual.rebuild import PRECREDIT_SELECT, clear_pending
from dagster_project.partitions import BIZ_DATE_PARTITIONS
from dagster_project.publish import DETAIL_TABLES, SERVING_TABLES, PublishError, publish
from dagster_project.resources.duckdb import connect_warehouse
from dagster_project.settings import Settings

SERVING_KEY = AssetKey(["serving", "serving_duckdb"])
PUBLISH_JOB_NAME = "build_audit_publish"
PRECREDIT_JOB_NAME = "rebuild_precredit"


def relation_key(relation: str) -> AssetKey:
    """``marts.indicator_value`` → the dbt asset key (schema/name, PuhuiDbtTranslator)."""
    return AssetKey(relation.split("."))


SERVING_DEPS = sorted({relation_key(rel) for rel, _ in
                       [*SERVING_TABLES.values(), *DETAIL_TABLES.values()]},
                      key=lambda k: k.to_user_string())


@multi_asset(name="serving", specs=[AssetSpec(
    SERVING_KEY, deps=SERVING_DEPS, group_name="serving", kinds={"duckdb"},
    description="serving.duckdb, what Superset reads: the indicator store and the "
                "dashboard marts, written as a new file and renamed over the old one.")],
    partitions_def=BIZ_DATE_PARTITIONS, backfill_policy=BackfillPolicy.single_run())
def serving(context: AssetExecutionContext, settings: ResourceParam[Settings]
            ) -> MaterializeResult:
    window = build_window(settings, run_partition_keys(context.run.tags))
    try:
        result = publish(settings, from_date=window.from_date)
    except PublishError as exc:
        _alert_failed(settings, window, str(exc))
        raise
    whole = context.run.job_name != PRECREDIT_JOB_NAME
    con = connect_warehouse(settings)
    try:
        if whole:  # every date up to the last loaded one is now built, audited, published
            meta.clear_rebuild(con, window.through)
        # pre-credit too, from the window's first date on (customer-ops.md §6)
        clear_pending(con, window.from_date)
    finally:
        con.close()
    context.log.info(f"published {result.path} through {window.through} "
                     f"in {result.seconds:.1f} s ({len(result.incremental)} tables replaced "
                     f"from {window.from_date}, {len(result.tables) - len(result.incremental)} "
                     f"copied whole; the new file started as {result.written_from})")
    if whole:  # a new blacklist version is no new business date: no briefing, no push
        # issue 16: the morning briefing of the newest published date (audited figures)
        brief_after_night(settings, [window.through], say=context.log.info)
        # issue 15: each org's new opportunities of the dates just published
        push_after_publish(settings, window.from_date, window.through, say=context.log.info)
    return MaterializeResult(metadata={
        "through": window.through.isoformat(), "from_date": window.from_date.isoformat(),
        "seconds": MetadataValue.float(round(result.seconds, 2)),
        "tables": MetadataValue.json(result.tables),
        "replaced_from_date": MetadataValue.json(sorted(result.incremental)),
        # standby, copy or new (publish.py): whether the night copied the served file
        "written_from": result.written_from,
    })


def dashboard_specs() -> list[AssetSpec]:
    """One external asset per Superset dashboard (generated list, superset/dashboards.py)."""
    from dagster_project.superset.dashboards import all_dashboards

    return [AssetSpec(AssetKey(["superset", d.slug]), deps=[SERVING_KEY], group_name="dashboards",
                      kinds={"superset"}, description=f"{d.title} (Superset dashboard)")
            for d in all_dashboards()]


def publish_job_selection() -> Any:
    """Everything between the raw layer and the serving copy: every dbt model and its
    tests (also models no serving table reads yet), the audit checks, then the publish.
    Not the manual data: a blacklist file is loaded by its own job (assets/manual.py)."""
    return AssetSelection.all() - AssetSelection.groups("landing", "raw", "manual",
                                                        "dashboards")


publish_job = define_asset_job(
    PUBLISH_JOB_NAME, selection=publish_job_selection(),
    # the steps run one after the other anyway (one writer); a process per step would
    # only load the code location again for each of them
    executor_def=in_process_executor,
    description="dbt build from the earliest date needing it, audit, then publish "
                "serving.duckdb; a failed blocking check stops the publish.")


def build_precredit_job(dbt_models: AssetsDefinition) -> Any:
    """A new blacklist version's rebuild (customer-ops.md §6): the dbt models of
    PRECREDIT_SELECT with their tests, from the first date it changes, then the audit
    and the publish, as ``build_audit_publish`` does for the whole graph. Planned by
    ``pipeline.next_step`` only when the dbt project has such a model."""
    from dagster_dbt import build_dbt_asset_selection

    from dagster_project.checks.audit import audit_checks

    return define_asset_job(
        PRECREDIT_JOB_NAME,
        selection=build_dbt_asset_selection([dbt_models], dbt_select=PRECREDIT_SELECT)
        | AssetSelection.checks(audit_checks) | AssetSelection.assets(SERVING_KEY),
        executor_def=in_process_executor,
        description=f"dbt build of {PRECREDIT_SELECT} from the first date a new blacklist "
                    "version changes, audit, then publish serving.duckdb.")
