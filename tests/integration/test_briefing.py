"""The morning briefing and the business early warnings (issue 16), on the real
published tiny province and against the local webhook and SMTP receivers of
tests/unit/test_alerts.py.

Expected figures are read back from the published store here with plain SQL and
formatted by the rule of docs/briefing.md (亿元 with 2 decimals for balances of 1 亿 or
more, else 万元 with 1; changes in whole 万元), not through the briefing's code.
"""

from __future__ import annotations

import base64
import csv
import email
import email.policy
import hashlib
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
import yaml

from dagster_project import pipeline
from dagster_project.briefing import evaluate_warnings, send_briefing
from dagster_project.briefing.render import not_published_line
from dagster_project.settings import BriefingRecipient, Settings
from tests.conftest import copy_home
from tests.reference.compare import REPO
from tests.unit.test_alerts import SMTPServer, Webhook, smtp, webhook

# the local receivers of the alert tests, as this module's fixtures
__all__ = ["smtp", "webhook"]


def amount(v: float) -> str:
    return f"{v / 1e8:,.2f}亿元" if abs(v) >= 1e8 else f"{v / 1e4:,.1f}万元"


def change(v: float) -> str:
    return f"{v / 1e4:+,.0f}万元"


@pytest.fixture
def home(tiny_home: Path, tmp_path: Path) -> Path:
    """A PUHUI_HOME of our own holding a copy of the published serving file (the
    outbox is written under it, the shared tiny home stays untouched)."""
    shutil.copy(tiny_home / "serving.duckdb", tmp_path / "serving.duckdb")
    return tmp_path


