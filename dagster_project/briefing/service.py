"""The morning briefing (每日经营简报) and the not-published notice (issue 16).

``send_briefing(settings, D)`` is the one call the night makes after its publish step
(pipeline.run_pending): when D is in the serving copy each recipient gets its org's
briefing; when it is not (the audit blocked it, the delivery was rejected) each gets
the one-line "数据未更新" notice instead, never older figures as new. Quiet by default:
with no recipient configured nothing is rendered or sent. ``dry_run`` renders for
every legal entity (or the configured recipients) into ``$PUHUI_HOME/outbox/<D>/``
and sends nothing; every real send writes the same files there as its record.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from dagster_project.briefing import content, render, send
from dagster_project.briefing.image import RenderError, render_png
from dagster_project.settings import BriefingRecipient, Settings

log = logging.getLogger(__name__)
Say = Callable[[str], None]
DASHBOARD_PATH, COCKPIT = "/superset/dashboard/{slug}/", "cockpit"
IMAGE_CID = "cockpit-png"


@dataclass
class Sent:
    org_no: str
    kind: str  # "briefing" | "not_published"
    files: list[Path] = field(default_factory=list)
    outcome: str = ""


@dataclass
class BriefingReport:
    biz_date: date
    published: bool
    sent: list[Sent] = field(default_factory=list)
    seconds: float = 0.0


def dashboard_link(settings: Settings, org_level: int | None = None) -> str:
    """The cockpit a recipient opens: a 支行's is the 万元 copy (Superset's dashboard
    roles let a 支行 user open only that one)."""
    from dagster_project.superset.dashboards import for_org_level

    return settings.dashboard_base_url + DASHBOARD_PATH.format(
        slug=for_org_level(COCKPIT, org_level))


def outbox_for(settings: Settings, biz_date: date) -> Path:
    return settings.outbox_dir / f"{biz_date:%Y%m%d}"


def evaluate_warnings(settings: Settings, biz_date: date) -> list[content.Warning]:
    """The business warnings fired on ``biz_date``, province-wide, as published. The
    rules run in dbt (fct_business_warnings, seed warning_rules) during the build, so
    every publish carries the day's firings; this reads them back."""
    con = content.connect(settings.serving_path)
    try:
        return content.warnings_for(con, biz_date, "", 1)
    finally:
        con.close()


def _recipients(settings: Settings, biz_date: date, dry_run: bool) -> list[BriefingRecipient]:
    if settings.briefing_recipients:
        return list(settings.briefing_recipients)
    if not dry_run:
        return []
    try:  # dry run with nobody configured: one briefing per legal entity, to look at
        return [BriefingRecipient(org_no=o) for o in
                content.legal_entities(settings.serving_path, biz_date)]
    except content.NotPublished:
        return []


def _briefing_one(settings: Settings, r: BriefingRecipient, biz_date: date, box: Path,
                  dry_run: bool) -> Sent:
    b = content.build(settings.serving_path, biz_date, r.org_no)
    link = dashboard_link(settings, b.org_level)
    md = render.markdown(b, link)
    files = [box / f"{r.org_no}.md"]
    files[0].write_text(md + "\n", encoding="utf-8")
    png: bytes | None = None
    if settings.briefing_image:
        try:
            path = render_png(render.cockpit_page(b, link), box / f"{r.org_no}.png",
                              settings.briefing_image_timeout_seconds)
            png = path.read_bytes()
            files.append(path)
        except RenderError as exc:  # the figures still go out; say why the picture did not
            log.warning("briefing for %s: no picture: %s", r.org_no, exc)
    html = render.email_html(b, link, IMAGE_CID if png else None)
    files.append(box / f"{r.org_no}.html")
    files[-1].write_text(html, encoding="utf-8")
    sent = Sent(r.org_no, "briefing", files)
    if not dry_run:
        sent.outcome = _deliver(settings, r, render.title(b), md, html, png)
    return sent


def _deliver(settings: Settings, r: BriefingRecipient, subject: str, text: str,
             html: str | None, png: bytes | None) -> str:
    outcomes = []
    if r.webhook_url is not None:
        outcomes.append(f"webhook({r.webhook_style}): "
                        f"{send.send_webhook(settings, r, subject, text, png)}")
    if r.mail_to and settings.alert_smtp_host:
        msg = send.email_message(settings, r, subject, text, html, png, IMAGE_CID)
        outcomes.append(f"email: {send.send_email(settings, r, msg)}")
    return "; ".join(outcomes) or "none configured"


