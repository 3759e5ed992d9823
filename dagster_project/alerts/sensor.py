"""Dagster sensor for late deliveries: calls ``check_late`` every few minutes.

It starts no run; it only raises (records and sends) the ``late_delivery`` alert,
once per date (check_late is idempotent), so it can tick as often as needed.
Built from the settings in definitions.py.
"""

from __future__ import annotations

from dagster import (
    DefaultSensorStatus,
    RunsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from dagster_project.alerts.late import check_late
from dagster_project.audit.clock import beijing_now
from dagster_project.settings import Settings


def build_late_delivery_sensor(settings: Settings) -> SensorDefinition:
    @sensor(name="late_delivery_sensor", minimum_interval_seconds=300,
            default_status=DefaultSensorStatus.RUNNING)
    def late_delivery_sensor(context: SensorEvaluationContext) -> SkipReason:
        # the check may write the warehouse: not while a load, build or publish has it
        from dagster_project.sensors.delivery_sensor import UNFINISHED

        if context.instance.get_runs(RunsFilter(statuses=UNFINISHED), limit=1):
            return SkipReason("a run holds the warehouse; next tick")
        raised = check_late(settings, settings.landing_dir, beijing_now())
        for a in raised:
            context.log.warning(f"{a.kind} {a.biz_date}: {a.title} ({a.delivered_to})")
        return SkipReason(f"raised {len(raised)} late-delivery alert(s)" if raised
                          else "no delivery overdue")

    return late_delivery_sensor
