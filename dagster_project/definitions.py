"""The Dagster code location: assembly only (STYLE.md §4)."""

from __future__ import annotations

from dagster import Definitions

from dagster_project.alerts.sensor import late_delivery_sensor
from dagster_project.assets.ingestion import ingest_job, raw_tables
from dagster_project.resources.duckdb import WarehouseResource
from dagster_project.sensors.delivery_sensor import delivery_sensor

defs = Definitions(
    assets=[raw_tables],
    jobs=[ingest_job],
    sensors=[delivery_sensor, late_delivery_sensor],
    resources={"warehouse": WarehouseResource()},
)
