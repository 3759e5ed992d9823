"""The opportunity push (issue 15, docs/customer-ops.md "Opportunity push") on the real
night: the hand-worked customer-operations delivery (tests/fixtures/deliveries/custops)
goes through ``puhui run``'s own path (ingestion, dbt, audit, publish in Dagster), with
two orgs configured against the local webhook and SMTP receivers of
tests/unit/test_alerts.py:

- 网点 400111 (WeCom robot and e-mail): its own events, those of manager M01;
- 支行 300011 (DingTalk robot, signed, and e-mail): its subtree, M01's at 400111 and
  M02's at 300011 itself.

Night 1 loads D1-D3 (D2 as first delivered) and publishes once; night 2 is the
re-delivery of D2, which moves K28's NEW_OVERDUE from D3 to D2. Every expected line is
built here from the warehouse (marts.opportunity_event, raw.cust_info's stored name,
raw.cust_mgr's manager name) with the format of the docs, not through the push's code.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import re
import shutil
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from dagster_project.briefing import push_after_publish, push_opportunities
from dagster_project.pipeline import run_pending
from dagster_project.settings import BriefingRecipient, Settings
from tests.fixtures.customer_ops import EVENT_TYPES
from tests.fixtures.deliveries.builder import write_delivery
from tests.fixtures.deliveries.custops.data import (
    CUST_INFO,
    CUST_MGR,
    D1,
    D2,
    D3,
    rows_on,
    write_landing,
)
from tests.unit.test_alerts import SMTPServer, Webhook, serve_webhook

pytestmark = [pytest.mark.slow]

KEY = "push-test-key"
BRANCH, OUTLET = "300011", "400111"  # 支行 and its 网点 (data.py's org tree)
SUBTREE = {OUTLET: {OUTLET}, BRANCH: {BRANCH, OUTLET}}
MAIL = {OUTLET: "outlet@bank.example", BRANCH: "branch@bank.example"}
# the dashboard with each manager's open opportunities: 客户经营, one copy for every level
LINK = {OUTLET: "http://127.0.0.1:8088/superset/dashboard/customer-ops/",
        BRANCH: "http://127.0.0.1:8088/superset/dashboard/customer-ops/"}
# what must never reach a message: ID numbers, phones, personal names in clear (the
# managers' names are meant to be there)
SECRET_VALUES = frozenset(
    v for c in CUST_INFO for v in (c["id_no"], c["phone"],
                                   c["cust_name"] if len(c["cust_name"]) > 1 else None) if v
) | frozenset(m["phone"] for m in CUST_MGR)
ID_LIKE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
Key = tuple[date, str, str, str]
# an event as the warehouse has it: the key, amount, due date, manager number and name,
# the customer's stored name, the owner org
Row = tuple[Any, ...]


@dataclass
class Sent:
    """What one org's receivers got: robot body (markdown) and mail (subject, text)."""

    path: str
    markdown: str
    subject: str
    text: str


@dataclass
class Nights:
    settings: Settings
    first: dict[str, list[Sent]]  # per org, night 1
    second: dict[str, list[Sent]]  # per org, night 2 (the re-delivery)
    events_first: dict[Key, Row]  # marts.opportunity_event after night 1
    events_final: dict[Key, Row]  # after night 2
    webhook: Webhook
    smtp: SMTPServer


@contextlib.contextmanager
def serve_smtp() -> Iterator[SMTPServer]:
    server = SMTPServer()
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def wh(settings: Settings, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def event_rows(settings: Settings) -> dict[Key, Row]:
    rows = wh(settings, """
        select e.biz_date, e.event_type, e.cust_no, e.ref_no, e.amount, e.due_date,
               e.mgr_no, m.mgr_name, c.cust_name, e.org_no
        from marts.opportunity_event e
        left join raw.cust_info c on c.biz_date = e.biz_date and c.cust_no = e.cust_no
        left join raw.cust_mgr m on m.biz_date = e.biz_date and m.mgr_no = e.mgr_no""")
    return {(r[0], r[1], r[2], r[3]): r for r in rows}


def received(webhook: Webhook, smtp: SMTPServer, since: tuple[int, int]) -> dict[str, list[Sent]]:
    """The receivers' messages after ``since`` (requests, mails), by org (the URL's and
    the mail's recipient)."""
    out: dict[str, list[Sent]] = {OUTLET: [], BRANCH: []}
    mails = [email.message_from_bytes(m[2], policy=email.policy.default)
             for m in smtp.messages[since[1]:]]
    for path, _, body in webhook.requests[since[0]:]:
        org = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)["org"][0]
        payload = json.loads(body)
        md = payload["markdown"].get("content") or payload["markdown"]["text"]
        mail = next(m for m in mails if m["To"] == MAIL[org] and
                    m["Subject"] == md.splitlines()[0].removeprefix("### "))
        out[org].append(Sent(path, md, mail["Subject"], mail.get_body(("plain",)).get_content()))
    return out


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nights]:
    root = tmp_path_factory.mktemp("push")
    landing = root / "landing"
    with (pytest.MonkeyPatch.context() as mp, serve_webhook() as webhook,
          serve_smtp() as smtp):
        mp.setenv("NO_PROXY", "127.0.0.1,localhost")  # loopback only, never a proxy
        settings = Settings(
            home=root / "home", pii_key=KEY,
            alert_smtp_host="127.0.0.1", alert_smtp_port=smtp.server_address[1],
            opportunity_recipients=[
                BriefingRecipient(org_no=OUTLET, webhook_url=f"{webhook.url}&org={OUTLET}",
                                  mail_to=[MAIL[OUTLET]]),
                BriefingRecipient(org_no=BRANCH, webhook_url=f"{webhook.url}&org={BRANCH}",
                                  webhook_style="dingtalk", webhook_secret="SECtest",
                                  mail_to=[MAIL[BRANCH]]),
            ])
        settings.ensure_dirs()
        write_landing(landing, first=True)
        said: list[str] = []
        report = run_pending(settings, landing, say=said.append)
        assert report.ok and report.loaded == [D1, D2, D3], "\n".join(said)
        first = received(webhook, smtp, (0, 0))
        events_first = event_rows(settings)
        mark = (len(webhook.requests), len(smtp.messages))
        shutil.rmtree(landing / "20260228")  # 重发: the whole folder again, with a new DONE
        write_delivery(landing, D2, rows_on(D2))
        report = run_pending(settings, landing, say=said.append)
        assert report.ok and report.loaded == [D2], "\n".join(said)
        yield Nights(settings, first, received(webhook, smtp, mark), events_first,
                     event_rows(settings), webhook, smtp)


