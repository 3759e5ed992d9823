"""The opportunity push's message (issue 15, docs/customer-ops.md "Opportunity push")
for hand-built events: every expected text below is written out by hand."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dagster_project.briefing import push_after_publish, push_opportunities
from dagster_project.briefing.opportunities import EVENT_ZH, Opportunity, render
from dagster_project.settings import Settings
from tests.fixtures.customer_ops import EVENT_TYPES

D1, D2 = date(2026, 2, 27), date(2026, 2, 28)
LINK = "https://bi.bank.example/superset/dashboard/cockpit/"
WANG, LI = ("M01", "王强"), ("M02", "李芳")


def ev(d: date, kind: str, cust: str, ref: str, amount: float, due: date | None,
       mgr: tuple[str, str] | None, name: str | None) -> Opportunity:
    mgr_no, mgr_name = mgr if mgr else (None, None)
    return Opportunity(d, kind, cust, ref, amount, due, mgr_no, mgr_name, name)


# given in no particular order; the message orders them by manager, then the contract's
# order of event types, then due date
EVENTS = [
    ev(D1, "BIG_OUTFLOW", "K23", "", 50_000, None, LI, "孙*"),
    ev(D1, "NEW_OVERDUE", "K10", "L10", 11_500, None, WANG, "钱*"),
    ev(D1, "LIMIT_UNUSED_30D", "K12", "CL12", 100_000, None, WANG, None),  # no name on file
    ev(D1, "TD_MATURE", "K21", "TA2", 30_000, date(2026, 2, 20), WANG, "张*"),
    ev(D1, "TD_MATURE", "K21", "TA1", 100_000.5, date(2026, 3, 29), WANG, "张*"),
    ev(D1, "BIG_INFLOW", "K27", "", 71_000, None, WANG, "周*"),
]


def test_event_names_are_the_contracts() -> None:
    assert EVENT_ZH == EVENT_TYPES  # customer-ops.md §4, in its order


def test_one_org_one_date_markdown_and_text() -> None:
    m = render("城东支行东街网点", EVENTS, LINK)
    assert m.title == "【普惠商机】城东支行东街网点 2026-02-27 新增商机6条"
    assert m.markdown == (
        "### 【普惠商机】城东支行东街网点 2026-02-27 新增商机6条\n"
        "\n"
        "**王强（M01）** 5条\n"
        "- K21 张* · 定期存款到期 · 30,000.00元 · 到期日 2026-02-20\n"
        "- K21 张* · 定期存款到期 · 100,000.50元 · 到期日 2026-03-29\n"
        "- K27 周* · 大额资金流入 · 71,000.00元\n"
        "- K12 · 授信30天未用信 · 100,000.00元\n"
        "- K10 钱* · 新增逾期 · 11,500.00元\n"
        "\n"
        "**李芳（M02）** 1条\n"
        "- K23 孙* · 大额资金流出 · 50,000.00元\n"
        "\n"
        "[打开看板](https://bi.bank.example/superset/dashboard/cockpit/)")
    assert m.text == (
        "【普惠商机】城东支行东街网点 2026-02-27 新增商机6条\n"
        "\n"
        "王强（M01） 5条\n"
        "- K21 张* · 定期存款到期 · 30,000.00元 · 到期日 2026-02-20\n"
        "- K21 张* · 定期存款到期 · 100,000.50元 · 到期日 2026-03-29\n"
        "- K27 周* · 大额资金流入 · 71,000.00元\n"
        "- K12 · 授信30天未用信 · 100,000.00元\n"
        "- K10 钱* · 新增逾期 · 11,500.00元\n"
        "\n"
        "李芳（M02） 1条\n"
        "- K23 孙* · 大额资金流出 · 50,000.00元\n"
        "\n"
        "打开看板：https://bi.bank.example/superset/dashboard/cockpit/\n")
    assert m.listed == 6 and len(m.events) == 6


def test_several_dates_put_the_raising_date_first() -> None:
    """A re-delivery's window or a first night spans dates: each line says its date."""
    m = render("城东支行", [
        ev(D2, "NEW_OVERDUE", "K28", "LB1", 520, None, WANG, "吴*"),
        ev(D1, "BIG_OUTFLOW", "K19", "", 50_000, None, WANG, "郑*"),
        ev(D2, "BIG_OUTFLOW", "K25", "", 60_000, None, None, "冯*"),  # no manager on file
    ], LINK)
    assert m.markdown == (
        "### 【普惠商机】城东支行 2026-02-27 至 2026-02-28 新增商机3条\n"
        "\n"
        "**王强（M01）** 2条\n"
        "- [02-27] K19 郑* · 大额资金流出 · 50,000.00元\n"
        "- [02-28] K28 吴* · 新增逾期 · 520.00元\n"
        "\n"
        "**未指定客户经理** 1条\n"
        "- [02-28] K25 冯* · 大额资金流出 · 60,000.00元\n"
        "\n"
        "[打开看板](https://bi.bank.example/superset/dashboard/cockpit/)")


