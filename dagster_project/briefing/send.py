"""Sending a briefing through the channels the alerts use (issue 7): a group robot
(WeCom or DingTalk, markdown) per recipient, and e-mail (HTML with the picture inline)
through the alerts' SMTP server; the opportunity push (issue 15) sends its text the
same way. Like the alerts, a send never raises: the outcome is returned (and logged)
without the webhook URL, whose key is a secret.

The picture goes to WeCom as an ``image`` message (base64 + md5, WeCom's documented
body); a DingTalk robot only shows pictures by public URL, so it gets the markdown and
the dashboard link.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import smtplib
from email.message import EmailMessage
from typing import Any

from dagster_project.alerts.channels import post_to_robot
from dagster_project.settings import BriefingRecipient, Settings

log = logging.getLogger(__name__)
WECOM_IMAGE_MAX_BYTES = 2 * 1024 * 1024  # WeCom robot: image messages up to 2 MB


def _safe(exc: BaseException, *secrets: str | None) -> str:
    text = f"{type(exc).__name__}: {exc}"
    for s in secrets:
        if s:
            text = text.replace(s, "<secret>")
    return text[:200]


def _post(settings: Settings, r: BriefingRecipient, body: dict[str, Any]) -> str:
    assert r.webhook_url is not None
    url = r.webhook_url.get_secret_value()
    secret = r.webhook_secret.get_secret_value() if r.webhook_secret else None
    try:
        return post_to_robot(url, r.webhook_style, secret, body, settings.alert_timeout_seconds)
    except Exception as exc:  # recorded, never raised: a briefing must not stop the night
        log.warning("message to %s: webhook failed: %s", r.org_no, _safe(exc, url, secret))
        return f"failed ({_safe(exc, url, secret)})"


def markdown_body(style: str, title: str, text: str) -> dict[str, Any]:
    if style == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": text}}
    return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}


def send_webhook(settings: Settings, r: BriefingRecipient, title: str, text: str,
                 png: bytes | None) -> str:
    outcome = _post(settings, r, markdown_body(r.webhook_style, title, text))
    if png is not None and r.webhook_style == "wecom" and outcome == "ok":
        if len(png) > WECOM_IMAGE_MAX_BYTES:
            return "ok (picture over 2 MB not sent)"
        img = _post(settings, r, {"msgtype": "image", "image": {
            "base64": base64.b64encode(png).decode(), "md5": hashlib.md5(png).hexdigest()}})
        return "ok" if img == "ok" else f"ok (picture {img})"
    return outcome


def email_message(settings: Settings, r: BriefingRecipient, subject: str, text: str,
                  html: str | None, png: bytes | None, cid: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = settings.alert_mail_from or "puhui@localhost"
    msg["To"] = ", ".join(r.mail_to)
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
        if png is not None:
            msg.get_payload()[1].add_related(png, "image", "png", cid=f"<{cid}>",
                                             filename="cockpit.png")
    return msg


def send_email(settings: Settings, r: BriefingRecipient, msg: EmailMessage) -> str:
    password = (settings.alert_smtp_password.get_secret_value()
                if settings.alert_smtp_password else None)
    try:
        assert settings.alert_smtp_host is not None
        with smtplib.SMTP(settings.alert_smtp_host, settings.alert_smtp_port,
                          timeout=settings.alert_timeout_seconds) as smtp:
            if settings.alert_smtp_starttls:
                smtp.starttls()
            if settings.alert_smtp_user:
                smtp.login(settings.alert_smtp_user, password or "")
            refused = smtp.send_message(msg)
        n = len(r.mail_to) - len(refused)
        return f"ok ({n} recipients)" if not refused else f"partly ({n} of {len(r.mail_to)})"
    except Exception as exc:  # recorded, never raised
        log.warning("message to %s: e-mail failed: %s", r.org_no, _safe(exc, password))
        return f"failed ({_safe(exc, password)})"


def has_channel(settings: Settings, r: BriefingRecipient) -> bool:
    return r.webhook_url is not None or bool(r.mail_to and settings.alert_smtp_host)