def expected_lines(rows: dict[Key, Row], org: str) -> dict[str, list[str]]:
    """Per manager header ("王强（M01）"), the lines of the events ``rows`` owned in the
    org's subtree, by the docs' format."""
    dates = {k[0] for k in rows}
    out: dict[str, list[str]] = {}
    for d, kind, cust, _, amount, due, mgr, mgr_name, name, owner in rows.values():
        if owner not in SUBTREE[org]:
            continue
        text = f"{cust} {name[0]}*" if name else cust
        text += f" · {EVENT_TYPES[kind]} · {amount:,.2f}元"
        if due is not None:
            text += f" · 到期日 {due.isoformat()}"
        prefix = f"[{d:%m-%d}] " if len(dates) > 1 else ""
        out.setdefault(f"{mgr_name}（{mgr}）", []).append(f"- {prefix}{text}")
    return out


def assert_message(settings: Settings, sent: Sent, org: str, rows: dict[Key, Row]) -> None:
    """``sent`` is the org's message about the events ``rows`` (those it owns, at least)."""
    want = expected_lines(rows, org)
    assert want, "the test expects events in the org's subtree"
    n = sum(len(v) for v in want.values())
    org_name = wh(settings, "select org_name from raw.org_info where org_no = ? "
                  "order by biz_date desc limit 1", [org])[0][0]
    dates = sorted({k[0] for k in rows})
    label = dates[0].isoformat() + ("" if len(dates) == 1 else f" 至 {dates[-1].isoformat()}")
    title = f"【普惠商机】{org_name} {label} 新增商机{n}条"
    md = sent.markdown.splitlines()
    assert md[0] == f"### {title}" and sent.subject == title
    assert md[-1] == f"[打开看板]({LINK[org]})"
    got: dict[str, list[str]] = {}
    for ln in filter(None, md[1:-1]):  # blocks apart by an empty line
        if ln.startswith("**"):
            who, count = re.fullmatch(r"\*\*(.+)\*\* (\d+)条", ln).groups()  # type: ignore[union-attr]
            got[who] = []
            assert int(count) == len(want[who])
        else:
            got[list(got)[-1]].append(ln)
    assert {k: sorted(v) for k, v in got.items()} == {k: sorted(v) for k, v in want.items()}
    # the mail says the same, without markdown
    text = sent.text.splitlines()
    assert text[0] == title and text[-1] == f"打开看板：{LINK[org]}"
    assert sorted(ln for ln in text if ln.startswith("- ")) == sorted(
        ln for v in want.values() for ln in v)
    for body in (sent.markdown, sent.text):
        assert not ID_LIKE.search(body)
        assert not [v for v in SECRET_VALUES if v in body]
        # every customer is named by number and masked name only
        for ln in body.splitlines():
            if ln.startswith("- "):
                assert re.match(r"- (\[\d\d-\d\d\] )?K\d\d( \S\*)? · ", ln), ln


def test_after_the_first_night_each_org_gets_one_message_with_its_subtrees_events(
        nights: Nights) -> None:
    s = nights.settings
    assert {org: len(v) for org, v in nights.first.items()} == {OUTLET: 1, BRANCH: 1}
    assert len(nights.webhook.requests) - sum(map(len, nights.second.values())) == 2
    for org, (sent,) in nights.first.items():
        assert_message(s, sent, org, nights.events_first)
    # the branch's DingTalk robot got a signed URL and DingTalk's body
    (branch,) = nights.first[BRANCH]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(branch.path).query)
    assert set(query) >= {"timestamp", "sign", "key"}


