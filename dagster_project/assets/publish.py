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
from dagster_project.partitions import BIZ_DATE_PARTITIONS
from dagster_project.publish import DETAIL_TABLES, SERVING_TABLES, PublishError, publish
from dagster_project.resources.duckdb import connect_warehouse
from dagster_project.settings import Settings

SERVING_KEY = AssetKey(["serving", "serving_duckdb"])
PUBLISH_JOB_NAME = "build_audit_publish"


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
        result = publish(settings)
    except PublishError as exc:
        _alert_failed(settings, window, str(exc))
        raise
    con = connect_warehouse(settings)
    try:
        # every date up to the last loaded one is now built, audited and published
        meta.clear_rebuild(con, window.through)
    finally:
        con.close()
    context.log.info(f"published {result.path} through {window.through} "
                     f"in {result.seconds:.1f} s")
    # issue 16: the morning briefing of the newest published date (audited figures only)
    brief_after_night(settings, [window.through], say=context.log.info)
    # issue 15: each org's new opportunities of the dates just published. Only after a
    # publish of business dates, like the briefing: where the pre-credit-only republish
    # of a new blacklist version exists (branch s7-blacklist, `whole`), this call goes
    # under `if whole:` beside the briefing; it would find nothing new anyway.
    push_after_publish(settings, window.from_date, window.through, say=context.log.info)
    return MaterializeResult(metadata={
        "through": window.through.isoformat(), "from_date": window.from_date.isoformat(),
        "seconds": MetadataValue.float(round(result.seconds, 2)),
        "tables": MetadataValue.json(result.tables),
    })


def dashboard_specs() -> list[AssetSpec]:
    """One external asset per Superset dashboard (generated list, superset/dashboards.py)."""
    from dagster_project.superset.dashboards import all_dashboards

    return [AssetSpec(AssetKey(["superset", d.slug]), deps=[SERVING_KEY], group_name="dashboards",
                      kinds={"superset"}, description=f"{d.title} (Superset dashboard)")
            for d in all_dashboards()]


def publish_job_selection() -> Any:
    """Everything between the raw layer and the serving copy: every dbt model and its
    tests (also models no serving table reads yet), the audit checks, then the publish."""
    return AssetSelection.all() - AssetSelection.groups("landing", "raw", "dashboards")


publish_job = define_asset_job(
    PUBLISH_JOB_NAME, selection=publish_job_selection(),
    # the steps run one after the other anyway (one writer); a process per step would
    # only load the code location again for each of them
    executor_def=in_process_executor,
    description="dbt build from the earliest date needing it, audit, then publish "
                "serving.duckdb; a failed blocking check stops the publish.")
