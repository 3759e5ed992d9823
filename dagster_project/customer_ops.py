"""The code lists of customer operations (客户经营, issue 15) with their Chinese names.

The tag, event and reject-reason codes and their 名称 are the contract's
(``customer-ops.md`` §3–§5); the opportunity statuses are Puhui's own reading of an
event on a later date (docs/customer-ops.md "On the dashboard"). They are seeded into
dbt with the extract's code lists (``seeds/code_labels.csv``, generated), so the
serving tables carry names and the 客户经营 dashboard shows 农户, not FARMER.
"""

from __future__ import annotations

TAG_NAMES: dict[str, str] = {  # §3, in the contract's order
    "FARMER": "农户",
    "MICRO_OWNER": "小微企业主",
    "BORROWER": "有贷户",
    "CREDIT_UNUSED": "授信未用信",
    "NPL": "不良客户",
    "MOBILE_ACTIVE": "手机银行活跃",
    "DORMANT": "睡眠户",
    "SENIOR": "老年客户",
    "VISITED_90D": "近90天已走访",
    "POLICY_HOLDER": "代理保险客户",
    "HIGH_VALUE": "高价值客户",
}
EVENT_TYPE_NAMES: dict[str, str] = {  # §4
    "TD_MATURE": "定期存款到期",
    "LOAN_MATURE": "贷款到期续贷",
    "BIG_OUTFLOW": "大额资金流出",
    "BIG_INFLOW": "大额资金流入",
    "LIMIT_UNUSED_30D": "授信30天未用信",
    "NEW_OVERDUE": "新增逾期",
}
REJECT_REASON_NAMES: dict[str, str] = {  # §5, in the order the rules are tried
    "AGE": "年龄不符",
    "BAD_LOAN": "存在不良或逾期",
    "BLACKLIST": "黑名单客户",
    "HAS_CREDIT": "已有有效授信",
    "LOW_SCORE": "评分不足",
}
# An event listed on a date after it was raised (srv_opportunity): still to work, or
# its due date is near (the window is in the model, docs/customer-ops.md).
OPPORTUNITY_STATUS_NAMES: dict[str, str] = {
    "open": "跟进中",
    "due": "临近到期",
}
CODE_LABELS: dict[str, dict[str, str]] = {
    "tag_code": TAG_NAMES,
    "event_type": EVENT_TYPE_NAMES,
    "reject_reason": REJECT_REASON_NAMES,
    "opportunity_status": OPPORTUNITY_STATUS_NAMES,
}