def not_published_notice(settings: Settings, biz_date: date, *, dry_run: bool = False
                         ) -> list[Sent]:
    """The one line "数据未更新" to every recipient, no figures at all."""
    last = content.last_published(settings.serving_path)
    line = render.not_published_line(biz_date, last)
    box = outbox_for(settings, biz_date)
    box.mkdir(parents=True, exist_ok=True)
    path = box / "not_published.md"
    path.write_text(line + "\n", encoding="utf-8")
    out = []
    for r in _recipients(settings, biz_date, dry_run) or [BriefingRecipient(org_no="-")]:
        s = Sent(r.org_no, "not_published", [path])
        if not dry_run and r.org_no != "-":
            s.outcome = _deliver(settings, r, line, line, None, None)
        out.append(s)
    return out


def send_briefing(settings: Settings, biz_date: date, *, dry_run: bool = False,
                  say: Say = print) -> BriefingReport:
    """Brief every recipient on ``biz_date`` (see the module doc). Never raises for a
    delivery or rendering failure: the night's publish has happened either way."""
    began = time.perf_counter()
    if not settings.briefing_recipients and not dry_run:
        return BriefingReport(biz_date, False)  # quiet by default: not even a file opened
    try:
        published = biz_date in _published(settings)
    except content.NotPublished:
        published = False
    report = BriefingReport(biz_date, published)
    recipients = _recipients(settings, biz_date, dry_run)
    box = outbox_for(settings, biz_date)
    box.mkdir(parents=True, exist_ok=True)
    if not published:
        report.sent = not_published_notice(settings, biz_date, dry_run=dry_run)
        say(f"briefing {biz_date}: not published, notice "
            f"{'written' if dry_run else 'sent'} ({box / 'not_published.md'})")
    else:
        for r in recipients:
            try:
                s = _briefing_one(settings, r, biz_date, box, dry_run)
            except LookupError as exc:  # an org configured that has no figures that day
                s = Sent(r.org_no, "briefing", outcome=f"skipped ({exc})")
            report.sent.append(s)
            say(f"briefing {biz_date} {r.org_no}: "
                f"{s.outcome or 'written'} ({', '.join(p.name for p in s.files)})")
    report.seconds = time.perf_counter() - began
    (box / "briefing.json").write_text(json.dumps({
        "biz_date": biz_date.isoformat(), "published": published, "dry_run": dry_run,
        "seconds": round(report.seconds, 2),
        "sent": [{"org_no": s.org_no, "kind": s.kind, "outcome": s.outcome,
                  "files": [p.name for p in s.files]} for s in report.sent],
    }, ensure_ascii=False, indent=1), encoding="utf-8")
    return report


def _published(settings: Settings) -> list[date]:
    con = content.connect(settings.serving_path)
    try:
        return content.published_dates(con)
    finally:
        con.close()


def brief_after_night(settings: Settings, dates_tried: list[date], say: Say = print) -> None:
    """The pipeline's hook: brief on the latest business date once tonight's deliveries
    (loaded or rejected) are through: the latest of them, or the latest published date
    when they were all re-deliveries of older dates (a corrected 15 Jan is no morning
    briefing of 15 Jan). Nothing when no delivery came. Errors are logged, never raised."""
    if not dates_tried or not settings.briefing_recipients:
        return
    d = max([*dates_tried, *filter(None, [content.last_published(settings.serving_path)])])
    try:
        send_briefing(settings, d, say=say)
    except Exception as exc:  # the publish already happened; a briefing bug must not fail it
        log.exception("briefing for %s failed", d)
        say(f"briefing {d}: FAILED ({type(exc).__name__}: {exc})")


def notice_not_published(settings: Settings, biz_date: date, say: Say = print) -> None:
    """The hook where a date will not publish tonight (a rejected delivery, a failed
    build or publish, a blocked audit): its recipients get the one-line 数据未更新
    notice and never figures, also when an older version of the date is published (a
    blocked re-delivery). Nothing when no recipient is configured; errors are logged,
    never raised (the night's own alert has been raised already)."""
    if not settings.briefing_recipients:
        return
    try:
        not_published_notice(settings, biz_date)
        say(f"briefing {biz_date}: not published, 数据未更新 notice sent")
    except Exception as exc:
        log.exception("not-published notice for %s failed", biz_date)
        say(f"briefing {biz_date}: notice FAILED ({type(exc).__name__}: {exc})")