def test_the_redelivery_sends_only_the_moved_event(nights: Nights) -> None:
    """The corrected D2 raises K28's NEW_OVERDUE on D2 (it was on D3): a new row of
    opportunity_event, so it is pushed; everything else was sent on night 1."""
    new = {k: r for k, r in nights.events_final.items() if k not in nights.events_first}
    assert [(k[0], k[1], k[2]) for k in new] == [(D2, "NEW_OVERDUE", "K28")]
    assert {org: len(v) for org, v in nights.second.items()} == {OUTLET: 1, BRANCH: 1}
    for org, (sent,) in nights.second.items():
        assert_message(nights.settings, sent, org, new)
        assert "- K28 " in sent.markdown and sent.markdown.count("\n- ") == 1


def test_a_rerun_of_the_same_publish_sends_nothing(nights: Nights) -> None:
    before = (len(nights.webhook.requests), len(nights.smtp.messages))
    said: list[str] = []
    push_after_publish(nights.settings, D1, D3, say=said.append)
    push_opportunities(nights.settings, D2, D2, say=said.append)  # `puhui opportunities send`
    assert (len(nights.webhook.requests), len(nights.smtp.messages)) == before
    assert all(line.endswith("nothing new") for line in said), said


def test_each_send_is_recorded_per_event_and_org(nights: Nights) -> None:
    rows = wh(nights.settings, "select org_no, biz_date, event_type, cust_no, ref_no, "
              "is_listed, delivered_to, is_delivered from meta.opportunity_push")
    for org in (OUTLET, BRANCH):
        owned = {k for k, r in nights.events_final.items() if r[-1] in SUBTREE[org]}
        recorded = [(r[1], r[2], r[3], r[4]) for r in rows if r[0] == org]
        assert len(recorded) == len(set(recorded))  # never twice
        # every event the org owns now, plus the one a re-delivery withdrew (LB1 on D3)
        assert set(recorded) == owned | {(D3, "NEW_OVERDUE", "K28", "LB1")}
    style = {OUTLET: "wecom", BRANCH: "dingtalk"}
    for org, *_, listed, delivered_to, ok in rows:
        assert listed and ok
        assert delivered_to == f"webhook({style[org]}): ok; email: ok (1 recipients)"
    outbox = list((nights.settings.outbox_dir).glob("*/opportunities/*.md"))
    assert len(outbox) == 4  # two nights, two orgs


def test_a_dry_run_writes_the_message_and_sends_nothing(nights: Nights,
                                                       tmp_path: Path) -> None:
    """An org added later: a dry run shows what `puhui opportunities send` would send."""
    s = nights.settings.model_copy(update={
        "home": tmp_path, "opportunity_recipients": [BriefingRecipient(
            org_no="200001", webhook_url=nights.webhook.url)]})
    shutil.copy(nights.settings.warehouse_path, s.warehouse_path)
    shutil.copy(nights.settings.serving_path, s.serving_path)
    before = len(nights.webhook.requests)
    report = push_opportunities(s, D1, D3, dry_run=True, say=print)
    assert len(nights.webhook.requests) == before
    (m,) = report.messages
    assert m.event_cnt == len(nights.events_final) and m.outcome == ""
    assert m.file.read_text(encoding="utf-8").startswith(
        f"### 【普惠商机】泰兴农村商业银行 {D1.isoformat()} 至 {D3.isoformat()} 新增商机")
    assert wh(s, "select count(*) from meta.opportunity_push where org_no = '200001'") == [(0,)]


def test_the_masked_names_table_holds_masked_names_of_event_customers_only(
        nights: Nights) -> None:
    """t1-extract-spec §4: no PII column leaves raw; the push's names are masked in
    staging, enterprise names too, and published for the customers with events only."""
    from dagster_project import contract

    pii = {c.name for t in contract.TABLES for c in t.columns if c.pii}
    cols = wh(nights.settings, "select table_name, column_name from duckdb_columns() where "
              "schema_name in ('staging', 'intermediate', 'marts', 'serving')")
    assert [(t, c) for t, c in cols if c in pii] == []
    with duckdb.connect(str(nights.settings.serving_path), read_only=True) as con:
        assert [r[0] for r in con.execute("describe srv_opportunity_customers").fetchall()] == [
            "biz_date", "cust_no", "cust_name_masked"]
        rows = con.execute("select biz_date, cust_no, cust_name_masked "
                           "from srv_opportunity_customers").fetchall()
    assert {(d, c) for d, c, _ in rows} == {(k[0], k[2]) for k in nights.events_final}
    assert all(re.fullmatch(r"\S\*", n) for *_, n in rows)
    # the enterprise K20 is masked in staging too (ingestion keeps its name in clear)
    (k20,) = {n for n, in wh(nights.settings, "select distinct cust_name_masked from "
                             "staging.stg_t1__customer_names where cust_no = 'K20'")}
    assert k20 == "泰*"
