"""Alerts (issue 7) against real local receivers: an ``http.server`` webhook and a
small SMTP server on 127.0.0.1, and a real warehouse file for ``meta.alert``.

Expected bodies are written out by hand from the WeCom/DingTalk robot formats.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import email
import email.policy
import hashlib
import hmac
import json
import socket
import socketserver
import subprocess
import sys
import threading
import time as time_mod
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from dagster_project import alerts
from dagster_project.audit import AuditResult, CheckResult
from dagster_project.settings import Settings

D = date(2026, 1, 2)
NOW = datetime(2026, 1, 3, 6, 0)  # naive = Beijing time
KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"


# --- local receivers -------------------------------------------------------------------


@dataclasses.dataclass
class Webhook:
    url: str = ""
    status: int = 200
    reply: bytes = b'{"errcode":0,"errmsg":"ok"}'
    requests: list[tuple[str, dict[str, str], bytes]] = dataclasses.field(default_factory=list)

    def json(self, i: int = 0) -> object:
        return json.loads(self.requests[i][2].decode("utf-8"))


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch) -> Iterator[Webhook]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")  # loopback only, never a proxy
    with serve_webhook() as rec:
        yield rec


@contextlib.contextmanager
def serve_webhook() -> Iterator[Webhook]:
    """The receiver, for fixtures of any scope (set NO_PROXY as ``webhook`` does)."""
    rec = Webhook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            rec.requests.append((self.path, dict(self.headers), body))
            self.send_response(rec.status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(rec.reply)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    rec.url = f"http://127.0.0.1:{server.server_port}/cgi-bin/webhook/send?key={KEY}"
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()


class SMTPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), SMTPHandler)
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.refuse: set[str] = set()


class SMTPHandler(socketserver.StreamRequestHandler):
    """Enough of RFC 5321 for smtplib: EHLO, MAIL, RCPT, DATA (dot-unstuffing), QUIT."""

    server: SMTPServer

    def say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.say("220 127.0.0.1 ESMTP test receiver")
        sender, rcpts = "", []
        while line := self.rfile.readline():
            cmd = line.decode("ascii", "replace").strip()
            upper = cmd.upper()
            if upper.startswith("EHLO"):
                self.wfile.write(b"250-127.0.0.1\r\n250 8BITMIME\r\n")
            elif upper.startswith("HELO") or upper in ("RSET", "NOOP"):
                self.say("250 OK")
            elif upper.startswith("MAIL FROM:"):
                sender, rcpts = cmd[10:].split()[0].strip("<>"), []
                self.say("250 OK")
            elif upper.startswith("RCPT TO:"):
                addr = cmd[8:].split()[0].strip("<>")
                if addr in self.server.refuse:
                    self.say("550 no such user")
                else:
                    rcpts.append(addr)
                    self.say("250 OK")
            elif upper == "DATA":
                self.say("354 end with <CRLF>.<CRLF>")
                data = []
                while (chunk := self.rfile.readline()) != b".\r\n":
                    data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                self.server.messages.append((sender, rcpts, b"".join(data)))
                self.say("250 OK queued")
            elif upper == "QUIT":
                self.say("221 bye")
                return
            else:
                self.say("502 not implemented")


@pytest.fixture
def smtp() -> Iterator[SMTPServer]:
    server = SMTPServer()
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# --- fixtures --------------------------------------------------------------------------


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield c
    c.close()


def make_settings(tmp_path: Path, **kw: object) -> Settings:
    base: dict[str, object] = {"home": tmp_path, "alert_webhook_url": None,
                               "alert_smtp_host": None, "alert_mail_to": [],
                               "alert_timeout_seconds": 5.0,
                               "late_delivery_deadline": time(9, 0)}
    return Settings(**{**base, **kw})


def audit_result() -> AuditResult:
    return AuditResult("r1", (D,), (
        CheckResult("value_bounds_org", True, True, "ok", D),
        CheckResult("dep_bal_day_move", False, True,
                    "1 orgs with DEP_BAL moving more than 30% day over day, unexplained: "
                    "org 330100000001 DEP_BAL 100000000.00 -> 131000000.00 (+31.0%)", D),
        CheckResult("incl_npl_tolerance", False, False,
                    "1 banks above the inclusive-NPL tolerance: org 330100000001 "
                    "INCL_NPL_RATIO 5.10% > NPL_RATIO 2.00% + 3%", D),
    ))


def failed_alert() -> alerts.Alert:
    [failed, _warning] = alerts.from_audit(audit_result(), NOW)
    return dataclasses.replace(failed, alert_id="a1")


FAILED_CONTENT = (
    "### 【普惠数据】2026-01-02 数据审核未通过\n"
    "**级别**：严重　**类型**：数据审核未通过\n\n"
    "审核未通过，本次未发布。看板继续显示上一期已审核发布的数据。\n"
    "- 2026-01-02 机构存款余额日变动过大且无说明 (dep_bal_day_move): "
    "1 orgs with DEP_BAL moving more than 30% day over day, unexplained: "
    "org 330100000001 DEP_BAL 100000000.00 -> 131000000.00 (+31.0%)\n"
    "审核批次 r1"
    "\n\n> 2026-01-03 06:00 北京时间 · 告警 a1"
)


def alert_rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:  # type: ignore[type-arg]
    return con.execute("select alert_id, raised_at, kind, biz_date, severity, title, "
                       "delivered_to from meta.alert order by raised_at, kind").fetchall()


# --- alerts from the audit -------------------------------------------------------------


def test_audit_result_gives_one_failure_and_one_warning_alert() -> None:
    failed, warning = alerts.from_audit(audit_result(), NOW)
    assert (failed.kind, failed.severity, failed.biz_date, failed.title) == (
        "audit_failed", "critical", D, "【普惠数据】2026-01-02 数据审核未通过")
    assert (warning.kind, warning.severity, warning.title) == (
        "audit_warning", "warning", "【普惠数据】2026-01-02 数据审核提示")
    assert "普惠不良率高于各项贷款不良率容忍度 (incl_npl_tolerance)" in warning.detail
    assert "incl_npl_tolerance" not in failed.detail  # a warning does not block
    assert failed.raised_at == NOW


def test_a_passing_audit_raises_nothing() -> None:
    ok = AuditResult("r2", (D,), (CheckResult("completeness_org", True, True, "ok", D),))
    assert alerts.from_audit(ok, NOW) == []


def test_multi_date_run_is_one_alert_titled_with_the_range() -> None:
    dates = (date(2026, 1, 1), D, date(2026, 1, 3))
    result = AuditResult("r3", dates, (CheckResult("dbt_tests", False, True, "3 failed"),))
    [a] = alerts.from_audit(result, NOW)
    assert a.title == "【普惠数据】2026-01-01 至 2026-01-03 数据审核未通过"
    assert a.biz_date == date(2026, 1, 3)


def test_titles_of_the_other_kinds() -> None:
    assert alerts.rejected_delivery(D, "x", NOW).title == (
        "【普惠数据】2026-01-02 数据文件校验未通过")
    assert alerts.publish_failed([D], "x", NOW).title == "【普惠数据】2026-01-02 数据发布失败"
    assert alerts.late_delivery(D, time(9), NOW).title == "【普惠数据】2026-01-02 数据未按时送达"


# --- webhook ------------------------------------------------------------------------------


def test_wecom_markdown_is_posted_and_recorded(tmp_path: Path, con, webhook) -> None:
    settings = make_settings(tmp_path, alert_webhook_url=webhook.url, alert_webhook_style="wecom")
    sent = alerts.raise_alert(con, settings, failed_alert())
    assert sent.delivered_to == "webhook(wecom): ok"
    [(path, headers, _)] = webhook.requests
    assert path == f"/cgi-bin/webhook/send?key={KEY}"
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert webhook.json() == {"msgtype": "markdown", "markdown": {"content": FAILED_CONTENT}}
    assert alert_rows(con) == [("a1", NOW, "audit_failed", D, "critical",
                                "【普惠数据】2026-01-02 数据审核未通过", "webhook(wecom): ok")]


def test_dingtalk_body_and_signature(tmp_path: Path, con, webhook) -> None:
    secret = "SEC000111222333"
    settings = make_settings(tmp_path, alert_webhook_url=webhook.url,
                             alert_webhook_style="dingtalk", alert_webhook_secret=secret)
    before = int(time_mod.time() * 1000)
    assert alerts.raise_alert(con, settings, failed_alert()).delivered_to == (
        "webhook(dingtalk): ok")
    assert webhook.json() == {"msgtype": "markdown", "markdown": {
        "title": "【普惠数据】2026-01-02 数据审核未通过", "text": FAILED_CONTENT}}
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(webhook.requests[0][0]).query)
    ts = query["timestamp"][0]
    assert before <= int(ts) <= before + 60_000
    # DingTalk's documented signing, recomputed here independently
    expected = base64.b64encode(hmac.new(secret.encode(), f"{ts}\n{secret}".encode(),
                                         hashlib.sha256).digest()).decode()
    assert query["sign"] == [expected] and query["key"] == [KEY]


def test_long_detail_is_cut_to_the_robot_limit(webhook, tmp_path: Path, con) -> None:
    settings = make_settings(tmp_path, alert_webhook_url=webhook.url)
    long = dataclasses.replace(failed_alert(), detail="机构" * 5000)
    alerts.raise_alert(con, settings, long)
    content = webhook.json()["markdown"]["content"]  # type: ignore[index]
    assert len(content.encode()) <= 4096  # WeCom markdown limit
    assert "内容过长已截断" in content and content.endswith("告警 a1")
    # the record keeps the whole detail
    assert con.execute("select length(detail) from meta.alert").fetchone() == (10000,)


def test_http_error_is_recorded_not_raised_and_hides_the_key(tmp_path, con, webhook) -> None:
    webhook.status, webhook.reply = 500, b"boom"
    settings = make_settings(tmp_path, alert_webhook_url=webhook.url)
    sent = alerts.raise_alert(con, settings, failed_alert())
    assert sent.delivered_to == (
        "webhook(wecom): failed (HTTPError: HTTP Error 500: Internal Server Error)")
    assert alert_rows(con)[0][-1] == sent.delivered_to


def test_robot_errcode_counts_as_failure(tmp_path: Path, con, webhook) -> None:
    webhook.reply = json.dumps({"errcode": 93000, "errmsg": "invalid webhook url"}).encode()
    settings = make_settings(tmp_path, alert_webhook_url=webhook.url)
    assert alerts.raise_alert(con, settings, failed_alert()).delivered_to == (
        "webhook(wecom): failed (errcode 93000: invalid webhook url)")


def test_unreachable_channels_are_recorded(tmp_path: Path, con, monkeypatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    url = f"http://127.0.0.1:{closed_port()}/send?key={KEY}"
    settings = make_settings(tmp_path, alert_webhook_url=url, alert_smtp_host="127.0.0.1",
                             alert_smtp_port=closed_port(), alert_mail_to=["ops@bank.example"])
    sent = alerts.raise_alert(con, settings, failed_alert())
    web, mail = sent.delivered_to.split("; ")
    assert web.startswith("webhook(wecom): failed (URLError: ")
    assert mail.startswith("email: failed (ConnectionRefusedError: ")
    assert KEY not in sent.delivered_to
    assert alert_rows(con)[0][-1] == sent.delivered_to


def test_no_channel_configured_still_records(tmp_path: Path, con) -> None:
    sent = alerts.raise_alert(con, make_settings(tmp_path), failed_alert())
    assert sent.delivered_to == "none configured"
    assert len(alert_rows(con)) == 1


# --- e-mail ----------------------------------------------------------------------------


def test_email_is_sent_to_every_recipient(tmp_path: Path, con, smtp, webhook) -> None:
    settings = make_settings(
        tmp_path, alert_webhook_url=webhook.url, alert_smtp_host="127.0.0.1",
        alert_smtp_port=smtp.server_address[1], alert_mail_from="puhui@bank.example",
        alert_mail_to=["ops@bank.example", "leader@bank.example"])
    sent = alerts.raise_alert(con, settings, failed_alert())
    assert sent.delivered_to == "webhook(wecom): ok; email: ok (2 recipients)"
    [(sender, rcpts, data)] = smtp.messages
    assert sender == "puhui@bank.example"
    assert rcpts == ["ops@bank.example", "leader@bank.example"]
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert msg["Subject"] == "【普惠数据】2026-01-02 数据审核未通过"
    assert msg["To"] == "ops@bank.example, leader@bank.example"
    body = msg.get_content()
    assert body.startswith("【普惠数据】2026-01-02 数据审核未通过\n"
                           "级别：严重　类型：数据审核未通过\n\n审核未通过，本次未发布。")
    assert "org 330100000001 DEP_BAL 100000000.00 -> 131000000.00 (+31.0%)" in body


def test_refused_recipient_is_partial_delivery(tmp_path: Path, con, smtp) -> None:
    smtp.refuse = {"gone@bank.example"}
    settings = make_settings(tmp_path, alert_smtp_host="127.0.0.1",
                             alert_smtp_port=smtp.server_address[1],
                             alert_mail_to=["ops@bank.example", "gone@bank.example"])
    assert alerts.raise_alert(con, settings, failed_alert()).delivered_to == (
        "email: partly (1 of 2 recipients)")
    assert smtp.messages[0][1] == ["ops@bank.example"]


# --- late delivery ----------------------------------------------------------------------


def bj(h: int, m: int = 0, day: int = 3) -> datetime:
    return datetime(2026, 1, day, h, m)  # naive = Beijing time


def deliver(landing: Path, d: date) -> None:
    folder = landing / f"{d:%Y%m%d}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"DONE_{d:%Y%m%d}.flg").write_text("ORG_INFO_x.dat\n")


def test_late_default_deadline_is_nine_beijing() -> None:
    assert Settings.model_fields["late_delivery_deadline"].default == time(9, 0)


def test_no_alert_before_the_deadline(tmp_path: Path, webhook) -> None:
    settings = make_settings(tmp_path, alert_webhook_url=webhook.url)
    assert alerts.check_late(settings, tmp_path / "landing", bj(8, 59)) == []
    assert webhook.requests == []


def test_missing_done_at_the_deadline_alerts_once(tmp_path: Path, webhook) -> None:
    settings = make_settings(tmp_path, alert_webhook_url=webhook.url)
    landing = tmp_path / "landing"
    deliver(landing, date(2026, 1, 1))  # the day before does not count for D
    (landing / "20260102").mkdir()  # being written: no DONE yet
    [a] = alerts.check_late(settings, landing, bj(9, 0))
    assert (a.kind, a.biz_date, a.severity, a.title) == (
        "late_delivery", D, "critical", "【普惠数据】2026-01-02 数据未按时送达")
    assert a.detail == ("截至北京时间 09:00，未收到 2026-01-02 的完整数据 (DONE_20260102.flg)。"
                        "看板继续显示上一期已审核发布的数据。")
    assert a.delivered_to == "webhook(wecom): ok"
    # the sensor ticks on: nothing more for that date
    assert alerts.check_late(settings, landing, bj(9, 30)) == []
    assert alerts.check_late(settings, landing, bj(23, 59)) == []
    assert len(webhook.requests) == 1
    with duckdb.connect(str(settings.warehouse_path)) as c:
        assert c.execute("select kind, biz_date, raised_at from meta.alert").fetchall() == [
            ("late_delivery", D, bj(9, 0))]


def test_done_flag_means_on_time(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    deliver(tmp_path / "landing", D)
    assert alerts.check_late(settings, tmp_path / "landing", bj(10)) == []
    assert not settings.warehouse_path.exists()  # not even opened


def test_now_in_another_zone_is_read_as_beijing_time(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    landing = tmp_path / "landing"
    # 2026-01-02 23:30 UTC = 2026-01-03 07:30 Beijing: before the deadline
    assert alerts.check_late(settings, landing, datetime(2026, 1, 2, 23, 30, tzinfo=UTC)) == []
    # 2026-01-03 01:00 UTC = 09:00 Beijing: D = 2026-01-02 is late
    [a] = alerts.check_late(settings, landing, datetime(2026, 1, 3, 1, 0, tzinfo=UTC))
    assert a.biz_date == D and a.raised_at == bj(9, 0)
    # 2026-01-03 16:30 UTC = 2026-01-04 00:30 Beijing: D = 01-03, not yet due
    assert alerts.check_late(settings, landing, datetime(2026, 1, 3, 16, 30, tzinfo=UTC)) == []


def test_deadline_comes_from_settings(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, late_delivery_deadline=time(10, 30))
    assert alerts.check_late(settings, tmp_path / "landing", bj(10, 29)) == []
    assert len(alerts.check_late(settings, tmp_path / "landing", bj(10, 30))) == 1


def test_loaded_date_whose_folder_was_cleaned_is_not_late(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with duckdb.connect(str(settings.warehouse_path)) as c:
        c.execute("create schema meta")
        c.execute("create table meta.delivery (biz_date date primary key)")
        c.execute("insert into meta.delivery values (?)", [D])
    assert alerts.check_late(settings, tmp_path / "landing", bj(9)) == []


def test_quarantined_delivery_is_late_and_says_so(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    (settings.quarantine_dir / "20260102-20260103T031500000000").mkdir(parents=True)
    [a] = alerts.check_late(settings, tmp_path / "landing", bj(9))
    assert a.detail.endswith("该日数据曾送达但未通过校验，已在隔离区，请联系省联社重发。")


def test_busy_warehouse_postpones_the_check(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', flush=True);"
         " time.sleep(30)", str(settings.warehouse_path)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        assert alerts.check_late(settings, tmp_path / "landing", bj(9)) == []
    finally:
        holder.kill()
        holder.wait()
    assert len(alerts.check_late(settings, tmp_path / "landing", bj(9, 5))) == 1


# --- from steps that hold no connection ------------------------------------------------


def test_raise_in_warehouse_records(tmp_path: Path, webhook) -> None:
    settings = make_settings(tmp_path, alert_webhook_url=webhook.url)
    a = alerts.raise_in_warehouse(settings, alerts.rejected_delivery(D, "DEP_ACCT_20260102.dat"
                                                                     ": [md5] mismatch", NOW))
    assert a.delivered_to == "webhook(wecom): ok"
    with duckdb.connect(str(settings.warehouse_path)) as c:
        assert c.execute("select kind, biz_date, delivered_to from meta.alert").fetchall() == [
            ("rejected_delivery", D, "webhook(wecom): ok")]
    assert "DEP_ACCT_20260102.dat: [md5] mismatch" in webhook.json()["markdown"]["content"]  # type: ignore[index]


def test_raise_in_warehouse_still_sends_when_the_warehouse_is_busy(tmp_path: Path,
                                                                  webhook) -> None:
    settings = make_settings(tmp_path, alert_webhook_url=webhook.url)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', flush=True);"
         " time.sleep(30)", str(settings.warehouse_path)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        a = alerts.raise_in_warehouse(settings, alerts.publish_failed([D], "disk full", NOW),
                                      wait_s=1)
    finally:
        holder.kill()
        holder.wait()
    assert a.delivered_to == "webhook(wecom): ok" and len(webhook.requests) == 1
    with duckdb.connect(str(settings.warehouse_path)) as c:  # the holder kept it out
        assert c.execute("select count(*) from information_schema.tables "
                         "where table_name = 'alert'").fetchone() == (0,)


def test_raise_in_warehouse_waits_for_a_reader_to_let_go(tmp_path: Path, webhook) -> None:
    """A sensor tick or an operator's read-only query holds the warehouse for a moment
    just as a quarantined delivery raises its alert: the alert waits, it is not lost
    (CI saw one lost to the unattended test's own read)."""
    settings = make_settings(tmp_path)
    duckdb.connect(str(settings.warehouse_path)).close()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True);"
         " print('ready', flush=True); time.sleep(2); c.close(); time.sleep(30)",
         str(settings.warehouse_path)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        started = time_mod.monotonic()
        alerts.raise_in_warehouse(settings, alerts.rejected_delivery(D, "gl", NOW))
        waited = time_mod.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert 1.0 < waited < 10
    with duckdb.connect(str(settings.warehouse_path)) as c:
        assert c.execute("select kind, biz_date from meta.alert").fetchall() == [
            ("rejected_delivery", D)]


def test_late_delivery_sensor_raises_through_check_late(tmp_path: Path) -> None:
    from datetime import time as clock

    from dagster import DagsterInstance, build_sensor_context

    from dagster_project.alerts.sensor import build_late_delivery_sensor
    from dagster_project.settings import Settings

    settings = Settings(home=tmp_path, landing=tmp_path / "landing",
                        late_delivery_deadline=clock(0, 0),  # always past the deadline
                        alert_webhook_url=None, alert_smtp_host=None)  # never a real robot
    late_delivery_sensor = build_late_delivery_sensor(settings)
    with DagsterInstance.ephemeral() as instance:  # no run holds the warehouse
        first = late_delivery_sensor(build_sensor_context(instance=instance))
        again = late_delivery_sensor(build_sensor_context(instance=instance))
    assert first.skip_message == "raised 1 late-delivery alert(s)"
    assert again.skip_message == "no delivery overdue"
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as c:
        assert c.execute("select kind from meta.alert").fetchall() == [("late_delivery",)]
