"""The opportunity push 商机推送 (issue 15, docs/customer-ops.md "Opportunity push").

After each publish of a night, every configured org (``opportunity_recipients``, the
briefing recipients' shape: an org with a group robot and/or e-mail addresses) gets
one message with the opportunity events (customer-ops.md §4) raised on the newly
published dates and owned in its subtree (the owner org_no, or an org below it: the
scope of row-level security), through the channels of the alerts and the briefing.

- **Read-only from the serving copy**: ``opportunity_event``, the masked names of
  ``srv_opportunity_customers``, the managers of ``dim_manager``, the org tree of
  ``dim_org``: only audited, published rows are pushed.
- **Recorded** in the warehouse, ``meta.opportunity_push``: one row per event and
  recipient org, with the message's id, time and per-channel outcome. An event already
  recorded for an org is not sent to it again, so a re-run of the same publish sends
  nothing, and a re-delivery that changes events sends only the new ones (an event
  moved to another date is a new row of opportunity_event: sent; an event a
  re-delivery withdraws is not recalled). Rows are written before sending (``pending``,
  as the alerts do), so a crash mid-send never sends twice; a message that failed on
  every channel is sent again by the next push of those dates.
- **Quiet by default**: no recipient configured, nothing read or sent (one log line).
  ``dry_run`` writes the messages to ``$PUHUI_HOME/outbox/<through>/opportunities/``
  and sends and records nothing; every real send writes its message there too.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from dagster_project.audit.clock import beijing_now, naive_beijing
from dagster_project.briefing import send
from dagster_project.briefing.content import NotPublished, connect, scope_clause
from dagster_project.briefing.opportunities import Message, Opportunity, render
from dagster_project.resources.duckdb import connect_warehouse
from dagster_project.settings import BriefingRecipient, Settings

log = logging.getLogger(__name__)
Say = Callable[[str], None]
DASHBOARD_PATH = "/superset/dashboard/{slug}/"
OFF = ("opportunity push: off (no opportunity_recipients configured; "
       "docs/customer-ops.md \"Opportunity push\")")

DDL = (
    "create schema if not exists meta",
    """
    create table if not exists meta.opportunity_push (
        push_id varchar not null,       -- one message to one org
        sent_at timestamp not null,     -- Beijing time
        org_no varchar not null,        -- the recipient org
        biz_date date not null,         -- the event: opportunity_event's grain
        event_type varchar not null,
        cust_no varchar not null,
        ref_no varchar not null,
        is_listed boolean not null,     -- a line of its own, or counted in 及其他 N 条
        delivered_to varchar not null,  -- per channel: ok or the failure, never a secret
        is_delivered boolean            -- NULL while pending; false: every channel failed
    )
    """,
)


@dataclass
class Pushed:
    org_no: str
    event_cnt: int
    listed: int
    file: Path  # the message as sent (or, in a dry run, as it would be)
    outcome: str = ""


@dataclass
class PushReport:
    from_date: date
    through: date
    messages: list[Pushed] = field(default_factory=list)


def ensure_push_table(con: duckdb.DuckDBPyConnection) -> None:
    for stmt in DDL:
        con.execute(stmt)


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    return bool(con.execute("select count(*) from duckdb_tables() where schema_name = ? "
                            "and table_name = ?", [schema, name]).fetchone()[0])


def sent_keys(con: duckdb.DuckDBPyConnection, org_no: str, from_date: date, through: date
              ) -> set[tuple[date, str, str, str]]:
    """Events recorded for the org in the dates, unless every channel failed (pending
    ones count as sent: at most once, like the alerts)."""
    if not _has_table(con, "meta", "opportunity_push"):
        return set()
    return {tuple(r) for r in con.execute(  # type: ignore[misc]
        "select biz_date, event_type, cust_no, ref_no from meta.opportunity_push "
        "where org_no = ? and biz_date between ? and ? and is_delivered is distinct from false",
        [org_no, from_date, through]).fetchall()}


def dashboard_link(settings: Settings, org_level: int | None) -> str:
    from dagster_project.superset.dashboards import for_org_level

    return settings.dashboard_base_url + DASHBOARD_PATH.format(
        slug=for_org_level(settings.opportunity_dashboard_slug, org_level))


def org_of(con: duckdb.DuckDBPyConnection, org_no: str) -> tuple[str, int] | None:
    row = con.execute("select org_name, org_level from dim_org where org_no = ?",
                      [org_no]).fetchone()
    return None if row is None else (str(row[0]), int(row[1]))


def events_for(con: duckdb.DuckDBPyConnection, org_no: str, level: int, from_date: date,
               through: date) -> list[Opportunity]:
    """The events raised in [from_date, through] whose owner org is the org or below it
    (dim_org's path, as row-level security scopes the dashboards)."""
    # a serving copy published before the push existed has no masked names: numbers only
    has_names = _has_table(con, "main", "srv_opportunity_customers")
    has_managers = _has_table(con, "main", "dim_manager")
    rows = con.execute(
        f"""select events.biz_date, events.event_type, events.cust_no,
                   coalesce(events.ref_no, ''), events.amount, events.due_date, events.mgr_no,
                   {"managers.mgr_name" if has_managers else "null"},
                   {"customers.cust_name_masked" if has_names else "null"}
            from opportunity_event as events
            join dim_org as orgs on orgs.org_no = events.org_no
            {"left join dim_manager as managers on managers.mgr_no = events.mgr_no"
             if has_managers else ""}
            {"left join srv_opportunity_customers as customers on customers.biz_date = "
             "events.biz_date and customers.cust_no = events.cust_no" if has_names else ""}
            where events.biz_date between ? and ? and {scope_clause(level, 'orgs.')}""",
        [from_date, through, *([org_no] if level != 1 else [])]).fetchall()
    return [Opportunity(r[0], r[1], r[2], r[3], None if r[4] is None else float(r[4]), r[5],
                        r[6] or None, r[7], r[8]) for r in rows]


def _deliver(settings: Settings, r: BriefingRecipient, m: Message) -> tuple[str, bool]:
    """Send on the recipient's channels (the briefing's senders, alerts/channels.py's
    robot post); the outcome text and whether any channel took it."""
    outcomes: list[tuple[str, str]] = []
    if r.webhook_url is not None:
        outcomes.append((f"webhook({r.webhook_style})",
                         send.send_webhook(settings, r, m.title, m.markdown, None)))
    if r.mail_to and settings.alert_smtp_host:
        msg = send.email_message(settings, r, m.title, m.text, None, None, "")
        outcomes.append(("email", send.send_email(settings, r, msg)))
    if not outcomes:
        return "none configured", False
    text = "; ".join(f"{name}: {out}" for name, out in outcomes)
    return text, any(out.startswith(("ok", "partly")) for _, out in outcomes)


def _record(con: duckdb.DuckDBPyConnection, push_id: str, org_no: str, m: Message) -> None:
    ensure_push_table(con)
    sent_at = naive_beijing(beijing_now())
    con.executemany(
        "insert into meta.opportunity_push values (?, ?, ?, ?, ?, ?, ?, ?, 'pending', null)",
        [[push_id, sent_at, org_no, *e.key, i < m.listed] for i, e in enumerate(m.events)])


def _recipients(settings: Settings, serving: duckdb.DuckDBPyConnection, from_date: date,
                through: date, dry_run: bool) -> list[BriefingRecipient]:
    if settings.opportunity_recipients or not dry_run:
        return list(settings.opportunity_recipients)
    # a dry run with nobody configured: one message per 支行 with events, to look at
    return [BriefingRecipient(org_no=r[0]) for r in serving.execute(
        "select distinct orgs.lvl3_org_no from opportunity_event as events join dim_org as "
        "orgs on orgs.org_no = events.org_no where events.biz_date between ? and ? and "
        "orgs.lvl3_org_no is not null order by 1", [from_date, through]).fetchall()]


def push_opportunities(settings: Settings, from_date: date, through: date, *,
                       dry_run: bool = False, say: Say = print) -> PushReport:
    """Send every configured org its subtree's events of [from_date, through] not yet
    sent to it (see the module doc). Raises only when a store cannot be opened."""
    report = PushReport(from_date, through)
    if not settings.opportunity_recipients and not dry_run:
        log.info(OFF)
        say(OFF)
        return report
    serving = connect(settings.serving_path)
    wh = connect_warehouse(settings, read_only=dry_run, threads=1)
    box = settings.outbox_dir / f"{through:%Y%m%d}" / "opportunities"
    try:
        for r in _recipients(settings, serving, from_date, through, dry_run):
            if not dry_run and not send.has_channel(settings, r):
                say(f"opportunity push {r.org_no}: skipped (no channel: a webhook_url, or "
                    "mail_to with alert_smtp_host)")
                continue
            org = org_of(serving, r.org_no)
            if org is None:
                say(f"opportunity push {r.org_no}: skipped (no such org in dim_org)")
                continue
            name, level = org
            done = sent_keys(wh, r.org_no, from_date, through)
            new = [e for e in events_for(serving, r.org_no, level, from_date, through)
                   if e.key not in done]
            if not new:
                say(f"opportunity push {from_date}..{through} {r.org_no}: nothing new")
                continue
            m = render(name, new, dashboard_link(settings, level),
                       max_lines=settings.opportunity_max_lines)
            push_id = uuid.uuid4().hex
            box.mkdir(parents=True, exist_ok=True)
            sent = Pushed(r.org_no, len(new), m.listed, box / f"{r.org_no}.{push_id}.md")
            sent.file.write_text(m.markdown + "\n", encoding="utf-8")
            if not dry_run:
                _record(wh, push_id, r.org_no, m)  # first: a crash mid-send never resends
                sent.outcome, ok = _deliver(settings, r, m)
                wh.execute("update meta.opportunity_push set delivered_to = ?, "
                           "is_delivered = ? where push_id = ?", [sent.outcome, ok, push_id])
            report.messages.append(sent)
            say(f"opportunity push {from_date}..{through} {r.org_no}: {len(new)} event(s), "
                f"{m.listed} listed: {sent.outcome or 'written'} ({sent.file})")
    finally:
        wh.close()
        serving.close()
    return report


def push_after_publish(settings: Settings, from_date: date, through: date,
                       say: Say = print) -> None:
    """The night's hook after a publish of business dates (assets/publish.py): the
    events raised on the dates just published, from the build window's first date
    (a re-delivery's date) to the last. Errors are logged, never raised: the publish
    has happened either way."""
    if not settings.opportunity_recipients:
        log.info(OFF)
        say(OFF)
        return
    try:
        push_opportunities(settings, from_date, through, say=say)
    except NotPublished as exc:
        say(f"opportunity push {from_date}..{through}: nothing published ({exc})")
    except Exception as exc:  # a push bug must not fail the night's publish
        log.exception("opportunity push %s..%s failed", from_date, through)
        say(f"opportunity push {from_date}..{through}: FAILED ({type(exc).__name__}: {exc})")
