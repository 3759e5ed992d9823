"""The bank's dashboards, in Chinese: layout and filter scoping.

Layout follows the cockpits in docs/background (FanRuan 行长战情室, 贵州农信
走访监控): headline cards with changes against year and month start, trends,
legal-entity and sub-branch rankings (余额, 比年初, 比月初), then the manager
detail the sub-branch head pushes pressure down to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dagster_project.superset.charts import Chart, big_number, table, trend

ORG = "org_indicator_wide"
MGR = "mgr_indicator_scope"

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
    rank_metrics = ["dep_bal", "dep_bal_ytd_chg", "dep_bal_mtd_chg", "loan_bal",
                    "loan_bal_ytd_chg", "npl_ratio", "incl_bal"]
    rankings = [
        (table("cockpit_rank_legal", "法人行社排名（存款余额）", ORG, ["org_name"], rank_metrics,
               where={"org_level": 2}), 6, 60),
        (table("cockpit_rank_branch", "支行排名（存款余额）", ORG, ["lvl2_org_name", "org_name"],
               rank_metrics, where={"org_level": 3}), 6, 60),
    ]
    managers = [
        (table("cockpit_mgr_deposit", "客户经理存款明细", MGR,
               ["mgr_no", "mgr_name", "mgr_org_name"],
               ["dep_bal", "dep_bal_ytd_chg", "dep_davg_mtd", "dep_davg_ytd", "loan_bal",
                "visit_cnt_mtd"], row_limit=200), 12, 60),
    ]
    note = ("**口径**：所有数字取自已发布的指标库（indicator_value），与《指标字典》一致。"
            "默认显示全省（法人行社/支行/网点 = 全部）最新业务日期；依次选择 法人行社 → 支行 → 网点"
            " 下钻。排名表按所选日期列出全部机构；右键任一数字可“钻取明细”。")
    return Dashboard(
        "cockpit", "行长战情室", "cockpit",
        rows=[[(note, 12, 12)], headline, changes, trends, rankings, managers],
        not_by_date=frozenset({"cockpit_trend_bal", "cockpit_trend_ratio"}),
        not_by_org=frozenset({"cockpit_rank_legal", "cockpit_rank_branch"}),
    )


def all_dashboards() -> list[Dashboard]:
    return [cockpit()]