def test_a_long_list_stops_at_max_lines_and_counts_the_rest() -> None:
    m = render("城东支行东街网点", EVENTS, LINK, max_lines=3)
    assert m.markdown == (
        "### 【普惠商机】城东支行东街网点 2026-02-27 新增商机6条\n"
        "\n"
        "**王强（M01）** 5条\n"
        "- K21 张* · 定期存款到期 · 30,000.00元 · 到期日 2026-02-20\n"
        "- K21 张* · 定期存款到期 · 100,000.50元 · 到期日 2026-03-29\n"
        "- K27 周* · 大额资金流入 · 71,000.00元\n"
        "\n"
        "…及其他 3 条，请在看板查看\n"
        "\n"
        "[打开看板](https://bi.bank.example/superset/dashboard/cockpit/)")
    assert m.text.endswith("- K27 周* · 大额资金流入 · 71,000.00元\n\n…及其他 3 条，请在看板查看\n"
                           "\n打开看板：https://bi.bank.example/superset/dashboard/cockpit/\n")
    assert m.listed == 3 and len(m.events) == 6  # all six are recorded as pushed


def test_a_robot_message_stays_under_wecoms_byte_cap() -> None:
    """50 lines of Chinese run past WeCom's 4096 bytes: fewer are listed, the rest counted."""
    many = [ev(D1, "TD_MATURE", f"K{i:04d}", f"TA{i}", 1_000_000 + i, date(2026, 3, 29),
               WANG, "欧*") for i in range(50)]
    m = render("泰兴农商行城东支行", many, LINK, max_lines=50)
    assert len(m.markdown.encode()) <= 4000 < len(render(
        "泰兴农商行城东支行", many, LINK, max_lines=50, max_bytes=10**6).markdown.encode())
    assert 0 < m.listed < 50
    assert m.markdown.count("\n- ") == m.listed
    assert m.markdown.endswith(
        f"\n\n…及其他 {50 - m.listed} 条，请在看板查看\n\n[打开看板]({LINK})")


def test_no_recipient_configured_is_off_and_says_so(tmp_path: Path) -> None:
    """Quiet by default: nothing is opened (there is not even a serving copy here)."""
    said: list[str] = []
    s = Settings(home=tmp_path)
    push_after_publish(s, D1, D2, say=said.append)
    report = push_opportunities(s, D1, D2, say=said.append)
    assert report.messages == []
    assert said == ["opportunity push: off (no opportunity_recipients configured; "
                    "docs/customer-ops.md \"Opportunity push\")"] * 2
    assert not (tmp_path / "outbox").exists() and not (tmp_path / "warehouse.duckdb").exists()


def test_render_refuses_an_empty_list() -> None:
    with pytest.raises(ValueError):
        render("x", [], LINK)
