"""What an alert is, and the alerts the pipeline raises (issue 7).

Titles are Chinese, for the bank's leaders who read them in the WeCom/DingTalk
group (【普惠数据】<date> …); details name dates, checks, orgs and counts only,
never PII. Every alert that means "today's figures are not there" says the
dashboards keep showing the last audited day, because that is what a leader
needs to know first.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Literal

from dagster_project.audit.clock import naive_beijing
from dagster_project.audit.result import AuditResult, CheckResult

AlertKind = Literal[
    "rejected_delivery", "audit_failed", "audit_warning", "late_delivery", "publish_failed"
]
Severity = Literal["critical", "warning"]

KIND_ZH: dict[str, str] = {
    "rejected_delivery": "数据文件校验未通过",
    "audit_failed": "数据审核未通过",
    "audit_warning": "数据审核提示",
    "late_delivery": "数据未按时送达",
    "publish_failed": "数据发布失败",
}
SEVERITY_ZH: dict[str, str] = {"critical": "严重", "warning": "提示"}
PREFIX = "【普惠数据】"
STILL_SERVING = "看板继续显示上一期已审核发布的数据。"


@dataclass(frozen=True)
class Alert:
    """One row of ``meta.alert``. ``raised_at`` is naive Beijing time."""

    kind: AlertKind
    biz_date: date | None
    severity: Severity
    title: str
    detail: str
    raised_at: datetime
    alert_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    delivered_to: str = ""


def _dates_label(dates: Sequence[date]) -> str:
    ds = sorted(dates)
    return ds[0].isoformat() if len(ds) == 1 else f"{ds[0].isoformat()} 至 {ds[-1].isoformat()}"


def _make(kind: AlertKind, severity: Severity, dates: Sequence[date], detail: str,
          now: datetime) -> Alert:
    return Alert(kind=kind, biz_date=max(dates) if dates else None, severity=severity,
                 title=f"{PREFIX}{_dates_label(dates)} {KIND_ZH[kind]}" if dates
                 else f"{PREFIX}{KIND_ZH[kind]}",
                 detail=detail, raised_at=naive_beijing(now))


def rejected_delivery(biz_date: date, reason: str, now: datetime) -> Alert:
    """The delivery of ``biz_date`` broke the T+1 contract and was quarantined.
    ``reason``: the ingest's rejection summary (it names files, lines and rules, no PII)."""
    detail = (f"{biz_date.isoformat()} 的数据文件未通过接口校验，已移入隔离区，未入库。"
              f"{STILL_SERVING}\n\n{reason}")
    return _make("rejected_delivery", "critical", [biz_date], detail, now)


def late_delivery(biz_date: date, deadline: time, now: datetime, *,
                  quarantined: bool = False) -> Alert:
    done = f"DONE_{biz_date:%Y%m%d}.flg"
    detail = (f"截至北京时间 {deadline:%H:%M}，未收到 {biz_date.isoformat()} 的完整数据 ({done})。"
              f"{STILL_SERVING}")
    if quarantined:
        detail += "\n该日数据曾送达但未通过校验，已在隔离区，请联系省联社重发。"
    return _make("late_delivery", "critical", [biz_date], detail, now)


def publish_failed(biz_dates: Sequence[date], reason: str, now: datetime) -> Alert:
    detail = f"数据已审核通过，但发布到看板库时失败。{STILL_SERVING}\n\n{reason}"
    return _make("publish_failed", "critical", biz_dates, detail, now)


def _check_lines(checks: Sequence[CheckResult]) -> str:
    return "\n".join(
        f"- {c.biz_date.isoformat() + ' ' if c.biz_date else ''}{c.title_zh} "
        f"({c.check_name}): {c.detail}"
        for c in checks
    )


def from_audit(result: AuditResult, now: datetime) -> list[Alert]:
    """At most two alerts per audit run: ``audit_failed`` (publication blocked) and
    ``audit_warning`` (flags such as the inclusive-NPL tolerance). One per run, not
    per date, so a 30-day backfill with one systemic fault sends one message."""
    alerts = []
    if result.blocking_failures:
        detail = (f"审核未通过，本次未发布。{STILL_SERVING}\n"
                  f"{_check_lines(result.blocking_failures)}\n审核批次 {result.run_id}")
        alerts.append(_make("audit_failed", "critical", result.blocked_dates, detail, now))
    if result.warnings:
        dates = sorted({c.biz_date for c in result.warnings if c.biz_date}
                       or set(result.biz_dates))
        detail = (f"以下情况需关注（不影响发布）：\n{_check_lines(result.warnings)}\n"
                  f"审核批次 {result.run_id}")
        alerts.append(_make("audit_warning", "warning", dates, detail, now))
    return alerts
