"""客户经营, the seventh dashboard (issue 15): tags, opportunities, the pre-credit
whitelist and a customer lookup, for the bank's marketing side and its managers.

It reads the customer-operations serving tables (:mod:`.customer_datasets`) and
follows dashboards.py's rules: every title with a unit, every number format and every
measure comes from dictionary.yml ``measures``; the date and org filters are the
shared ones, and row-level security alone opens each user on their own org. Two
filters of its own: 客户经理 (a manager's own customers, opportunities and whitelist)
and 客户号, which drives the lookup only and opens on the first customer the user may
see, so the lookup shows one customer, never a table of all of them.
"""

from __future__ import annotations

from dagster_project.superset.charts import NOT_NULL, bar, pie, pivot, table
from dagster_project.superset.dashboards import (
    FILTER_NOTE,
    ORG_VIEW,
    Dashboard,
    ExtraFilter,
    measure,
    measure_card,
    measure_format,
    measure_title,
)

TAG = "srv_customer_tag"
OVERLAP = "srv_customer_tag_overlap"
OPPORTUNITY = "srv_opportunity"
PRECREDIT = "srv_precredit"
LOOKUP = "srv_customer_lookup"
K = "custops_"
LOOKUP_CHARTS = frozenset({K + "lookup_profile", K + "lookup_assets", K + "lookup_tags",
                           K + "lookup_events"})
MANAGER_FILTER = ExtraFilter("mgr", "客户经理", "mgr_label", LOOKUP, parent="lvl4")
CUSTOMER_FILTER = ExtraFilter("cust", "客户号", "cust_no", LOOKUP, charts=LOOKUP_CHARTS,
                              parent="mgr", first=True, search=True)


