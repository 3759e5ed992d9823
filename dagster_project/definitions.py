"""The Dagster code location: assembly only (STYLE.md §4).

The whole night, delivery to dashboard: the landing folder, the raw layer and its
expectation checks, the dbt models with their tests as checks, the audit as blocking
checks on the indicator store, the serving copy, and the Superset dashboards; beside
it the manual data (the blacklist, customer-ops.md §6) and its sensor. Every
resource and sensor is built here from one ``Settings`` object; ``puhui run`` builds
the same definitions for its settings and runs the same jobs in process.
"""

from __future__ import annotations

from dagster import Definitions, definitions

from dagster_project.alerts.sensor import build_late_delivery_sensor
from dagster_project.assets.dbt import build_dbt_assets
from dagster_project.assets.ingestion import DELIVERY, ingest_job, raw_tables
from dagster_project.assets.manual import BLACKLIST_FILE, blacklist, blacklist_load_job
from dagster_project.assets.publish import (
    build_precredit_job,
    dashboard_specs,
    publish_job,
    serving,
)
from dagster_project.checks.audit import audit_checks
from dagster_project.resources.dbt import dbt_cli_resource
from dagster_project.sensors.delivery_sensor import build_delivery_sensor
from dagster_project.sensors.manual_sensor import build_manual_sensor
from dagster_project.settings import Settings, get_settings


def build_defs(settings: Settings) -> Definitions:
    dbt_models = build_dbt_assets(settings)
    precredit_job = build_precredit_job(dbt_models)
    return Definitions(
        assets=[DELIVERY, raw_tables, dbt_models, serving, *dashboard_specs(),
                BLACKLIST_FILE, blacklist],
        asset_checks=[audit_checks],
        jobs=[ingest_job, publish_job, precredit_job, blacklist_load_job],
        sensors=[build_delivery_sensor(settings, precredit_job=precredit_job),
                 build_late_delivery_sensor(settings), build_manual_sensor(settings)],
        resources={"settings": settings, "dbt": dbt_cli_resource(settings)},
    )


@definitions
def defs() -> Definitions:
    """What ``dagster-webserver -m dagster_project.definitions`` loads (lazily: parsing
    the dbt project needs the home's settings)."""
    return build_defs(get_settings())
