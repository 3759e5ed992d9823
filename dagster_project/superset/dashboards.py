"""The bank's dashboards, in Chinese: layout and filter scoping.

Layout follows the cockpits in docs/background (FanRuan 行长战情室, 贵州农信
走访监控): headline cards with changes against year and month start, trends,
legal-entity and sub-branch rankings (余额, 比年初, 比月初), then the manager
detail the sub-branch head pushes pressure down to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dagster_project.superset.charts import (
    Chart,
    bar,
    big_number,
    pie,
    pivot,
    scatter_map,
    table,
    trend,
)

ORG = "org_indicator_wide"
MGR = "mgr_indicator_scope"
CLASS = "loan_five_class"
MIGRATION = "loan_class_migration"
LAPSE = "policy_lapse_reasons"
VISITS = "visit_points"
SCORE = "mgr_scorecard"
STRUCT = "incl_structure"
PRODUCT = "loan_product_quality"
SELLER = "policy_lapse_by_seller"
GRIDS = "grid_points"
SEGMENT = {"dimension": "cust_segment"}
BY_PROD = {"dimension": "prod_cd"}
MONEY, PCT, COUNT = ",.0f", ".2%", ",.0f"
# The org filters open on the highest org the user may see (bundle.native_filters).
FILTER_NOTE = ("默认显示最新业务日期、本机构数据（全省用户为全省，法人行社/支行用户为本机构）；"
               "依次选择 法人行社 → 支行 → 网点 下钻。"
               "排名表列出所选日期的全部支行/网点（受数据权限限制）。")

Cell = tuple[Chart | str, int, int]  # (chart or markdown text, width of 12, height units)


@dataclass(frozen=True)
class Dashboard:
    key: str
    title: str
    slug: str
    rows: list[list[Cell]]
    # charts that show every date (trends) or every org (rankings), by chart key
    not_by_date: frozenset[str] = field(default_factory=frozenset)
    not_by_org: frozenset[str] = field(default_factory=frozenset)

    def charts(self) -> list[Chart]:
        return [c for row in self.rows for c, _, _ in row if isinstance(c, Chart)]


def _card(key: str, title: str, metric: str, fmt: str, sub: str = "") -> Cell:
    return (big_number(key, title, ORG, metric, fmt, sub), 2, 28)


def cockpit() -> Dashboard:
    money, pct = ",.0f", ".2%"
    headline = [
        _card("cockpit_dep_bal", "各项存款余额（元）", "dep_bal", money),
        _card("cockpit_loan_bal", "各项贷款余额（元）", "loan_bal", money),
        _card("cockpit_npl_ratio", "不良贷款率", "npl_ratio", pct),
        _card("cockpit_incl_bal", "普惠贷款余额（元）", "incl_bal", money),
        _card("cockpit_two_increase", "两增达标（1=达标）", "two_increase_met", "d",
              "普惠增速≥各项贷款增速且户数不减"),
        _card("cockpit_visit_mtd", "本月走访次数", "visit_cnt_mtd", ",.0f"),
    ]
    changes = [
        _card("cockpit_dep_ytd", "存款比年初（元）", "dep_bal_ytd_chg", money),
        _card("cockpit_dep_mtd", "存款比月初（元）", "dep_bal_mtd_chg", money),
        _card("cockpit_loan_ytd", "贷款比年初（元）", "loan_bal_ytd_chg", money),
        _card("cockpit_npl_ytd", "不良率比年初", "npl_ratio_ytd_chg", pct),
        _card("cockpit_incl_ytd", "普惠贷款比年初（元）", "incl_bal_ytd_chg", money),
        _card("cockpit_visit_ytd", "本年走访次数", "visit_cnt_ytd", ",.0f"),
    ]
    trends = [
        (trend("cockpit_trend_bal", "存贷款余额走势", ORG, ["dep_bal", "loan_bal", "incl_bal"],
               "~s"), 6, 50),
        (trend("cockpit_trend_ratio", "不良率与普惠占比走势", ORG,
               ["npl_ratio", "ovd_ratio", "incl_share"], ".2%"), 6, 50),
    ]
    warnings = [  # issue 16: the day's business early warnings, under row-level security
        (table("cockpit_warnings", "今日经营预警", "business_warnings",
               ["severity_label", "rule_name", "org_name"],
               ["warning_cnt", "warning_value", "warning_threshold"], row_limit=200), 12, 50),
    ]
    rank_metrics = ["dep_bal", "dep_bal_ytd_chg", "dep_bal_mtd_chg", "loan_bal",
                    "loan_bal_ytd_chg", "npl_ratio", "incl_bal"]
    rank_legal = [
        (table("cockpit_rank_legal", "法人行社排名（存款余额）", ORG, ["org_name"], rank_metrics,
               where={"org_level": 2}), 12, 45),
    ]
    rank_branch = [
        (table("cockpit_rank_branch", "支行排名（存款余额）", ORG, ["lvl2_org_name", "org_name"],
               rank_metrics, where={"org_level": 3}), 12, 60),
    ]
    managers = [
        (table("cockpit_mgr_deposit", "客户经理存款明细", MGR,
               ["mgr_no", "mgr_name", "mgr_org_name"],
               ["dep_bal", "dep_bal_ytd_chg", "dep_davg_mtd", "dep_davg_ytd", "loan_bal",
                "visit_cnt_mtd"], row_limit=200), 12, 60),
    ]
    note = ("**口径**：所有数字取自已发布的指标库（indicator_value），与《指标字典》一致。"
            "默认显示最新业务日期、本机构数据：全省用户为全省（法人行社/支行/网点 = 全部），"
            "法人行社、支行用户为本行社、本支行；依次选择 法人行社 → 支行 → 网点 下钻。"
            "排名表按所选日期列出全部机构（受数据权限限制）；右键任一数字可“钻取明细”。")
    return Dashboard(
        "cockpit", "行长战情室", "cockpit",
        rows=[[(note, 12, 12)], headline, changes, warnings, trends, rank_legal, rank_branch,
              managers],
        not_by_date=frozenset({"cockpit_trend_bal", "cockpit_trend_ratio"}),
        not_by_org=frozenset({"cockpit_rank_legal", "cockpit_rank_branch"}),
    )


def inclusive() -> Dashboard:
    k = "incl_"
    cards = [
        _card(k + "bal", "普惠贷款余额（元）", "incl_bal", MONEY),
        _card(k + "cust", "普惠贷款户数", "incl_cust_cnt", COUNT),
        _card(k + "share", "普惠贷款占比", "incl_share", PCT),
        _card(k + "growth", "普惠贷款增速", "incl_growth_ytd", PCT),
        _card(k + "loan_growth", "各项贷款增速", "loan_growth_ytd", PCT),
        _card(k + "two_increase", "两增达标（1=达标）", "two_increase_met", "d",
              "普惠增速≥各项贷款增速且户数不减"),
    ]
    cards2 = [
        _card(k + "bal_ytd", "普惠贷款比年初（元）", "incl_bal_ytd_chg", MONEY),
        _card(k + "cust_ytd", "普惠户数比年初", "incl_cust_ytd_chg", COUNT),
        _card(k + "npl", "普惠不良率", "incl_npl_ratio", PCT,
              "容忍度：≤ 各项贷款不良率 + 3个百分点"),
        _card(k + "bank_npl", "各项贷款不良率", "npl_ratio", PCT),
        _card(k + "coverage", "网格授信覆盖率", "grid_credit_coverage", PCT),
        _card(k + "use_rate", "用信率", "credit_use_rate", PCT),
    ]
    trends = [
        (trend(k + "trend_bal", "普惠贷款余额与户数走势", ORG, ["incl_bal"], "~s"), 6, 50),
        (trend(k + "trend_npl", "普惠不良率与各项贷款不良率", ORG,
               ["incl_npl_ratio", "npl_ratio"], PCT), 6, 50),
    ]
    ranking = [
        (table(k + "rank", "支行普惠贷款净增排名", ORG, ["lvl2_org_name", "org_name"],
               ["incl_bal_ytd_chg", "incl_bal", "incl_cust_cnt", "incl_cust_ytd_chg",
                "incl_growth_ytd", "loan_growth_ytd", "two_increase_met", "incl_npl_ratio"],
               where={"org_level": 3}), 12, 55),
    ]
    grid = [
        (bar(k + "grid", "网格授信覆盖与用信（支行）", ORG, "org_name",
             ["grid_credit_coverage", "credit_use_rate"], PCT, where={"org_level": 3}), 6, 50),
        (table(k + "grid_table", "网格户数与授信户数（支行）", ORG, ["org_name"],
               ["grid_hh_cnt", "credit_cust_cnt", "grid_credit_coverage", "credit_use_rate"],
               where={"org_level": 3}, order_by="grid_credit_coverage"), 6, 50),
    ]
    structure = [
        (pie(k + "by_segment", "普惠贷款结构（客户类型，余额）", STRUCT, "member_label",
             "struct_incl_bal", where=SEGMENT), 4, 55),
        (table(k + "segment_table", "普惠贷款按客户类型", STRUCT,
               ["cust_type_group", "member_label"],
               ["struct_incl_bal", "struct_incl_cust", "struct_incl_loans"], where=SEGMENT),
         4, 55),
        (table(k + "product_table", "普惠贷款按产品", STRUCT, ["member_label"],
               ["struct_incl_bal", "struct_incl_cust", "struct_incl_loans"], where=BY_PROD),
         4, 55),
    ]
    note = ("**普惠金融**：“两增”= 普惠型贷款增速不低于各项贷款增速、有贷款余额户数不低于年初；"
            "普惠不良率容忍度为不高于各项贷款不良率3个百分点。" + FILTER_NOTE)
    return Dashboard("inclusive", "普惠金融", "inclusive",
                     rows=[[(note, 12, 12)], cards, cards2, structure, trends, ranking, grid],
                     not_by_date=frozenset({k + "trend_bal", k + "trend_npl"}),
                     not_by_org=frozenset({k + "rank", k + "grid", k + "grid_table"}))


def asset_quality() -> Dashboard:
    k = "aq_"
    cards = [
        _card(k + "loan", "各项贷款余额（元）", "loan_bal", MONEY),
        _card(k + "sm", "关注类贷款余额（元）", "sm_bal", MONEY),
        _card(k + "npl_bal", "不良贷款余额（元）", "npl_bal", MONEY),
        _card(k + "npl", "不良贷款率", "npl_ratio", PCT),
        _card(k + "ovd", "逾期贷款率", "ovd_ratio", PCT),
        _card(k + "dev", "不良偏离度", "npl_deviation", PCT, "逾期90天以上 / 不良"),
    ]
    structure = [
        (pie("aq_five_class", "五级分类结构（余额）", CLASS, "five_class_label",
             "class_loan_bal"), 4, 55),
        (table("aq_five_class_table", "五级分类明细", CLASS, ["five_class", "five_class_label"],
               ["class_loan_bal", "class_loan_cnt", "class_ovd_bal"], order_by="class_loan_bal"),
         4, 55),
        (trend(k + "trend", "不良率、逾期率走势", ORG, ["npl_ratio", "ovd_ratio",
               "npl_ratio_ytd_chg"], PCT), 4, 55),
    ]
    by_org = [
        (bar(k + "by_org", "支行不良率与逾期率", ORG, "org_name", ["npl_ratio", "ovd_ratio"], PCT,
             where={"org_level": 3}), 12, 50),
    ]
    org_table = [
        (table(k + "org_table", "支行资产质量", ORG, ["lvl2_org_name", "org_name"],
               ["loan_bal", "npl_bal", "npl_ratio", "npl_ratio_ytd_chg", "ovd_bal", "ovd_ratio",
                "ovd90_bal", "npl_deviation"], where={"org_level": 3}, order_by="npl_ratio"),
         12, 50),
    ]
    by_product = [
        (bar(k + "by_product", "分产品不良率与逾期率", PRODUCT, "prod_cd",
             ["prod_npl_ratio", "prod_ovd_ratio"], PCT), 6, 50),
        (table(k + "product_table", "分产品资产质量", PRODUCT, ["prod_cd"],
               ["prod_loan_bal", "prod_npl_bal", "prod_npl_ratio", "prod_ovd_bal",
                "prod_ovd_ratio"], order_by="prod_loan_bal"), 6, 50),
    ]
    migration = [
        (pivot("aq_migration", "五级分类迁移（较上一日，余额）", MIGRATION, ["from_class_label"],
               ["to_class_label"], "migration_bal"), 7, 50),
        # All (from, to) pairs, not only downgrades: on a quiet day there are none, and
        # an empty table reads as broken. 是否下迁 marks the ones that matter.
        (table("aq_migration_list", "迁移明细（笔数与余额）", MIGRATION,
               ["from_class_label", "to_class_label", "downgrade_label"],
               ["migration_cnt", "migration_bal"]), 5, 50),
    ]
    note = "**资产质量**：五级分类、不良与逾期均取自已发布指标库及五级分类明细表。" + FILTER_NOTE
    return Dashboard("asset_quality", "资产质量", "asset-quality",
                     rows=[[(note, 12, 10)], cards, structure, by_product, by_org, org_table,
                           migration],
                     not_by_date=frozenset({k + "trend"}),
                     not_by_org=frozenset({k + "by_org", k + "org_table"}))


def visits() -> Dashboard:
    k = "visit_"
    cards = [
        _card(k + "d", "当日走访次数", "visit_cnt_d", COUNT),
        _card(k + "mtd", "本月走访次数", "visit_cnt_mtd", COUNT),
        _card(k + "ytd", "本年走访次数", "visit_cnt_ytd", COUNT),
        _card(k + "cust", "本月走访户数", "visit_cust_mtd", COUNT),
        _card(k + "per_mgr", "人均走访次数（本月）", "visit_per_mgr_mtd", ",.1f"),
        _card(k + "conv", "走访转化率（本月）", "visit_conv_mtd", PCT),
    ]
    map_row = [
        (scatter_map(k + "map", "当日走访点位", VISITS, "lon", "lat"), 8, 70),
        (table(k + "today", "当日走访明细", VISITS,
               ["mgr_name", "grid_name", "visit_type_label", "outcome_label", "satisfaction"],
               ["visit_records"], row_limit=500), 4, 70),
    ]
    grid_row = [
        (scatter_map(k + "grid_map", "网格中心点位", GRIDS, "lon", "lat", color=(31, 119, 180),
                     radius=2500), 8, 60),
        (table(k + "grid_table", "网格户数", GRIDS, ["grid_name", "org_name"],
               ["grid_households"], row_limit=500), 4, 60),
    ]
    breakdown = [
        (pie(k + "by_type", "当日走访类型", VISITS, "visit_type_label", "visit_records"), 3, 50),
        (pie(k + "by_outcome", "当日走访结果", VISITS, "outcome_label", "visit_records"), 3, 50),
        (trend(k + "trend", "每日走访次数", ORG, ["visit_cnt_d"], COUNT, kind="bar"), 4, 50),
        (big_number(k + "satis", "走访满意度（本月）", ORG, "visit_satis_mtd", ".2f",
                    "1–5分"), 2, 50),
    ]
    rankings = [
        (table(k + "rank_org", "支行走访排名（本月）", ORG, ["lvl2_org_name", "org_name"],
               ["visit_cnt_mtd", "visit_cust_mtd", "visit_per_mgr_mtd", "visit_conv_mtd",
                "visit_satis_mtd"], where={"org_level": 3}), 6, 55),
        (table(k + "rank_mgr", "客户经理走访排名（本月）", MGR, ["mgr_name", "mgr_org_name"],
               ["visit_cnt_mtd", "visit_conv_mtd"]), 6, 55),
    ]
    note = ("**走访监控**：点位为所选日期客户经理走访的定位，网格图为网格中心点（无在线底图）；"
            "人均走访 = 本月走访次数 / 在岗客户经理数，口径见《指标字典》。" + FILTER_NOTE)
    return Dashboard("visits", "走访监控", "visits",
                     rows=[[(note, 12, 10)], cards, map_row, grid_row, breakdown, rankings],
                     not_by_date=frozenset({k + "trend"}),
                     not_by_org=frozenset({k + "rank_org"}))


def policy_lapse() -> Dashboard:
    k = "lapse_"
    cards = [
        _card(k + "inforce", "有效保单件数", "policy_inforce_cnt", COUNT),
        _card(k + "grace", "宽限期保单件数", "policy_grace_cnt", COUNT),
        _card(k + "lapsed", "失效保单件数", "policy_lapsed_cnt", COUNT),
        _card(k + "rate", "失效率（件数）", "lapse_rate", PCT),
        _card(k + "rate_prem", "失效率（保费）", "lapse_rate_prem", PCT),
        _card(k + "followup", "失效清单处理率", "lapse_followup_rate", PCT),
    ]
    reasons = [
        (pie(k + "reasons", "失效原因（件数）", LAPSE, "lapse_reason_label", "reason_lapsed_cnt"),
         4, 55),
        (table(k + "reason_table", "失效原因与跟进", LAPSE, ["lapse_reason_label"],
               ["reason_lapsed_cnt", "reason_followed_cnt", "reason_lapsed_prem"]), 4, 55),
        (big_number(k + "renewal", "30天内应收续期保费（元）", ORG, "renewal_due_30d", MONEY,
                    "提醒客户按时缴费，防止失效"), 4, 25),
    ]
    by_org = [
        (table(k + "rank_org", "网点保单失效情况", ORG, ["lvl3_org_name", "org_name"],
               ["policy_inforce_cnt", "policy_lapsed_cnt", "lapse_rate", "lapse_rate_prem",
                "lapse_followup_rate", "renewal_due_30d"], where={"org_level": 4},
               order_by="lapse_rate"), 8, 55),
        (trend(k + "trend", "失效率走势", ORG, ["lapse_rate", "lapse_rate_prem",
               "lapse_followup_rate"], PCT), 4, 55),
    ]
    by_seller = [
        (table(k + "by_seller", "销售人员保单失效情况", SELLER, ["seller_no", "seller_name"],
               ["seller_inforce_cnt", "seller_lapsed_cnt", "seller_lapse_rate",
                "seller_lapse_rate_prem", "seller_followup_rate", "seller_lapsed_prem"],
               order_by="seller_lapsed_cnt", row_limit=500), 12, 55),
    ]
    note = ("**保单失效**：仅期交保单（年交/月交）可因未缴费失效，趸交不计；年化保费 = 月交×12。"
            "处理率 = 失效后有“保单续期跟进”走访的失效保单占比。" + FILTER_NOTE)
    return Dashboard("policy_lapse", "保单失效", "policy-lapse",
                     rows=[[(note, 12, 10)], cards, reasons, by_org, by_seller],
                     not_by_date=frozenset({k + "trend"}),
                     not_by_org=frozenset({k + "rank_org"}))


def performance() -> Dashboard:
    k = "perf_"
    rows = [
        [(bar(k + "total", "客户经理考核总分", SCORE, "mgr_name", ["sc_total_score"], ".1f",
              row_limit=30), 12, 50)],
        [(table(k + "board", "考核总分排名", SCORE, ["mgr_no", "mgr_name", "mgr_org_name",
                                                    "post_type_label"],
                ["sc_total_score"], row_limit=500), 5, 70),
         (table(k + "detail", "指标完成情况（完成值 / 目标 / 权重 / 完成率 / 得分）", SCORE,
                ["mgr_name", "indicator_name"],
                ["sc_value", "sc_target", "sc_weight", "sc_achievement", "sc_score"],
                order_by="sc_score", row_limit=2000), 7, 70)],
    ]
    note = ("**绩效考核**：按岗位（零售/对公/普惠）设定指标权重与目标（银行可在种子表中调整）；"
            "完成率 = 完成值/目标（不良率等越低越好的指标取 目标/完成值），封顶150%；"
            "得分 = 权重 × 完成率 × 100。" + FILTER_NOTE)
    return Dashboard("performance", "绩效考核", "performance", rows=[[(note, 12, 10)], *rows])


def all_dashboards() -> list[Dashboard]:
    return [cockpit(), inclusive(), asset_quality(), visits(), policy_lapse(), performance()]
