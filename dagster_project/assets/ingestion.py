"""The 13 raw tables of one business date, loaded as one unit.

One multi_asset because a date is atomic (docs/architecture.md): the 13 tables of a
date are validated together (references, GL reconciliation) and committed in one
transaction. The expectation suites run as this asset's checks, inside that
transaction, so a failed blocking check leaves the date unloaded.
"""


from collections.abc import Iterator
from pathlib import Path
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
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
    define_asset_job,
    multi_asset,
)
from pydantic import Field

from dagster_project import contract
from dagster_project.checks.raw_quality import SuiteOutcome, run_suites
from dagster_project.checks.suites import suite_name
from dagster_project.ingest.delivery import Delivery
from dagster_project.ingest.errors import DeliveryRejected, Violation
from dagster_project.ingest.service import DeliveryWaits, IngestOptions, ingest_delivery
from dagster_project.partitions import BIZ_DATE_PARTITIONS, partition_date
from dagster_project.resources.duckdb import WarehouseResource
from dagster_project.settings import get_settings

CHECK_NAME = "expectations"


def raw_key(table: contract.Table) -> AssetKey:
    return AssetKey(["raw", table.raw_table])


RAW_SPECS = [
    AssetSpec(raw_key(t), group_name="raw", kinds={"duckdb"},
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


class IngestConfig(Config):
    landing: str = Field(default="", description="Landing folder; empty = settings.landing_dir")


@multi_asset(name="raw_tables", specs=RAW_SPECS, check_specs=CHECK_SPECS,
             partitions_def=BIZ_DATE_PARTITIONS, can_subset=False)
def raw_tables(context: AssetExecutionContext, config: IngestConfig,
               warehouse: WarehouseResource) -> Iterator[Any]:
    """Validate the delivery of the partition's business date and load it atomically."""
    s = get_settings()
    d = partition_date(context.partition_key)
    landing = Path(config.landing) if config.landing else s.landing_dir
    delivery = Delivery(d, landing / d.strftime(contract.DATE_FORMAT))
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

    with warehouse.connect() as con:
        try:
            result = ingest_delivery(con, delivery, opts, before_commit=checks,
                                     say=context.log.info)
        except DeliveryWaits as e:
            raise Failure(str(e)) from None
        except DeliveryRejected as e:
            yield from _check_results(outcomes)
            where = getattr(e, "quarantine_path", None)
            raise Failure(description=e.summary(),
                          metadata={"quarantine": str(where)} if where else None) from None
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


# The job the sensor and ``puhui run`` launch per business date. The integrator extends
# the selection with the dbt and publish assets downstream of raw.
ingest_job = define_asset_job("ingest", selection=AssetSelection.assets(raw_tables),
                              description="Validate and load one business date's delivery.")