def q(home: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(home / "serving.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def last_date(home: Path) -> date:
    return q(home, "select max(biz_date) from org_indicator_wide")[0][0]


def value(home: Path, d: date, org: str, code: str) -> float:
    return q(home, "select value from indicator_value where biz_date = ? and org_no = ? "
             "and indicator_code = ?", [d, org, code])[0][0]


def settings_for(home: Path, recipients: list[BriefingRecipient], **kw: object) -> Settings:
    return Settings(home=home, briefing_recipients=recipients, briefing_image=False, **kw)


# --- the seed and the rules -----------------------------------------------------------


def test_unit_test_rules_repeat_the_shipped_seed() -> None:
    """The dbt unit tests (a firing and a near miss per rule) use the shipped thresholds."""
    seed = {r["rule_code"]: r for r in csv.DictReader(
        (REPO / "seeds" / "warning_rules.csv").open(encoding="utf-8"))}
    assert set(seed) == {"DEP_DROP_DOD", "DEP_DROP_MTD", "NPL_UP_MTD", "TWO_INCREASE_LOST",
                         "BIG_OUTFLOW", "POLICY_GRACE_NEW", "NO_VISIT_7D"}
    spec = yaml.safe_load((REPO / "dbt/models/marts/warning/_warning__unit_tests.yml").read_text())
    fired = set()
    for test in spec["unit_tests"]:
        if test["model"] != "fct_business_warnings":
            continue
        rules = next(g["rows"] for g in test["given"] if g["input"] == "ref('warning_rules')")
        for r in rules:
            s = seed[r["rule_code"]]
            assert (r["threshold"], r["severity"], r["recipients"], r["is_enabled"]) == (
                float(s["threshold"]) if s["threshold"] else None, s["severity"],
                s["recipients"], int(s["is_enabled"]))
        fired |= {row["rule_code"] for row in test["expect"]["rows"]}
    assert fired == set(seed)  # every shipped rule has a case where it fires


def test_a_branch_briefing_links_to_the_cockpit_its_reader_may_open(tmp_path: Path) -> None:
    """A 支行 head's link opens the 万元 copy (the only cockpit their role opens); the
    province's and a 法人行社's open the cockpit itself."""
    from dagster_project.briefing.service import dashboard_link

    s = Settings(home=tmp_path)
    assert dashboard_link(s, 3) == s.dashboard_base_url + "/superset/dashboard/cockpit-branch/"
    for level in (1, 2, None):
        assert dashboard_link(s, level) == s.dashboard_base_url + "/superset/dashboard/cockpit/"


def test_one_night_rebuilt_incrementally_equals_the_full_build(tiny_home: Path,
                                                               tmp_path: Path) -> None:
    """The warning models rebuilt for the last date only (a night's incremental run, whose
    previous-date look-ups reach before from_date) give the rows the all-dates build gave."""
    shutil.copy(tiny_home / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    from dagster_project.dbt_build import dbt_args, run_dbt, window_env

    s = Settings(home=tmp_path)
    tables = ("intermediate.int_customer_outflows_daily", "marts.fct_business_warnings")

    def rows() -> dict[str, list[tuple]]:
        with duckdb.connect(str(s.warehouse_path), read_only=True) as con:
            return {t: sorted(con.execute(f"select * from {t}").fetchall(), key=str)
                    for t in tables}

    before = rows()
    last = max(r[0] for r in before["marts.fct_business_warnings"])
    assert sum(r[0] == last for r in before["intermediate.int_customer_outflows_daily"]) > 0
    res = run_dbt(s, dbt_args(s, "run", select="int_customer_outflows_daily fct_business_warnings"),
                  window_env(last))
    assert res.success  # type: ignore[attr-defined]
    assert rows() == before


def test_warnings_are_published_with_their_org_path(home: Path) -> None:
    d = last_date(home)
    rows = q(home, "select w.org_no, w.lvl2_org_no, o.lvl2_org_no from fct_business_warnings w "
             "join dim_org o on o.org_no = w.org_no where w.biz_date = ?", [d])
    assert all(lvl2 == dim_lvl2 for _, lvl2, dim_lvl2 in rows)
    assert len(evaluate_warnings(Settings(home=home), d)) == q(
        home, "select count(*) from fct_business_warnings where biz_date = ?", [d])[0][0]


# --- the briefing per legal entity ----------------------------------------------------


def test_each_legal_entity_gets_its_own_published_figures(home: Path, webhook: Webhook,
                                                         smtp: SMTPServer) -> None:
    d = last_date(home)
    prev = q(home, "select max(biz_date) from org_indicator_wide where biz_date < ?", [d])[0][0]
    entities = [r[0] for r in q(home, "select org_no from org_indicator_wide where biz_date = ? "
                                "and org_level = 2 order by org_no", [d])]
    assert entities
    recipients = [BriefingRecipient(org_no=o, webhook_url=f"{webhook.url}&org={o}",
                                    mail_to=[f"{o}@bank.example"]) for o in entities]
    report = send_briefing(settings_for(home, recipients, alert_smtp_host="127.0.0.1",
                                        alert_smtp_port=smtp.server_address[1]), d, say=print)
    assert report.published and len(report.sent) == len(entities)
    assert len(webhook.requests) == len(entities) and len(smtp.messages) == len(entities)
    for i, org in enumerate(entities):
        path, _, _ = webhook.requests[i]
        assert path.endswith(f"&org={org}")
        md = webhook.json(i)["markdown"]["content"]  # type: ignore[index]
        name = q(home, "select org_name from dim_org where org_no = ?", [org])[0][0]
        assert md.startswith(f"### 【普惠简报】{name} {d.isoformat()}\n")
        dep, dep_prev = value(home, d, org, "DEP_BAL"), value(home, prev, org, "DEP_BAL")
        mtd = value(home, d, org, "DEP_BAL_MTD_CHG")  # NULL: month start not loaded
        month = "—" if mtd is None else change(mtd)
        day = change(dep - dep_prev)
        assert f"- 各项存款：**{amount(dep)}**，较上日 {day}，较月初 {month}" in md
        npl = value(home, d, org, "NPL_RATIO")
        assert f"- 不良贷款率：**{npl * 100:.2f}%**" in md
        assert f"- 普惠贷款户数：**{value(home, d, org, 'INCL_CUST_CNT'):,.0f}户**" in md
        n_warn = q(home, "select count(*) from fct_business_warnings where biz_date = ? and "
                   "lvl2_org_no = ? and list_contains(string_split(recipients, ';'), '法人行社')",
                   [d, org])[0][0]
        assert f"**今日预警（{n_warn}条）**" in md
        # the branches ranked are this entity's, by their day change of DEP_BAL
        branches = q(home, "select c.org_name, c.dep_bal - p.dep_bal from org_indicator_wide c "
                     "join org_indicator_wide p on p.org_no = c.org_no and p.biz_date = ? "
                     "where c.biz_date = ? and c.org_level = 3 and c.lvl2_org_no = ? "
                     "order by 2 desc, c.org_no", [prev, d, org])
        if branches:
            first_name, first_chg = branches[0]
            assert f"1. {first_name} {change(first_chg)}" in md
        assert md.rstrip().endswith("[打开行长战情室](http://127.0.0.1:8088/superset/dashboard/cockpit/)")
        sender, rcpts, data = smtp.messages[i]
        msg = email.message_from_bytes(data, policy=email.policy.default)
        assert rcpts == [f"{org}@bank.example"]
        assert msg["Subject"] == f"【普惠简报】{name} {d.isoformat()}"
        html = msg.get_body(("html",)).get_content()
        assert amount(dep) in html and name in html


def test_a_branch_recipient_never_sees_a_sibling(home: Path, webhook: Webhook) -> None:
    d = last_date(home)
    branch, entity = q(home, "select org_no, lvl2_org_no from org_indicator_wide where "
                       "biz_date = ? and org_level = 3 order by org_no limit 1", [d])[0]
    siblings = q(home, "select org_no, org_name from org_indicator_wide where biz_date = ? and "
                 "lvl2_org_no = ? and org_level >= 3 and coalesce(lvl3_org_no, '') <> ?",
                 [d, entity, branch])
    entity_name = q(home, "select org_name from dim_org where org_no = ?", [entity])[0][0]
    assert siblings, "the tiny province has two sub-branches under a legal entity"
    send_briefing(settings_for(home, [BriefingRecipient(org_no=branch, webhook_url=webhook.url)]),
                  d, say=print)
    md = webhook.json()["markdown"]["content"]  # type: ignore[index]
    assert f"- 各项存款：**{amount(value(home, d, branch, 'DEP_BAL'))}**" in md
    for _, name in siblings:
        assert name not in md
    assert entity_name not in md  # not even the entity's own totals
    ranked_outlets = q(home, "select org_name from org_indicator_wide where biz_date = ? "
                       "and org_level = 4 and lvl3_org_no = ?", [d, branch])
    assert "网点存款增长前" in md or not ranked_outlets
    n_warn = q(home, "select count(*) from fct_business_warnings where biz_date = ? and "
               "lvl3_org_no = ? and list_contains(string_split(recipients, ';'), '支行')",
               [d, branch])[0][0]
    assert f"**今日预警（{n_warn}条）**" in md


def test_no_recipient_configured_sends_and_writes_nothing(home: Path) -> None:
    report = send_briefing(Settings(home=home), last_date(home), say=print)
    assert report.sent == [] and not (home / "outbox").exists()


def test_dry_run_writes_markdown_html_and_picture_and_sends_nothing(
        home: Path, webhook: Webhook, chromium: None) -> None:
    d = last_date(home)
    org = q(home, "select org_no from org_indicator_wide where biz_date = ? and org_level = 2 "
            "order by org_no limit 1", [d])[0][0]
    s = Settings(home=home, briefing_recipients=[BriefingRecipient(org_no=org,
                                                                    webhook_url=webhook.url)])
    report = send_briefing(s, d, dry_run=True, say=print)
    assert webhook.requests == []
    box = home / "outbox" / f"{d:%Y%m%d}"
    assert sorted(p.name for p in report.sent[0].files) == sorted(
        [f"{org}.md", f"{org}.png", f"{org}.html"])
    png = (box / f"{org}.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(png[16:20], "big")
    assert width == 780  # 390 CSS px at device scale 2: a phone's width


def test_wecom_gets_the_picture_as_an_image_message(home: Path, webhook: Webhook,
                                                    chromium: None) -> None:
    d = last_date(home)
    org = q(home, "select org_no from org_indicator_wide where biz_date = ? and org_level = 2 "
            "order by org_no limit 1", [d])[0][0]
    s = Settings(home=home, briefing_recipients=[BriefingRecipient(org_no=org,
                                                                    webhook_url=webhook.url)])
    send_briefing(s, d, say=print)
    assert [webhook.json(i)["msgtype"] for i in range(2)] == ["markdown", "image"]  # type: ignore[index]
    image = webhook.json(1)["image"]  # type: ignore[index]
    raw = base64.b64decode(image["base64"])
    assert hashlib.md5(raw).hexdigest() == image["md5"]
    assert raw == (home / "outbox" / f"{d:%Y%m%d}" / f"{org}.png").read_bytes()


# --- a date that did not publish --------------------------------------------------------


def test_unpublished_date_sends_the_one_line_notice(home: Path, webhook: Webhook,
                                                    smtp: SMTPServer) -> None:
    last = last_date(home)
    later = date.fromordinal(last.toordinal() + 1)
    s = settings_for(home, [BriefingRecipient(org_no="x", webhook_url=webhook.url,
                                              mail_to=["boss@bank.example"])],
                     alert_smtp_host="127.0.0.1", alert_smtp_port=smtp.server_address[1])
    report = send_briefing(s, later, say=print)
    line = (f"【普惠简报】{later.isoformat()} 数据未更新：该日数据未通过审核或未送达，"
            f"看板仍为 {last.isoformat()} 的已审核数据。")
    assert not report.published
    assert webhook.json() == {"msgtype": "markdown", "markdown": {"content": line}}
    msg = email.message_from_bytes(smtp.messages[0][2], policy=email.policy.default)
    assert msg["Subject"] == line and msg.get_body(("plain",)).get_content().strip() == line


def test_a_night_of_only_an_old_redelivery_briefs_the_latest_date(home: Path,
                                                                   webhook: Webhook) -> None:
    from dagster_project.briefing import brief_after_night

    first = q(home, "select min(biz_date) from org_indicator_wide")[0][0]
    org = q(home, "select org_no from org_indicator_wide where biz_date = ? and org_level = 2 "
            "order by org_no limit 1", [first])[0][0]
    s = settings_for(home, [BriefingRecipient(org_no=org, webhook_url=webhook.url)])
    brief_after_night(s, [], say=print)
    assert webhook.requests == []  # no delivery tonight: nothing
    brief_after_night(s, [first], say=print)
    content = webhook.json()["markdown"]["content"]  # type: ignore[index]
    assert f" {last_date(home).isoformat()}\n" in content.splitlines(keepends=True)[0]


def test_failed_audit_at_night_sends_only_the_not_updated_notice(
        tiny_home: Path, tiny_landing: Path, tmp_path: Path, webhook: Webhook,
        smtp: SMTPServer) -> None:
    """The real night in Dagster on a copy of the published tiny home: the last date is
    flagged for rebuild (as a re-delivery flags it) under an audit that cannot pass; the
    blocked check sends the notice and no figure, and the serving copy is not touched."""
    home = copy_home(tiny_home, tmp_path / "home")
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        last = con.execute("select max(biz_date) from meta.delivery").fetchone()[0]
        con.execute("update meta.delivery set needs_rebuild = true where biz_date = ?", [last])
    before = last_date(home)
    assert before == last  # the shared home published every date
    s = Settings(home=home, landing=tiny_landing,
                 audit_dep_move_max=1e-9,  # any move of any org blocks the audit
                 alert_smtp_host="127.0.0.1", alert_smtp_port=smtp.server_address[1],
                 briefing_recipients=[BriefingRecipient(
                     org_no="any", webhook_url=f"{webhook.url}&who=briefing",
                     mail_to=["boss@bank.example"])])
    report = pipeline.run_pending(s, say=print)
    assert not report.ok and not report.published  # the audit blocked the publish
    line = (f"【普惠简报】{last.isoformat()} 数据未更新：该日数据未通过审核或未送达，"
            f"看板仍为 {last.isoformat()} 的已审核数据。")
    assert line == not_published_line(last, last)
    briefs = [webhook.json(i) for i, (p, _, _) in enumerate(webhook.requests)
              if p.endswith("&who=briefing")]
    assert briefs == [{"msgtype": "markdown", "markdown": {"content": line}}]
    mails = [email.message_from_bytes(m[2], policy=email.policy.default)
             for m in smtp.messages if m[1] == ["boss@bank.example"]]
    assert [m["Subject"] for m in mails] == [line]
    for text in (line, mails[0].get_body(("plain",)).get_content()):
        assert "亿元" not in text and "万元" not in text and "%" not in text
