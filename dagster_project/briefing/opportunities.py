"""The opportunity push's message (商机推送, issue 15): new opportunity events
(customer-ops.md §4) of one org's subtree as one message, grouped by manager.

A line names the customer by number and masked name (张*, never an ID number or a
phone), the event in Chinese, the amount in yuan and the due date when the event
has one. The account or loan number (ref_no) stays on the dashboard: the message
goes to a group chat. Long lists stop at ``max_lines`` events, and always under
the robots' byte cap (WeCom 4096 bytes), with "…及其他 N 条" and the dashboard link.
Pure: the caller reads the events (opportunity_push.py) and sends the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dagster_project.alerts.channels import MAX_CONTENT_BYTES

PREFIX = "【普惠商机】"
# customer-ops.md §4, in the contract's order (the order of a manager's lines)
EVENT_ZH: dict[str, str] = {
    "TD_MATURE": "定期存款到期",
    "LOAN_MATURE": "贷款到期续贷",
    "BIG_OUTFLOW": "大额资金流出",
    "BIG_INFLOW": "大额资金流入",
    "LIMIT_UNUSED_30D": "授信30天未用信",
    "NEW_OVERDUE": "新增逾期",
}
NO_MANAGER = "未指定客户经理"
LINK_LABEL = "打开看板"


@dataclass(frozen=True)
class Opportunity:
    """One opportunity_event row with the names the message shows."""

    biz_date: date  # the date the event was raised
    event_type: str
    cust_no: str
    ref_no: str  # '' for the two flow events
    amount: float | None
    due_date: date | None
    mgr_no: str | None
    mgr_name: str | None
    cust_name_masked: str | None

    @property
    def key(self) -> tuple[date, str, str, str]:
        """opportunity_event's grain: what "already sent" is decided on."""
        return (self.biz_date, self.event_type, self.cust_no, self.ref_no)


@dataclass(frozen=True)
class Message:
    title: str
    markdown: str  # the robots' body (WeCom/DingTalk markdown)
    text: str  # the e-mail's plain text
    events: tuple[Opportunity, ...]  # every new event the message is about
    listed: int  # how many of them have a line (the rest: "及其他 N 条")


def _order(e: Opportunity) -> tuple[object, ...]:
    return (e.mgr_no is None, e.mgr_no or "", e.biz_date,
            list(EVENT_ZH).index(e.event_type) if e.event_type in EVENT_ZH else len(EVENT_ZH),
            e.due_date is None, e.due_date or date.min, e.cust_no, e.ref_no)


def _manager(e: Opportunity) -> str:
    if not e.mgr_no:
        return NO_MANAGER
    return f"{e.mgr_name}（{e.mgr_no}）" if e.mgr_name else e.mgr_no


def _dates_label(events: list[Opportunity]) -> str:
    first, last = min(e.biz_date for e in events), max(e.biz_date for e in events)
    return first.isoformat() if first == last else f"{first.isoformat()} 至 {last.isoformat()}"


def line(e: Opportunity, *, with_date: bool = False) -> str:
    """``- K21 张* · 定期存款到期 · 100,000.00元 · 到期日 2026-03-29``; the raising date
    first (``[02-28]``) when the message spans several dates."""
    cust = f"{e.cust_no} {e.cust_name_masked}" if e.cust_name_masked else e.cust_no
    parts = [cust, EVENT_ZH.get(e.event_type, e.event_type)]
    if e.amount is not None:
        parts.append(f"{e.amount:,.2f}元")
    if e.due_date is not None:
        parts.append(f"到期日 {e.due_date.isoformat()}")
    return f"- {f'[{e.biz_date:%m-%d}] ' if with_date else ''}{' · '.join(parts)}"


def title(org_name: str, events: list[Opportunity]) -> str:
    return f"{PREFIX}{org_name} {_dates_label(events)} 新增商机{len(events)}条"


def render(org_name: str, events: list[Opportunity], link: str, *, max_lines: int = 50,
           max_bytes: int = MAX_CONTENT_BYTES) -> Message:
    """One org's message: per manager (by number) a header with their count, then one
    line per event in the contract's order of event types, at most ``max_lines`` lines
    and within ``max_bytes`` (UTF-8) of markdown; the rest counted at the end. Blocks
    are apart by an empty line, as in the briefing (markdown needs it between a list
    and the next paragraph)."""
    if not events:
        raise ValueError("no events: no message")
    ordered = sorted(events, key=_order)
    with_date = len({e.biz_date for e in ordered}) > 1
    per_manager: dict[str, int] = {}
    for e in ordered:
        per_manager[_manager(e)] = per_manager.get(_manager(e), 0) + 1
    head = title(org_name, ordered)
    # (markdown, text) per line, "" between blocks; the end is reserved up front
    body: list[tuple[str, str]] = []
    reserve = len(f"\n\n…及其他 {len(ordered)} 条，请在看板查看\n\n[{LINK_LABEL}]({link})".encode())
    used = len(f"### {head}".encode()) + reserve
    listed, current = 0, None
    for e in ordered:
        add: list[tuple[str, str]] = []
        who = _manager(e)
        if who != current:
            count = f"{per_manager[who]}条"
            add += [("", ""), (f"**{who}** {count}", f"{who} {count}")]
        text = line(e, with_date=with_date)
        add.append((text, text))
        size = sum(len(f"\n{md}".encode()) for md, _ in add)
        if listed == max_lines or used + size > max_bytes:
            break
        body += add
        used += size
        listed += 1
        current = who
    tail: list[tuple[str, str]] = []
    if listed < len(ordered):
        rest = f"…及其他 {len(ordered) - listed} 条，请在看板查看"
        tail += [("", ""), (rest, rest)]
    tail += [("", ""), (f"[{LINK_LABEL}]({link})", f"{LINK_LABEL}：{link}")]
    md = "\n".join([f"### {head}", *(m for m, _ in body + tail)])
    text = "\n".join([head, *(t for _, t in body + tail)]) + "\n"
    return Message(head, md, text, tuple(ordered), listed)
