"""The 13 raw tables of one business date, loaded as one unit.

One multi_asset because a date is atomic (docs/architecture.md): the 13 tables of a
date are validated together (references, GL reconciliation) and committed in one
transaction. The expectation suites run as this asset's checks, inside that
transaction, so a failed blocking check leaves the date unloaded.
"""


from collections.abc import Iterator
from typing import Any

# No `from __future__ import annotations`: Dagster resolves the Config annotation at runtime.
import duckdb
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSelection,
    AssetSpec,
    BackfillPolicy,
    Failure,
    MaterializeResult,
    MetadataValue,
    ResourceParam,
    define_asset_job,
    in_process_executor,
    multi_asset,
)

from dagster_project import contract
from dagster_project.checks.raw_quality import SuiteOutcome, run_suites
from dagster_project.checks.suites import suite_name
from dagster_project.ingest.delivery import Delivery
from dagster_project.ingest.errors import DeliveryRejected, Violation
from dagster_project.ingest.service import DeliveryWaits, IngestOptions, ingest_delivery
from dagster_project.partitions import BIZ_DATE_PARTITIONS, partition_date
from dagster_project.resources.duckdb import connect_warehouse
from dagster_project.settings import Settings

CHECK_NAME = "expectations"
INGEST_JOB_NAME = "ingest"
# The union's folder per business date (t1-extract-spec §1), watched by delivery_sensor;
# external: Dagster does not write it, it only reads it once DONE is there.
DELIVERY_KEY = AssetKey(["landing", "t1_delivery"])
DELIVERY = AssetSpec(DELIVERY_KEY, group_name="landing", kinds={"file"},
                     description="landing/<YYYYMMDD>/: the T+1 extract of one business date, "
                                 "complete once DONE_<YYYYMMDD>.flg is written.")


def raw_key(table: contract.Table) -> AssetKey:
    return AssetKey(["raw", table.raw_table])


RAW_SPECS = [
    AssetSpec(raw_key(t), group_name="raw", kinds={"duckdb"}, deps=[DELIVERY_KEY],
              description=f"{t.name} {t.zh} ({t.kind}): contract columns by biz_date, "
                          "PII hashed or masked.",
              metadata={"contract_table": t.name, "kind": t.kind})
    for t in contract.TABLES
]
CHECK_SPECS = [
    AssetCheckSpec(CHECK_NAME, asset=raw_key(t), blocking=True,
                   description=f"Great Expectations suite expectations/{suite_name(t)}.json")
    for t in contract.TABLES
]


@multi_asset(name="raw_tables", specs=RAW_SPECS, check_specs=CHECK_SPECS,
             partitions_def=BIZ_DATE_PARTITIONS, can_subset=False,
             backfill_policy=BackfillPolicy.multi_run(1))  # a date is one transaction
def raw_tables(context: AssetExecutionContext, settings: ResourceParam[Settings]
               ) -> Iterator[Any]:
    """Validate the delivery of the partition's business date and load it atomically."""
    s = settings
    d = partition_date(context.partition_key)
    delivery = Delivery(d, s.landing_dir / d.strftime(contract.DATE_FORMAT))
    if not delivery.done_path.is_file():
        raise Failure(f"{d}: no complete delivery in {delivery.folder} (DONE missing)")
    opts = IngestOptions(quarantine_dir=s.quarantine_dir, tmp_dir=s.tmp_dir,
                         pii_key=s.resolved_pii_key(), run_id=context.run.run_id,
                         pause_s=s.load_txn_pause_s,
                         parallel_min_bytes=s.ingest_parallel_min_bytes, workers=s.threads)
    outcomes: list[SuiteOutcome] = []

    def checks(con: duckdb.DuckDBPyConnection) -> None:
        outcomes.extend(run_suites(con, d, s.checks_max_rows))
        if any(o.blocking_failed for o in outcomes):
            raise DeliveryRejected(delivery.ymd, [
                Violation(contract.data_file_name(o.table, delivery.ymd), "expectations",
                          f"suite {o.suite}: {'; '.join(o.failures)}")
                for o in outcomes if o.blocking_failed])

    con = connect_warehouse(s)
    try:
        result = ingest_delivery(con, delivery, opts, before_commit=checks,
                                 say=context.log.info)
    except DeliveryWaits as e:
        raise Failure(str(e)) from None
    except DeliveryRejected as e:
        con.close()  # the alert is recorded in the warehouse: one writer at a time
        yield from _check_results(outcomes)
        where = getattr(e, "quarantine_path", None)
        _alert_rejected(s, d, e.summary(), where)
        raise Failure(description=e.summary(),
                      metadata={"quarantine": str(where)} if where else None) from None
    finally:
        con.close()
    for t in contract.TABLES:
        yield MaterializeResult(asset_key=raw_key(t), metadata={
            "biz_date": d.isoformat(), "status": result.status,
            "rows": MetadataValue.int(result.rows.get(t.name, 0)),
        })
    yield from _check_results(outcomes)
    if result.status == "loaded":
        context.log.info(f"{d}: loaded {sum(result.rows.values())} rows, {result.bytes} bytes "
                         f"in {result.seconds:.2f}s")


def _check_results(outcomes: list[SuiteOutcome]) -> Iterator[AssetCheckResult]:
    for o in outcomes:
        yield AssetCheckResult(
            asset_key=raw_key(contract.TABLES_BY_NAME[o.table]), check_name=CHECK_NAME,
            passed=o.passed,
            severity=AssetCheckSeverity.ERROR if o.blocking_failed else AssetCheckSeverity.WARN,
            metadata={"rows": o.rows, "previous_rows": o.previous_rows or 0,
                      "failures": "\n".join(o.failures) or "none"})


def _alert_rejected(settings: Settings, biz_date: Any, reason: str, where: Any) -> None:
    """A delivery that broke the contract was quarantined: tell the operators now
    (issue 7). Other failures (a locked warehouse, a full disk) leave the folder in
    the landing area to be retried, so they raise no alert."""
    from dagster_project.alerts import raise_in_warehouse, rejected_delivery
    from dagster_project.audit.clock import beijing_now
    from dagster_project.briefing import notice_not_published

    if where is not None:
        raise_in_warehouse(settings, rejected_delivery(biz_date, reason, beijing_now()))
        notice_not_published(settings, biz_date)  # issue 16: 数据未更新, no figures


# The job the delivery sensor and ``puhui run`` launch per business date; the build,
# audit and publish follow in their own job (assets/publish.py) once no date is left
# to load, so a night of several dates builds once.
ingest_job = define_asset_job(INGEST_JOB_NAME, selection=AssetSelection.assets(raw_tables),
                              executor_def=in_process_executor,
                              description="Validate and load one business date's delivery.")
