"""Results of the audit gate: one named check, and a whole audit run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

# Chinese headings of the checks for the leaders' alerts; engineers read the
# English ``detail`` and the check name (which is also meta.audit_log.check_name).
CHECK_NAMES_ZH: dict[str, str] = {
    "value_bounds_org": "机构指标取值超出口径范围",
    "value_bounds_mgr": "客户经理指标取值超出口径范围",
    "dep_bal_day_move": "机构存款余额日变动过大且无说明",
    "completeness_org": "机构指标不完整或重复",
    "completeness_mgr": "客户经理指标不完整或重复",
    "incl_npl_tolerance": "普惠不良率高于各项贷款不良率容忍度",
    "dbt_tests": "dbt 测试",
    "great_expectations": "数据质量规则 (Great Expectations)",
    "gl_reconciliation": "总账核对 (账账核对)",
    "precredit_limits": "预授信额度缺失或超过上限",
    # Great Expectations on the marts (audit/marts_quality.py), per grain
    **{f"ge_marts_{g}_{what}": f"{g_zh}{what_zh} (Great Expectations)"
       for g, g_zh, key_zh in (("org", "机构指标", "机构号"), ("mgr", "客户经理指标", "客户经理号"))
       for what, what_zh in (
           ("not_null_biz_date", "业务日期为空"),
           (f"not_null_{g}_no", f"{key_zh}为空"),
           ("not_null_indicator_code", "指标代码为空"),
           ("code_in_dictionary", "指标代码不在指标字典中"),
           ("unique_key", "主键重复"),
           ("value_finite", "取值非有限数 (NaN/无穷)"),
           ("row_count", "当日无数据"),
       )},
}


@dataclass(frozen=True)
class CheckResult:
    """One named check on one business date (or on the whole run if ``biz_date`` is None).

    Other components (dbt tests, Great Expectations suites, GL reconciliation)
    hand their outcome to :func:`dagster_project.audit.audit` in this shape so
    one gate decides on publication and one log records why (issue 7).
    ``detail`` must not contain PII: org and manager numbers, codes and counts only.
    """

    check_name: str
    passed: bool
    blocking: bool
    detail: str = ""
    biz_date: date | None = None

    @classmethod
    def of(cls, item: CheckResult | Sequence[object]) -> CheckResult:
        """Accept a CheckResult or a (check_name, passed, blocking, detail[, biz_date]) tuple."""
        if isinstance(item, CheckResult):
            return item
        name, passed, blocking, detail, *rest = item
        return cls(str(name), bool(passed), bool(blocking), str(detail),
                   rest[0] if rest else None)  # type: ignore[arg-type]

    @property
    def is_blocking_failure(self) -> bool:
        return self.blocking and not self.passed

    @property
    def is_warning(self) -> bool:
        return not self.blocking and not self.passed

    @property
    def title_zh(self) -> str:
        return CHECK_NAMES_ZH.get(self.check_name, self.check_name)

    def applies_to(self, d: date) -> bool:
        return self.biz_date is None or self.biz_date == d


@dataclass(frozen=True)
class AuditResult:
    """Every check of one audit run over ``biz_dates``.

    Publication is all or nothing for the run: the warehouse store holds all
    dates built, so one blocked date blocks the publish and yesterday's
    publication keeps serving (issue 7).
    """

    run_id: str
    biz_dates: tuple[date, ...]
    checks: tuple[CheckResult, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        """True when no blocking check failed: publish may go ahead."""
        return not self.blocking_failures

    @property
    def blocking_failures(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if c.is_blocking_failure)

    @property
    def warnings(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if c.is_warning)

    @property
    def blocked_dates(self) -> tuple[date, ...]:
        return tuple(d for d in self.biz_dates
                     if any(c.applies_to(d) for c in self.blocking_failures))

    @property
    def publishable_through(self) -> date | None:
        """The last date of the run before the first blocked one, or None if the first
        is blocked (or a blocking failure has no date). Lets a first load or a backfill
        publish its good leading days instead of nothing; dates after a blocked
        one are never published, so a dashboard never skips a day."""
        if any(c.biz_date is None for c in self.blocking_failures):
            return None
        good = None
        for d in self.biz_dates:
            if d in self.blocked_dates:
                break
            good = d
        return good

    def for_date(self, d: date) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if c.applies_to(d))

    def reason(self) -> str:
        """One line per blocking failure, for logs and the publish step's refusal."""
        return "\n".join(
            f"{c.biz_date.isoformat() if c.biz_date else 'all dates'} {c.check_name}: {c.detail}"
            for c in self.blocking_failures
        )
