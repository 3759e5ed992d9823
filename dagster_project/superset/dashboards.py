"""The bank's dashboards, in Chinese: layout and filter scoping.

Layout follows the cockpits in docs/background (FanRuan 行长战情室, 贵州农信
走访监控): headline cards with changes against year and month start, trends,
legal-entity and sub-branch rankings (余额, 比年初, 比月初), then the manager
detail the sub-branch head pushes pressure down to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dagster_project.indicators import indicator, load_measures
from dagster_project.superset.charts import (
    NOT_NULL,
    Chart,
    bar,
    big_number,
    pie,
    pivot,
    scatter_map,
    table,
    trend,
)
from dagster_project.superset.metrics import MetricVariant, variants

# Which serving table holds an indicator's parts (dictionary ``fact``).
FACT_DATASET = {"leaf": "srv_indicator_leaf", "customer": "srv_indicator_customer",
                "flags": "srv_org_flags_daily"}
LEAF = FACT_DATASET["leaf"]
CUSTOMER = FACT_DATASET["customer"]
FLAGS = FACT_DATASET["flags"]
MIGRATION = "srv_loan_migration"
VISITS = "srv_visit_points"
WARNINGS = "srv_business_warnings"
SCORE = "srv_mgr_scorecard"
GRIDS = "srv_grid_points"
# Money as the bank reads it: 亿元 for cards and trends at bank level and above, 万元
# for what sits below (支行/网点 rankings, products, managers).
BANK, BRANCH = "亿元", "万元"
UNDER_LVL2 = {"lvl2_org_no": NOT_NULL}  # rows under some 法人行社 (not 省联社本级)
UNDER_LVL3 = {"lvl3_org_no": NOT_NULL}
AT_OUTLETS = {"org_level": 4}
FILTER_NOTE = ("默认显示最新业务日期、本人可见的全部机构"
               "（全省用户为全省，法人行社/支行用户为本机构）；"
               "依次选择 法人行社 → 支行 → 网点 下钻，不选即为全部。")

Cell = tuple[Chart | str, int, int]  # (chart or markdown text, width of 12, height units)


# Who a dashboard is for (Superset DASHBOARD_RBAC, rls.sync_dashboard_roles): money
# cards read in 亿元 for the province and its 法人行社, in 万元 for a 支行. Dashboards
# with no money card serve everyone. Customer-level dashboards (客户经营) serve the
# province-wide readers and every org role, not a bare reader (ORG_VIEW).
EVERYONE, BANK_VIEW, BRANCH_VIEW, ORG_VIEW = "everyone", "bank", "branch", "org"
BRANCH_SUFFIX = ("_branch", "-branch", "（支行）")  # key, slug, title of a 万元 variant


@dataclass(frozen=True)
class ExtraFilter:
    """A native filter of one dashboard, after 业务日期 and 法人行社 → 支行 → 网点.

    ``charts``: the chart keys it applies to; None applies it to every chart whose
    dataset has ``column``. ``parent``: the filter it cascades from (``lvl4`` = 网点,
    or another extra filter's key), so its options are those under the chosen org.
    ``first``: required, opening on its first value in ascending order (a lookup that
    shows one record, never the whole table); ``search``: options searched on the
    server as one types (tens of thousands of values)."""

    key: str
    name: str
    column: str
    dataset: str
    charts: frozenset[str] | None = None
    parent: str | None = None
    first: bool = False
    search: bool = False


@dataclass(frozen=True)
class Dashboard:
    key: str
    title: str
    slug: str
    rows: list[list[Cell]]
    # charts that show every date (trends) or every org (rankings), by chart key
    not_by_date: frozenset[str] = field(default_factory=frozenset)
    not_by_org: frozenset[str] = field(default_factory=frozenset)
    audience: str = EVERYONE
    filters: tuple[ExtraFilter, ...] = ()

    def charts(self) -> list[Chart]:
        return [c for row in self.rows for c, _, _ in row if isinstance(c, Chart)]


def shown(code: str, scale: str = BANK) -> MetricVariant:
    """The metric of ``code`` as shown: money in ``scale``, a ratio change in 个百分点."""
    options = variants(indicator(code))
    for v in options:
        if v.percentage_points:
            return v
    for v in options:
        if v.scale == scale:
            return v
    return options[0]


def names(codes: list[str], scale: str = BRANCH) -> list[str]:
    return [shown(c, scale).name for c in codes]


def fmt(code: str, scale: str = BANK) -> str:
    return shown(code, scale).d3format


def _dataset(codes: list[str]) -> str:
    facts = {indicator(c).fact for c in codes}
    if len(facts) != 1:
        raise ValueError(f"{codes} span the facts {sorted(facts)}: one chart reads one table")
    return FACT_DATASET[facts.pop()]


def card(key: str, code: str, scale: str = BANK) -> Cell:
    """A headline card: the dictionary's title, unit and format for ``code``."""
    ind = indicator(code)
    if ind.aggregation == "flag":
        # 达标 / 未达标 as words, with the reason beside it when the flag is undefined
        return (table(key, ind.name_zh, FLAGS, [],
                      [ind.column_name + "_label", ind.column_name + "_note"]), 2, 28)
    v = shown(code, scale)
    return (big_number(key, v.title, _dataset([code]), v.name, v.d3format), 2, 28)


def _variant(key: str, title: str, slug: str, scale: str) -> tuple[str, str, str, str]:
    """Key, title, slug and audience of a dashboard shown with money in ``scale``."""
    if scale == BANK:
        return key, title, slug, BANK_VIEW
    k, sl, t = BRANCH_SUFFIX
    return key + k, title + t, slug + sl, BRANCH_VIEW


def in_scale(key: str, scale: str) -> str:
    """The chart key of a money chart in ``scale``: the 万元 copy is a chart of its own."""
    return key if scale == BANK else f"{key}_wan"


def money_card(key: str, code: str, scale: str) -> Cell:
    """A money card in ``scale``; its 万元 copy has a key of its own (:func:`in_scale`)."""
    return card(in_scale(key, scale), code, scale)


def series_title(codes: list[str], scale: str, what: str) -> str:
    """A chart title from the dictionary names of its metrics and their one unit."""
    vs = [shown(c, scale) for c in codes]
    unit = {indicator(c).unit_label(scale) for c in codes}
    text = "、".join(indicator(c).name_zh for c in codes)
    one_unit = unit.pop() if len(unit) == 1 and "" not in unit and vs else ""
    if what.startswith("（"):  # a qualifier: 不良贷款率（按法人行社）, 贷款余额（万元，按产品）
        inner = what[1:-1]
        return f"{text}（{one_unit}，{inner}）" if one_unit else f"{text}（{inner}）"
    return f"{text}{what}（{one_unit}）" if one_unit else text + what


def measure(code: str) -> str:
    return code.lower()


def measure_title(code: str) -> str:
    return next(m for m in load_measures() if m.code == code).title()


def measure_format(code: str) -> str:
    return next(m for m in load_measures() if m.code == code).format


def measure_card(key: str, code: str) -> Cell:
    """A card of a display measure: its title, unit, format and table from the dictionary."""
    m = next(m for m in load_measures() if m.code == code)
    return (big_number(key, m.title(), m.table, m.column_name, m.format), 2, 28)


def cockpit(scale: str = BANK) -> Dashboard:
    """The president's cockpit; ``scale`` 万元 is the 支行 head's copy (its own cards,
    trend and outlet ranking; the other charts are shared)."""
    headline = [money_card("cockpit_dep_bal", "DEP_BAL", scale),
                money_card("cockpit_loan_bal", "LOAN_BAL", scale),
                card("cockpit_npl_ratio", "NPL_RATIO"),
                money_card("cockpit_incl_bal", "INCL_BAL", scale),
                card("cockpit_two_increase", "TWO_INCREASE_MET"),
                card("cockpit_visit_mtd", "VISIT_CNT_MTD")]
    changes = [money_card("cockpit_dep_ytd", "DEP_BAL_YTD_CHG", scale),
               money_card("cockpit_dep_mtd", "DEP_BAL_MTD_CHG", scale),
               money_card("cockpit_loan_ytd", "LOAN_BAL_YTD_CHG", scale),
               card("cockpit_npl_ytd", "NPL_RATIO_YTD_CHG"),
               money_card("cockpit_incl_ytd", "INCL_BAL_YTD_CHG", scale),
               card("cockpit_visit_ytd", "VISIT_CNT_YTD")]
    bal = ["DEP_BAL", "LOAN_BAL", "INCL_BAL"]
    ratios = ["NPL_RATIO", "OVD_RATIO", "INCL_SHARE"]
    trend_bal = in_scale("cockpit_trend_bal", scale)
    trends = [
        (trend(trend_bal, series_title(bal, scale, "走势"), LEAF, names(bal, scale),
               fmt("DEP_BAL", scale)), 6, 50),
        (trend("cockpit_trend_ratio", series_title(ratios, BANK, "走势"), LEAF, names(ratios),
               fmt("NPL_RATIO")), 6, 50),
    ]
    rank = ["DEP_BAL", "DEP_BAL_YTD_CHG", "DEP_BAL_MTD_CHG", "LOAN_BAL", "LOAN_BAL_YTD_CHG",
            "NPL_RATIO", "INCL_BAL"]
    if scale == BANK:
        rankings = [
            [(table("cockpit_rank_legal", "法人行社排名（按" + shown("DEP_BAL").title + "）",
                    LEAF, ["lvl2_org_name"], names(rank, BANK), where=UNDER_LVL2), 12, 45)],
            [(table("cockpit_rank_branch", "支行排名（按" + shown("DEP_BAL", BRANCH).title
                    + "）", LEAF, ["lvl2_org_name", "lvl3_org_name"], names(rank),
                    where=UNDER_LVL3), 12, 60)]]
        by_org = {"cockpit_rank_legal", "cockpit_rank_branch"}
    else:  # a 支行 sees one 支行: rank its outlets (网点) instead
        rankings = [[(table("cockpit_rank_outlet", "网点排名（按" + shown("DEP_BAL", BRANCH).title
                            + "）", LEAF, ["lvl3_org_name", "lvl4_org_name"], names(rank),
                            where={"lvl4_org_name": NOT_NULL}), 12, 60)]]
        by_org = {"cockpit_rank_outlet"}
    mgr = ["DEP_BAL", "DEP_BAL_YTD_CHG", "DEP_DAVG_MTD", "DEP_DAVG_YTD", "LOAN_BAL",
           "VISIT_CNT_MTD"]
    managers = [(table("cockpit_mgr_deposit", "客户经理明细", LEAF,
                       ["mgr_no", "mgr_name", "mgr_org_name"], names(mgr), row_limit=200,
                       where={"mgr_no": NOT_NULL}), 12, 60)]
    # issue 16: the day's business early warnings, under row-level security; value and
    # threshold are dbt's text in each rule's unit (-10.50%, 7.39万元), so rules of
    # different units share the columns and a row of several firings still reads.
    warnings = [
        (table("cockpit_warnings", "今日经营预警", WARNINGS,
               ["severity_name", "rule_name", "org_name", "value_text", "threshold_text"],
               ["warning_cnt"], row_limit=200), 12, 50)]
    units = ("卡片与走势以亿元显示，支行与客户经理明细以万元显示" if scale == BANK
             else "本页为支行版：卡片、走势与明细均以万元显示")
    note = ("**口径**：所有指标由《指标字典》生成：余额按记账机构求和，"
            "比率为分子分母各自求和后相除，"
            "户数按客户去重，两增只对法人行社判定；与已发布的指标库（indicator_value）一致。"
            + units + "；比年初变化的比率以个百分点显示；"
            "口径规定为空的指标（如上年末未加载时的比年初）显示 —，下方注明原因，不记为0。"
            + FILTER_NOTE)
    key, title, slug, audience = _variant("cockpit", "行长战情室", "cockpit", scale)
    return Dashboard(
        key, title, slug,
        rows=[[(note, 12, 12)], headline, changes, warnings, trends, *rankings, managers],
        not_by_date=frozenset({trend_bal, "cockpit_trend_ratio"}),
        not_by_org=frozenset(by_org), audience=audience,
    )


def inclusive(scale: str = BANK) -> Dashboard:
    k = "incl_"
    cards = [money_card(k + "bal", "INCL_BAL", scale), card(k + "cust", "INCL_CUST_CNT"),
             card(k + "share", "INCL_SHARE"), card(k + "growth", "INCL_GROWTH_YTD"),
             card(k + "loan_growth", "LOAN_GROWTH_YTD"),
             card(k + "two_increase", "TWO_INCREASE_MET")]
    cards2 = [money_card(k + "bal_ytd", "INCL_BAL_YTD_CHG", scale),
              card(k + "cust_ytd", "INCL_CUST_YTD_CHG"),
              card(k + "npl", "INCL_NPL_RATIO"), card(k + "bank_npl", "NPL_RATIO"),
              card(k + "coverage", "GRID_CREDIT_COVERAGE"), card(k + "use_rate", "CREDIT_USE_RATE")]
    npl = ["INCL_NPL_RATIO", "NPL_RATIO"]
    trend_bal = in_scale(k + "trend_bal", scale)
    trends = [
        (trend(trend_bal, series_title(["INCL_BAL"], scale, "走势"), LEAF,
               names(["INCL_BAL"], scale), fmt("INCL_BAL", scale)), 6, 50),
        (trend(k + "trend_npl", series_title(npl, BANK, "走势"), LEAF, names(npl),
               fmt("NPL_RATIO")), 6, 50),
    ]
    rank = ["INCL_BAL_YTD_CHG", "INCL_BAL", "INCL_GROWTH_YTD", "LOAN_GROWTH_YTD",
            "INCL_NPL_RATIO"]
    ranking = [
        (table(k + "rank", "支行普惠贷款排名（按" + shown("INCL_BAL_YTD_CHG", BRANCH).title + "）",
               LEAF, ["lvl2_org_name", "lvl3_org_name"], names(rank), where=UNDER_LVL3),
         7, 55),
        (table(k + "rank_cust", "支行普惠户数", CUSTOMER, ["lvl2_org_name", "lvl3_org_name"],
               names(["INCL_CUST_CNT", "INCL_CUST_YTD_CHG"]), where=UNDER_LVL3), 5, 55),
    ]
    grid_codes = ["GRID_CREDIT_COVERAGE", "CREDIT_USE_RATE"]
    grid = [
        (bar(k + "grid", series_title(grid_codes, BRANCH, "（支行）"), CUSTOMER, "lvl3_org_name",
             names(grid_codes), fmt("GRID_CREDIT_COVERAGE"), where=UNDER_LVL3), 6, 50),
        (table(k + "grid_table", series_title(["GRID_HH_CNT", "CREDIT_CUST_CNT"], BRANCH,
                                              "（支行）"), CUSTOMER, ["lvl3_org_name"],
               names(["GRID_HH_CNT", "CREDIT_CUST_CNT", *grid_codes]), where=UNDER_LVL3,
               order_by=shown("GRID_CREDIT_COVERAGE").name), 6, 50),
    ]
    seg = names(["INCL_BAL"], BRANCH)[0]
    structure = [
        (pie(k + "by_segment", series_title(["INCL_BAL"], BRANCH, "（按客户类型）"), LEAF,
             "cust_type_name", seg, fmt=fmt("INCL_BAL", BRANCH),
             where={"cust_type_name": NOT_NULL}), 4, 55),
        (table(k + "segment_table", "普惠贷款按客户类型", CUSTOMER, ["cust_type_name"],
               names(["INCL_CUST_CNT"]), where={"role": "incl"}), 4, 55),
        (table(k + "product_table", series_title(["INCL_BAL"], BRANCH, "（按产品）"), LEAF,
               ["prod_name"], [seg], where={"prod_name": NOT_NULL}), 4, 55),
    ]
    note = ("**普惠金融**：“两增”= 普惠型贷款增速不低于各项贷款增速、有贷款余额户数不低于年初，"
            "按法人行社判定；普惠不良率容忍度为不高于各项贷款不良率3个百分点。" + FILTER_NOTE)
    key, title, slug, audience = _variant("inclusive", "普惠金融", "inclusive", scale)
    return Dashboard(key, title, slug,
                     rows=[[(note, 12, 12)], cards, cards2, structure, trends, ranking, grid],
                     not_by_date=frozenset({trend_bal, k + "trend_npl"}),
                     not_by_org=frozenset({k + "rank", k + "rank_cust", k + "grid",
                                           k + "grid_table"}), audience=audience)


def asset_quality(scale: str = BANK) -> Dashboard:
    k = "aq_"
    cards = [money_card(k + "loan", "LOAN_BAL", scale), money_card(k + "sm", "SM_BAL", scale),
             money_card(k + "npl_bal", "NPL_BAL", scale), card(k + "npl", "NPL_RATIO"),
             card(k + "ovd", "OVD_RATIO"), card(k + "dev", "NPL_DEVIATION")]
    by_class = names(["LOAN_BAL"], BRANCH)[0]
    structure = [
        (pie("aq_five_class", series_title(["LOAN_BAL"], BRANCH, "（按五级分类）"), LEAF,
             "five_class_name", by_class, fmt=fmt("LOAN_BAL", BRANCH),
             where={"five_class": NOT_NULL}), 4, 55),
        (table("aq_five_class_table", "五级分类明细", LEAF, ["five_class_name"],
               [by_class, measure("LOAN_COUNT"), *names(["OVD_BAL"])],
               where={"five_class": NOT_NULL}, order_by=measure("LOAN_COUNT")), 4, 55),
        (trend(k + "trend", series_title(["NPL_RATIO", "OVD_RATIO"], BANK, "走势"), LEAF,
               names(["NPL_RATIO", "OVD_RATIO"]), fmt("NPL_RATIO")), 4, 55),
    ]
    # The chart of issue 13: each 法人行社's own published NPL_RATIO, no 全部 bar.
    top = (bar(k + "by_legal", series_title(["NPL_RATIO"], BANK, "（按法人行社）"), LEAF,
               "lvl2_org_name", names(["NPL_RATIO"]), fmt("NPL_RATIO"), where=UNDER_LVL2)
           if scale == BANK else  # a 支行 sees one 支行: its outlets instead
           bar(k + "by_outlet", series_title(["NPL_RATIO"], BANK, "（按网点）"), LEAF,
               "lvl4_org_name", names(["NPL_RATIO"]), fmt("NPL_RATIO"),
               where={"lvl4_org_name": NOT_NULL}))
    by_legal = [
        (top, 6, 50),
        (bar(k + "by_org", series_title(["NPL_RATIO", "OVD_RATIO"], BANK, "（按支行）"), LEAF,
             "lvl3_org_name", names(["NPL_RATIO", "OVD_RATIO"]), fmt("NPL_RATIO"),
             where=UNDER_LVL3), 6, 50),
    ]
    org_table = [
        (table(k + "org_table", "支行资产质量", LEAF, ["lvl2_org_name", "lvl3_org_name"],
               names(["LOAN_BAL", "NPL_BAL", "NPL_RATIO", "NPL_RATIO_YTD_CHG", "OVD_BAL",
                      "OVD_RATIO", "OVD90_BAL", "NPL_DEVIATION"]), where=UNDER_LVL3,
               order_by=shown("NPL_RATIO").name), 12, 50),
    ]
    prod = ["LOAN_BAL", "NPL_BAL", "NPL_RATIO", "OVD_BAL", "OVD_RATIO"]
    by_product = [
        (bar(k + "by_product", series_title(["NPL_RATIO", "OVD_RATIO"], BANK, "（按产品）"), LEAF,
             "prod_name", names(["NPL_RATIO", "OVD_RATIO"]), fmt("NPL_RATIO"),
             where={"prod_name": NOT_NULL}), 6, 50),
        (table(k + "product_table", "分产品资产质量", LEAF, ["prod_name"], names(prod),
               where={"prod_name": NOT_NULL}, order_by=names(["LOAN_BAL"])[0]), 6, 50),
    ]
    migration = [
        (pivot("aq_migration",
               "五级分类" + measure_title("MIGRATION_BAL").replace("（", "（较上一日，"),
               MIGRATION, ["from_class_name"], ["to_class_name"],
               measure("MIGRATION_BAL"), fmt=next(m.format for m in load_measures()
                                                   if m.code == "MIGRATION_BAL")), 7, 50),
        # All (from, to) pairs, not only downgrades: on a quiet day there are none, and
        # an empty table reads as broken. 迁移方向 marks the ones that matter.
        (table("aq_migration_list", "迁移明细", MIGRATION,
               ["from_class_name", "to_class_name", "move_name"],
               [measure("MIGRATION_CNT"), measure("MIGRATION_BAL")]), 5, 50),
    ]
    note = ("**资产质量**：五级分类、不良与逾期均由《指标字典》的度量在借据级事实表上计算。"
            + FILTER_NOTE)
    key, title, slug, audience = _variant("asset_quality", "资产质量", "asset-quality", scale)
    return Dashboard(key, title, slug,
                     rows=[[(note, 12, 10)], cards, structure, by_legal, by_product, org_table,
                           migration],
                     not_by_date=frozenset({k + "trend"}),
                     not_by_org=frozenset({top.key, k + "by_org", k + "org_table"}),
                     audience=audience)


def visits() -> Dashboard:
    k = "visit_"
    cards = [card(k + "d", "VISIT_CNT_D"), card(k + "mtd", "VISIT_CNT_MTD"),
             card(k + "ytd", "VISIT_CNT_YTD"), card(k + "cust", "VISIT_CUST_MTD"),
             card(k + "per_mgr", "VISIT_PER_MGR_MTD"), card(k + "conv", "VISIT_CONV_MTD")]
    records = measure("VISIT_RECORDS")
    map_row = [
        (scatter_map(k + "map", "当日走访点位", VISITS, "lon", "lat"), 8, 70),
        (table(k + "today", "当日走访明细", VISITS,
               ["mgr_name", "grid_name", "visit_type_name", "outcome_name", "satisfaction"],
               [records], row_limit=500), 4, 70),
    ]
    grid_row = [
        (scatter_map(k + "grid_map", "网格中心点位", GRIDS, "lon", "lat", color=(31, 119, 180),
                     radius=2500), 8, 60),
        (table(k + "grid_table", measure_title("GRID_HOUSEHOLDS"), GRIDS,
               ["grid_name", "org_name"], [measure("GRID_HOUSEHOLDS")], row_limit=500), 4, 60),
    ]
    breakdown = [
        (pie(k + "by_type", "当日走访类型", VISITS, "visit_type_name", records), 3, 50),
        (pie(k + "by_outcome", "当日走访结果", VISITS, "outcome_name", records), 3, 50),
        (trend(k + "trend", series_title(["VISIT_CNT_D"], BANK, "走势"), LEAF,
               names(["VISIT_CNT_D"]), fmt("VISIT_CNT_D"), kind="bar"), 4, 50),
        card(k + "satis", "VISIT_SATIS_MTD")[:1] + (2, 50),  # type: ignore[operator]
    ]
    rank = ["VISIT_CNT_MTD", "VISIT_PER_MGR_MTD", "VISIT_CONV_MTD", "VISIT_SATIS_MTD"]
    rankings = [
        (table(k + "rank_org", "支行走访排名（本月）", LEAF, ["lvl2_org_name", "lvl3_org_name"],
               names(rank), where=UNDER_LVL3), 6, 55),
        (table(k + "rank_mgr", "客户经理走访排名（本月）", LEAF, ["mgr_name", "mgr_org_name"],
               names(["VISIT_CNT_MTD", "VISIT_CONV_MTD"]), where={"mgr_no": NOT_NULL}), 6, 55),
    ]
    note = ("**走访监控**：点位为所选日期客户经理走访的定位，网格图为网格中心点（无在线底图）；"
            "人均走访 = 本月走访次数 / 在岗客户经理数，口径见《指标字典》。" + FILTER_NOTE)
    return Dashboard("visits", "走访监控", "visits",
                     rows=[[(note, 12, 10)], cards, map_row, grid_row, breakdown, rankings],
                     not_by_date=frozenset({k + "trend"}),
                     not_by_org=frozenset({k + "rank_org"}))


def policy_lapse() -> Dashboard:
    k = "lapse_"
    cards = [card(k + "inforce", "POLICY_INFORCE_CNT"), card(k + "grace", "POLICY_GRACE_CNT"),
             card(k + "lapsed", "POLICY_LAPSED_CNT"), card(k + "rate", "LAPSE_RATE"),
             card(k + "rate_prem", "LAPSE_RATE_PREM"),
             card(k + "followup", "LAPSE_FOLLOWUP_RATE")]
    lapsed = names(["POLICY_LAPSED_CNT"])[0]
    reasons = [
        (pie(k + "reasons", series_title(["POLICY_LAPSED_CNT"], BRANCH, "（按失效原因）"), LEAF,
             "lapse_reason_name", lapsed, where={"lapse_reason_name": NOT_NULL}), 4, 55),
        (table(k + "reason_table", "失效原因与跟进", LEAF, ["lapse_reason_name"],
               names(["POLICY_LAPSED_CNT", "LAPSE_FOLLOWUP_RATE"]),
               where={"lapse_reason_name": NOT_NULL}), 4, 55),
        card(k + "renewal", "RENEWAL_DUE_30D", BRANCH)[:1] + (4, 25),  # type: ignore[operator]
    ]
    org = ["POLICY_INFORCE_CNT", "POLICY_LAPSED_CNT", "LAPSE_RATE", "LAPSE_RATE_PREM",
           "LAPSE_FOLLOWUP_RATE", "RENEWAL_DUE_30D"]
    by_org = [
        (table(k + "rank_org", "网点保单失效情况", LEAF, ["lvl3_org_name", "lvl4_org_name"],
               names(org), where=AT_OUTLETS, order_by=names(["LAPSE_RATE"])[0]), 7, 55),
        (trend(k + "trend", series_title(["LAPSE_RATE", "LAPSE_RATE_PREM",
                                          "LAPSE_FOLLOWUP_RATE"], BANK, "走势"), LEAF,
               names(["LAPSE_RATE", "LAPSE_RATE_PREM", "LAPSE_FOLLOWUP_RATE"]),
               fmt("LAPSE_RATE")), 5, 55),
    ]
    by_seller = [
        (table(k + "by_seller", "销售人员保单失效情况", LEAF, ["seller_no", "seller_name"],
               names(["POLICY_INFORCE_CNT", "POLICY_LAPSED_CNT", "LAPSE_RATE",
                      "LAPSE_RATE_PREM", "LAPSE_FOLLOWUP_RATE"]),
               where={"seller_no": NOT_NULL}, order_by=lapsed, row_limit=500), 12, 55),
    ]
    note = ("**保单失效**：仅期交保单（年交/月交）可因未缴费失效，趸交不计；年化保费 = 月交×12。"
            "处理率 = 失效后有“保单续期跟进”走访的失效保单占比。" + FILTER_NOTE)
    return Dashboard("policy_lapse", "保单失效", "policy-lapse",
                     rows=[[(note, 12, 10)], cards, reasons, by_org, by_seller],
                     not_by_date=frozenset({k + "trend"}),
                     not_by_org=frozenset({k + "rank_org"}))


def performance() -> Dashboard:
    k = "perf_"
    total = measure("SC_TOTAL_SCORE")
    fmt_total = next(m.format for m in load_measures() if m.code == "SC_TOTAL_SCORE")
    rows = [
        [(bar(k + "total", measure_title("SC_TOTAL_SCORE"), SCORE, "mgr_name", [total],
              fmt_total, row_limit=30), 12, 50)],
        [(table(k + "board", "考核总分排名", SCORE, ["mgr_no", "mgr_name", "mgr_org_name",
                                                    "post_type_name"], [total], row_limit=500),
          5, 70),
         (table(k + "detail", "指标完成情况", SCORE, ["mgr_name", "indicator_name"],
                [measure(c) for c in ("SC_VALUE", "SC_TARGET", "SC_WEIGHT", "SC_ACHIEVEMENT",
                                      "SC_SCORE")],
                order_by=measure("SC_SCORE"), row_limit=2000), 7, 70)],
    ]
    note = ("**绩效考核**：按岗位（零售/对公/普惠）设定指标权重与目标（银行可在种子表中调整）；"
            "完成率 = 完成值/目标（不良率等越低越好的指标取 目标/完成值），封顶150%；"
            "得分 = 权重 × 完成率 × 100。" + FILTER_NOTE)
    return Dashboard("performance", "绩效考核", "performance", rows=[[(note, 12, 10)], *rows])


def all_dashboards() -> list[Dashboard]:
    """The six dashboards, the 支行 (万元) copies of the three with money cards, then
    客户经营 (issue 15; last, so the bundle-local chart ids of the others stay)."""
    from dagster_project.superset.customer_dashboard import customer_ops

    return [cockpit(), inclusive(), asset_quality(), visits(), policy_lapse(), performance(),
            cockpit(BRANCH), inclusive(BRANCH), asset_quality(BRANCH), customer_ops()]


def for_org_level(slug: str, level: int | None) -> str:
    """The slug a user of an org ``level`` opens for ``slug`` (a 支行 reads 万元)."""
    if level == 3 and any(d.slug == slug + BRANCH_SUFFIX[1] for d in all_dashboards()):
        return slug + BRANCH_SUFFIX[1]
    return slug
