"""Alerts (issue 7): rejected deliveries, failed audits and their warnings, late
deliveries and failed publications, recorded in ``meta.alert`` and sent to a
WeCom/DingTalk group robot and/or by e-mail.

The pipeline calls, for example::

    alerts.raise_in_warehouse(settings, alerts.rejected_delivery(d, exc.summary(), now))
    alerts.raise_alerts(con, settings, alerts.from_audit(result, now))
    alerts.raise_in_warehouse(settings, alerts.publish_failed(dates, str(exc), now))
    alerts.check_late(settings, settings.landing_dir, now)   # from a sensor/schedule

and ``dagster_project.audit.step.run_audit`` does the audit and its alerts as one
step (the blocking asset checks of checks/audit.py call it).
"""

from dagster_project.alerts.channels import deliver, markdown, webhook_body
from dagster_project.alerts.late import check_late, expected_date
from dagster_project.alerts.model import (
    Alert,
    AlertKind,
    from_audit,
    late_delivery,
    publish_failed,
    rejected_delivery,
)
from dagster_project.alerts.notify import raise_alert, raise_alerts, raise_in_warehouse
from dagster_project.alerts.store import ensure_alert_table

__all__ = [
    "Alert",
    "AlertKind",
    "check_late",
    "deliver",
    "ensure_alert_table",
    "expected_date",
    "from_audit",
    "late_delivery",
    "markdown",
    "publish_failed",
    "raise_alert",
    "raise_alerts",
    "raise_in_warehouse",
    "rejected_delivery",
    "webhook_body",
]