def customer_ops() -> Dashboard:
    cards = [measure_card(K + "customers", "CUSTOMER_CNT"),
             measure_card(K + "opp_new", "OPP_NEW_CNT"),
             measure_card(K + "opp_open", "OPP_OPEN_CNT"),
             measure_card(K + "opp_due", "OPP_DUE_CNT"),
             measure_card(K + "admitted", "PRECREDIT_ADMITTED_CNT"),
             measure_card(K + "limit_sum", "PRECREDIT_LIMIT_SUM")]
    tags = [
        (bar(K + "tag_counts", measure_title("TAG_CUST_CNT"), TAG, "tag_name",
             [measure("TAG_CUST_CNT")], measure_format("TAG_CUST_CNT")), 4, 72),
        # 同时持有: customers holding both the row's and the column's tag; the diagonal is
        # each tag's holders. No totals: a customer counts once per pair.
        (pivot(K + "tag_overlap", "标签重叠：" + measure_title("TAG_PAIR_CUST_CNT"), OVERLAP,
               ["tag_a_name"], ["tag_b_name"], measure("TAG_PAIR_CUST_CNT"),
               fmt=measure_format("TAG_PAIR_CUST_CNT"), totals=False), 8, 72),
    ]
    counts = [measure("OPP_NEW_CNT"), measure("OPP_OPEN_CNT"), measure("OPP_DUE_CNT")]
    opportunities = [
        (bar(K + "opp_by_type", "商机（按类型）", OPPORTUNITY, "event_type_name", counts,
             measure_format("OPP_OPEN_CNT")), 4, 62),
        (table(K + "opp_by_org", "商机（按机构）", OPPORTUNITY,
               ["lvl2_org_name", "lvl3_org_name", "lvl4_org_name"],
               [*counts, measure("OPP_AMOUNT")]), 8, 62),
    ]
    # Each manager's list: the most urgent first (fewest days left), one row per event.
    call_list = [
        (table(K + "opp_list", "客户经理在途商机清单（剩余跟进天数少的在前）", OPPORTUNITY,
               ["mgr_label", "cust_no", "cust_name_masked", "event_type_name", "ref_no",
                "raised_dt", "due_dt", "status_name"],
               [measure("OPP_DAYS_LEFT"), measure("OPP_AMOUNT")],
               order_by=measure("OPP_DAYS_LEFT"), ascending=True, row_limit=1000,
               cell_bars=False), 12, 75),
    ]
    rejected = measure("PRECREDIT_REJECTED_CNT")
    whitelist = [
        (table(K + "whitelist_by_org", "预授信白名单（按机构）", PRECREDIT,
               ["lvl2_org_name", "lvl3_org_name", "lvl4_org_name"],
               [measure(c) for c in ("PRECREDIT_CUST_CNT", "PRECREDIT_ADMITTED_CNT",
                                     "PRECREDIT_ADMIT_RATE", "PRECREDIT_LIMIT_SUM",
                                     "PRECREDIT_LIMIT_AVG")],
               order_by=measure("PRECREDIT_LIMIT_SUM")), 8, 62),
        (pie(K + "reject_reasons", "未准入原因", PRECREDIT, "reject_reason_name", rejected,
             where={"reject_reason": NOT_NULL}, fmt=measure_format("PRECREDIT_REJECTED_CNT")),
         4, 62),
    ]
    rejections = [
        (pivot(K + "reject_by_org",
               "未准入原因（按机构）：" + measure_title("PRECREDIT_REJECTED_CNT"), PRECREDIT,
               ["lvl2_org_name", "lvl3_org_name"], ["reject_reason_name"], rejected,
               fmt=measure_format("PRECREDIT_REJECTED_CNT"),
               where={"reject_reason": NOT_NULL}), 12, 45),
    ]
    lookup = [
        [(table(K + "lookup_profile", "客户基本信息", LOOKUP,
                ["cust_no", "cust_name_masked", "cust_type_name", "age_text", "farmer_flag_name",
                 "education_name", "marital_name", "grid_name", "mgr_label", "org_name"], []),
          12, 16)],
        [(table(K + "lookup_assets", "资产与活跃", LOOKUP,
                ["dep_tier", "last_txn_dt", "last_visit_dt"],
                [measure(c) for c in ("CUST_DEP_BAL", "CUST_DEP_DAVG_MTD", "CUST_LOAN_BAL",
                                      "CUST_CREDIT_AMT", "CUST_MOBILE_TXN_30D",
                                      "CUST_POLICY_CNT")], cell_bars=False), 12, 16)],
        [(table(K + "lookup_tags", "客户标签与预授信", LOOKUP, ["tag_names", "precredit_result"],
                []), 12, 16)],
        [(table(K + "lookup_events", "客户在途商机", OPPORTUNITY,
                ["event_type_name", "ref_no", "raised_dt", "due_dt", "status_name"],
                [measure("OPP_DAYS_LEFT"), measure("OPP_AMOUNT")],
                order_by=measure("OPP_DAYS_LEFT"), ascending=True, cell_bars=False), 12, 28)],
    ]
    note = ("**客户经营**：客户画像、标签、商机与预授信白名单，口径见《客户经营》文档"
            "（customer-ops.md）。客户按管户客户经理及其所属机构归属；商机自触发日起跟进至到期日，"
            "无到期日的跟进7天，到期日在7天内为“临近到期”。客户名称已脱敏（张*），"
            "不含证件号码与手机号。" + FILTER_NOTE
            + "选择“客户经理”只看其管户客户。")
    lookup_note = ("**客户查询**：在筛选栏“客户号”中输入或选择客户号"
                   "（默认为可见范围内的第一个客户），查看其画像、标签、在途商机与预授信结果。")
    return Dashboard(
        "customer_ops", "客户经营", "customer-ops",
        rows=[[(note, 12, 12)], cards, tags, opportunities, call_list, whitelist, rejections,
              [(lookup_note, 12, 8)], *lookup],
        audience=ORG_VIEW, filters=(MANAGER_FILTER, CUSTOMER_FILTER))
