"""Delivering an alert: a group-robot webhook (WeCom or DingTalk) and/or e-mail.

Each sender returns a short outcome for ``meta.alert.delivered_to`` and never
raises: an alert that cannot be delivered must not stop the pipeline (issue 7),
it is recorded instead. Outcomes never carry the webhook URL (its key is a secret).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import smtplib
import time
import urllib.parse
import urllib.request
from email.message import EmailMessage
from typing import Any

from dagster_project.alerts.model import KIND_ZH, SEVERITY_ZH, Alert
from dagster_project.settings import Settings

log = logging.getLogger(__name__)

# WeCom caps markdown content at 4096 bytes (UTF-8); DingTalk allows more. Keep
# every body under the smaller cap so one renderer serves both.
MAX_CONTENT_BYTES = 4000
TRUNCATED = "\n…（内容过长已截断，完整内容见 meta.alert）"


def markdown(alert: Alert) -> str:
    """The message as markdown both robots render (headings, bold, quotes)."""
    head = (f"### {alert.title}\n**级别**：{SEVERITY_ZH[alert.severity]}　"
            f"**类型**：{KIND_ZH[alert.kind]}\n\n")
    foot = f"\n\n> {alert.raised_at:%Y-%m-%d %H:%M} 北京时间 · 告警 {alert.alert_id}"
    budget = MAX_CONTENT_BYTES - len((head + foot).encode())
    body = alert.detail
    if len(body.encode()) > budget:
        keep = budget - len(TRUNCATED.encode())
        body = body.encode()[:keep].decode(errors="ignore") + TRUNCATED
    return head + body + foot


def webhook_body(style: str, alert: Alert) -> dict[str, Any]:
    """WeCom: ``{"msgtype": "markdown", "markdown": {"content": …}}``;
    DingTalk: ``{"msgtype": "markdown", "markdown": {"title": …, "text": …}}``."""
    if style == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": markdown(alert)}}
    if style == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": alert.title, "text": markdown(alert)}}
    raise ValueError(f"unknown webhook style {style!r}")


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    """DingTalk 加签: sign = base64(HMAC-SHA256(secret, "<timestamp>\\n<secret>"))."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    sign = base64.b64encode(hmac.new(secret.encode(), to_sign, hashlib.sha256).digest())
    sep = "&" if urllib.parse.urlsplit(url).query else "?"
    query = urllib.parse.urlencode({"timestamp": timestamp_ms, "sign": sign.decode()})
    return f"{url}{sep}{query}"


def _safe_error(exc: BaseException, *secrets: str | None) -> str:
    text = f"{type(exc).__name__}: {exc}"
    for s in secrets:
        if s:
            text = text.replace(s, "<secret>")
    return text[:200]


def post_to_robot(url: str, style: str, secret: str | None, body: dict[str, Any],
                  timeout: float) -> str:
    """POST ``body`` to a group robot (DingTalk-signed when it has a secret); ``ok`` or
    ``failed (errcode …)``. The robots answer HTTP 200 with ``errcode`` ≠ 0 on errors
    (bad key, rate limit), so that counts as failure; transport errors raise."""
    target = url
    if style == "dingtalk" and secret:
        target = dingtalk_signed_url(url, secret, int(time.time() * 1000))
    req = urllib.request.Request(
        target, data=json.dumps(body, ensure_ascii=False).encode(), method="POST",
        headers={"Content-Type": "application/json; charset=utf-8"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        raw = resp.read()
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        answer = {}
    errcode = answer.get("errcode", 0) if isinstance(answer, dict) else 0
    if errcode:
        return f"failed (errcode {errcode}: {str(answer.get('errmsg', ''))[:100]})"
    return "ok"


def send_webhook(settings: Settings, alert: Alert) -> str:
    """POST the alert to the robot; ``ok`` or ``failed (…)``. The robots answer HTTP
    200 with ``errcode`` ≠ 0 on errors (bad key, rate limit), so that counts as failure."""
    assert settings.alert_webhook_url is not None
    url = settings.alert_webhook_url.get_secret_value()
    secret = (settings.alert_webhook_secret.get_secret_value()
              if settings.alert_webhook_secret else None)
    try:
        return post_to_robot(url, settings.alert_webhook_style, secret,
                             webhook_body(settings.alert_webhook_style, alert),
                             settings.alert_timeout_seconds)
    except Exception as exc:  # any failure is recorded, never raised (issue 7)
        log.warning("alert %s: webhook delivery failed: %s", alert.alert_id,
                    _safe_error(exc, url, secret))
        return f"failed ({_safe_error(exc, url, secret)})"


def email_message(settings: Settings, alert: Alert) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = alert.title
    msg["From"] = settings.alert_mail_from or "puhui@localhost"
    msg["To"] = ", ".join(settings.alert_mail_to)
    msg.set_content(
        f"{alert.title}\n级别：{SEVERITY_ZH[alert.severity]}　类型：{KIND_ZH[alert.kind]}\n\n"
        f"{alert.detail}\n\n{alert.raised_at:%Y-%m-%d %H:%M} 北京时间 · 告警 {alert.alert_id}\n"
    )
    return msg


def send_email(settings: Settings, alert: Alert) -> str:
    """Send over SMTP; ``ok (n recipients)`` or ``failed (…)``."""
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
            refused = smtp.send_message(email_message(settings, alert))
        total = len(settings.alert_mail_to)
        n = total - len(refused)
        return f"ok ({n} recipients)" if not refused else f"partly ({n} of {total} recipients)"
    except Exception as exc:  # any failure is recorded, never raised (issue 7)
        log.warning("alert %s: e-mail delivery failed: %s", alert.alert_id,
                    _safe_error(exc, password))
        return f"failed ({_safe_error(exc, password)})"


def deliver(settings: Settings, alert: Alert) -> str:
    """Send on every configured channel; the ``delivered_to`` text, e.g.
    ``webhook(wecom): ok; email: failed (ConnectionRefusedError: …)``."""
    outcomes = []
    if settings.alert_webhook_url is not None:
        outcomes.append(f"webhook({settings.alert_webhook_style}): "
                        f"{send_webhook(settings, alert)}")
    if settings.alert_smtp_host and settings.alert_mail_to:
        outcomes.append(f"email: {send_email(settings, alert)}")
    return "; ".join(outcomes) if outcomes else "none configured"
