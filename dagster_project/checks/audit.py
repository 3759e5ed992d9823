"""The audit as blocking asset checks on the indicator store (issue 7, issue 11).

One audit run (audit/step.py ``run_audit``: the bounds and day-move rules,
completeness, the 普惠 NPL tolerance, GL reconciliation 账账核对 and the Great
Expectations suites on the marts, the pre-credit limits of customer-ops.md §5) reports
as one asset check per rule family on ``marts/indicator_value``,
``marts/mgr_indicator_value`` or ``marts/precredit``. The checks are blocking:
a failed blocking rule (severity ERROR) stops ``serving/serving_duckdb`` in the same
run, so nothing is published; a failed warning-only rule shows as WARN and does not.
The audit raises its alerts itself, as it did before Dagster ran it.
"""

from collections.abc import Iterator

# No `from __future__ import annotations`: Dagster resolves ResourceParam at runtime.
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    ResourceParam,
    multi_asset_check,
)

from dagster_project.assets.dbt import build_window, run_partition_keys
from dagster_project.audit import CheckResult
from dagster_project.audit.step import run_audit
from dagster_project.briefing import notice_not_published
from dagster_project.settings import Settings

ORG_STORE = AssetKey(["marts", "indicator_value"])
MGR_STORE = AssetKey(["marts", "mgr_indicator_value"])
PRECREDIT = AssetKey(["marts", "precredit"])

# (asset, check name) -> what it covers; audit check names map onto these by family
FAMILIES: dict[tuple[AssetKey, str], str] = {
    (ORG_STORE, "value_bounds"): "every value within its 口径 range (rates 0-1, counts ≥ 0)",
    (MGR_STORE, "value_bounds"): "every value within its 口径 range (rates 0-1, counts ≥ 0)",
    (ORG_STORE, "completeness"): "one row per active org, code and date, no duplicates",
    (MGR_STORE, "completeness"): "one row per active manager, code and date, no duplicates",
    (ORG_STORE, "dep_bal_day_move"): "no unexplained day-over-day DEP_BAL move above the limit",
    (ORG_STORE, "incl_npl_tolerance"): "普惠 NPL ratio within tolerance of the NPL ratio",
    (ORG_STORE, "gl_reconciliation"): "published balances agree with GL_BAL (账账核对)",
    (ORG_STORE, "great_expectations"): "Great Expectations suite on the org store",
    (MGR_STORE, "great_expectations"): "Great Expectations suite on the manager store",
    (PRECREDIT, "precredit_limits"): "every admitted customer has a limit, none above the "
                                     "cap of the seed precredit_parameters",
    (ORG_STORE, "other_rules"): "audit rules added later, until they get a family here",
}
AUDIT_SPECS = [AssetCheckSpec(name, asset=key, blocking=True, description=what)
               for (key, name), what in FAMILIES.items()]


def family_of(check_name: str) -> tuple[AssetKey, str]:
    """``value_bounds_mgr`` → (mgr store, value_bounds); ``ge_marts_org_…`` → GE on org."""
    if check_name.startswith("ge_marts_"):
        grain = check_name.removeprefix("ge_marts_").split("_", 1)[0]
        return (MGR_STORE if grain == "mgr" else ORG_STORE), "great_expectations"
    if (PRECREDIT, check_name) in FAMILIES:
        return PRECREDIT, check_name
    key = MGR_STORE if check_name.endswith("_mgr") else ORG_STORE
    name = check_name.removesuffix("_org").removesuffix("_mgr")
    return (key, name) if (key, name) in FAMILIES else (ORG_STORE, "other_rules")


def check_results(checks: tuple[CheckResult, ...]) -> Iterator[AssetCheckResult]:
    """One AssetCheckResult per family: failed if any of its checks failed, ERROR
    (blocking) if any failed check is blocking; the failures name date and rule."""
    by_family: dict[tuple[AssetKey, str], list[CheckResult]] = {k: [] for k in FAMILIES}
    for c in checks:
        by_family[family_of(c.check_name)].append(c)
    for (key, name), results in by_family.items():
        failed = [c for c in results if not c.passed]
        blocking = any(c.blocking for c in failed)
        yield AssetCheckResult(
            asset_key=key, check_name=name, passed=not failed,
            severity=AssetCheckSeverity.ERROR if blocking else AssetCheckSeverity.WARN,
            description=(f"{len(failed)} of {len(results)} failed" if failed
                         else f"{len(results)} passed"),
            metadata={
                "checks": len(results),
                "failures": MetadataValue.text("\n".join(
                    f"- {c.biz_date or 'all dates'} `{c.check_name}` "
                    f"({'blocking' if c.blocking else 'warning'}): {c.detail}"
                    for c in failed) or "none"),
            })


@multi_asset_check(specs=AUDIT_SPECS, name="audit", can_subset=False,
                   description="The audit gate between build and publish (issue 7).")
def audit_checks(context: AssetCheckExecutionContext,
                 settings: ResourceParam[Settings]) -> Iterator[AssetCheckResult]:
    window = build_window(settings, run_partition_keys(context.run.tags))
    result = run_audit(settings, window.from_date)
    context.log.info(f"audit {result.run_id} of {len(result.biz_dates)} date(s) from "
                     f"{window.from_date}: {'passed' if result.passed else 'BLOCKED'}")
    if not result.passed:
        context.log.error(f"audit blocked publication:\n{result.reason()}")
        # issue 16: the date will not publish, so its recipients get 数据未更新, no figures
        notice_not_published(settings, window.through, say=context.log.info)
    yield from check_results(result.checks)
