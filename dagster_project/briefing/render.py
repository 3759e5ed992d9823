"""The briefing as text a phone shows: markdown for the WeCom/DingTalk robots, HTML
for e-mail, and the page the cockpit picture is rendered from (issue 16).

Amounts are in 亿元 (balances of 1 亿 and more) or 万元; changes always in 万元 so a
day's move reads the same everywhere; ratios in %, their changes in 个百分点. Nothing
here names a customer: a large outflow is told as a count and a sum per org.
"""

from __future__ import annotations

import html
from collections import defaultdict
from datetime import date

from dagster_project.briefing.content import Briefing, Figure, Mover, Warning

PREFIX = "【普惠简报】"
SEVERITY_ZH = {"critical": "严重", "warning": "关注", "info": "提示"}
# WeCom caps markdown at 4096 bytes (alerts/channels.py keeps 4000 for both robots).
MAX_MARKDOWN_BYTES = 4000
MAX_ORGS_PER_RULE = 3


def money(v: float | None) -> str:
    if v is None:
        return "—"
    if abs(v) >= 1e8:
        return f"{v / 1e8:,.2f}亿元"
    return f"{v / 1e4:,.1f}万元"


def money_change(v: float | None) -> str:
    return "—" if v is None else f"{v / 1e4:+,.0f}万元"


def value_text(f: Figure) -> str:
    if f.value is None:
        return "—"
    if f.kind == "money":
        return money(f.value)
    if f.kind == "ratio":
        return f"{f.value * 100:.2f}%"
    if f.kind == "flag":
        return "达标" if f.value == 1 else "未达标"
    return f"{f.value:,.0f}{f.kind.split(':')[1]}"


def change_text(f: Figure, change: float | None) -> str:
    if change is None:
        return "—"
    if f.kind == "money":
        return money_change(change)
    if f.kind == "ratio":
        return f"{change * 100:+.2f}个百分点".replace("-0.00", "+0.00")
    if f.kind == "flag":
        if change == 0:
            return "不变"
        return "转为达标" if change > 0 else "转为未达标"
    return f"{change:+,.0f}{f.kind.split(':')[1]}"


def warning_value(w: Warning) -> str:
    """The measured value in the words of its rule (warning_rules.rule)."""
    if w.rule_code.startswith("DEP_DROP"):
        return f"{w.value * 100:+.2f}%"
    if w.rule_code == "NPL_UP_MTD":
        return f"{w.value * 100:+.2f}个百分点"
    if w.rule_code == "TWO_INCREASE_LOST":
        return "由达标转为未达标"
    if w.rule_code == "BIG_OUTFLOW":
        return money_change(-w.value).lstrip("-")
    if w.rule_code == "POLICY_GRACE_NEW":
        return f"{w.value:,.0f}件"
    if w.rule_code == "NO_VISIT_7D":
        return f"{w.value:,.0f}天无走访"
    return f"{w.value:,.4g}"


def warning_lines(warnings: list[Warning]) -> list[str]:
    """One line per rule: severity, name, how many, the first orgs. Large outflows are
    counted per org (customers are never named in a message)."""
    by_rule: dict[str, list[Warning]] = defaultdict(list)
    for w in warnings:
        by_rule[w.rule_code].append(w)
    lines = []
    for ws in by_rule.values():
        w0 = ws[0]
        head = f"【{SEVERITY_ZH.get(w0.severity, w0.severity)}】{w0.rule_name}"
        if w0.rule_code == "BIG_OUTFLOW":
            per_org: dict[str, list[Warning]] = defaultdict(list)
            for w in ws:
                per_org[w.org_name].append(w)
            orgs = sorted(per_org.items(), key=lambda kv: -sum(w.value for w in kv[1]))
            total = sum(w.value for w in ws)
            shown = "、".join(f"{name} {len(v)}户" for name, v in orgs[:MAX_ORGS_PER_RULE])
            more = f" 等{len(orgs)}个机构" if len(orgs) > MAX_ORGS_PER_RULE else ""
            lines.append(f"{head}：{len(ws)}户，合计{money(total)}（{shown}{more}）")
            continue
        shown = "、".join(f"{w.org_name} {warning_value(w)}" for w in ws[:MAX_ORGS_PER_RULE])
        more = f" 等{len(ws)}个" if len(ws) > MAX_ORGS_PER_RULE else ""
        lines.append(f"{head}：{shown}{more}")
    return lines


def mover_line(i: int, m: Mover) -> str:
    return f"{i}. {m.org_name} {money_change(m.day_change)}（余额{money(m.dep_bal)}）"


def title(b: Briefing) -> str:
    return f"{PREFIX}{b.org_name} {b.biz_date.isoformat()}"


def basis(b: Briefing) -> str:
    prev = b.prev_date.isoformat() if b.prev_date else "无"
    ms = b.month_start_date.isoformat() if b.month_start_date else "未加载"
    return f"已审核发布数据；较上日 = 较 {prev}，较月初 = 较 {ms}"


def markdown(b: Briefing, link: str) -> str:
    """WeCom and DingTalk both render this (headings, bold, lists, quotes, links)."""
    out = [f"### {title(b)}", f"> {basis(b)}", "", "**经营概况**"]
    out += [f"- {f.name}：**{value_text(f)}**，较上日 {change_text(f, f.day_change)}，"
            f"较月初 {change_text(f, f.month_change)}" for f in b.figures]
    lines = warning_lines(b.warnings)
    out += ["", f"**今日预警（{len(b.warnings)}条）**"]
    out += [f"- {x}" for x in lines] or ["- 无"]
    if b.top or b.bottom:
        out += ["", f"**{b.child_level_zh}存款增长前{len(b.top)}（较上日）**"]
        out += [mover_line(i, m) for i, m in enumerate(b.top, 1)]
        out += ["", f"**{b.child_level_zh}存款下降前{len(b.bottom)}（较上日）**"]
        out += [mover_line(i, m) for i, m in enumerate(b.bottom, 1)] or ["无"]
    tail = f"\n\n[打开行长战情室]({link})"
    text = "\n".join(out)
    budget = MAX_MARKDOWN_BYTES - len(tail.encode())
    if len(text.encode()) > budget:
        keep = budget - len("\n…（已截断，详见看板）".encode())
        text = text.encode()[:keep].decode(errors="ignore") + "\n…（已截断，详见看板）"
    return text + tail


def not_published_line(biz_date: date, last: date | None) -> str:
    """The one line sent instead of figures when the date did not publish."""
    still = (f"看板仍为 {last.isoformat()} 的已审核数据" if last else "看板暂无已发布数据")
    return f"{PREFIX}{biz_date.isoformat()} 数据未更新：该日数据未通过审核或未送达，{still}。"


def _e(s: object) -> str:
    return html.escape(str(s))


_CSS = """
body{margin:0;font-family:"Noto Sans CJK SC","Noto Sans SC",sans-serif;background:#f2f4f7;
color:#1f2329;font-size:15px}
.wrap{max-width:390px;margin:0 auto;padding:12px}
h1{font-size:19px;margin:4px 0 2px}
.sub{color:#646a73;font-size:12px;margin-bottom:10px}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:8px}
.card{background:#fff;border-radius:8px;padding:8px 10px}
.card .n{color:#646a73;font-size:12px}
.card .v{font-size:18px;font-weight:700;margin:2px 0}
.card .c{font-size:12px;color:#646a73;line-height:1.45}
.box .c{font-size:12px;color:#646a73;line-height:1.6}
.up{color:#d83931}.down{color:#2ea121}
h2{font-size:15px;margin:14px 0 6px}
.box{background:#fff;border-radius:8px;padding:8px 10px;font-size:13px;line-height:1.6}
.sev-critical{color:#d83931;font-weight:700}.sev-warning{color:#de7802;font-weight:700}
.sev-info{color:#3370ff;font-weight:700}
ol{margin:0;padding-left:20px}
.link{font-size:12px;color:#3370ff;margin-top:12px;word-break:break-all}
"""


def _signed(text: str, change: float | None) -> str:
    # Chinese convention: red is up, green is down; by the text as shown, so a change
    # that rounds to +0.00 is not coloured
    moved = change is not None and any(ch in "123456789" for ch in text)
    cls = "" if not moved else ("up" if text.startswith("+") else "down")
    return f'<span class="{cls}">{_e(text)}</span>'


def _trend_svg(b: Briefing) -> str:
    pts = [(d, dep, loan) for d, dep, loan in b.trend if dep is not None and loan is not None]
    if len(pts) < 2:
        return ""
    w, h, pad = 360, 110, 6

    def line(idx: int) -> str:
        # each series on its own scale (deposits are several times the loans, on one
        # scale both lines look flat); the legend gives the range of each
        lo, hi = min(p[idx] for p in pts), max(p[idx] for p in pts)
        span = (hi - lo) or 1.0
        return " ".join(f"{pad + i * (w - 2 * pad) / (len(pts) - 1):.1f},"
                        f"{h - pad - (p[idx] - lo) / span * (h - 2 * pad):.1f}"
                        for i, p in enumerate(pts))

    def rng(idx: int) -> str:
        return f"{money(min(p[idx] for p in pts))}–{money(max(p[idx] for p in pts))}"

    return (f'<h2>近{len(pts)}日存贷款余额走势</h2><div class="box">'
            f'<svg width="{w - 20}" height="{h}" viewBox="0 0 {w} {h}">'
            f'<polyline fill="none" stroke="#3370ff" stroke-width="2.5" points="{line(1)}"/>'
            f'<polyline fill="none" stroke="#de7802" stroke-width="2.5" points="{line(2)}"/>'
            f'</svg><div class="c"><span style="color:#3370ff">━ 各项存款 {_e(rng(1))}</span>'
            f'<br><span style="color:#de7802">━ 各项贷款 {_e(rng(2))}</span><br>'
            f'{_e(pts[0][0].isoformat())} 至 {_e(pts[-1][0].isoformat())}，两线各自刻度</div>'
            f'</div>')


def _body_html(b: Briefing, link: str, image_cid: str | None = None) -> str:
    cards = "".join(
        f'<div class="card"><div class="n">{_e(f.name)}</div><div class="v">{_e(value_text(f))}'
        f'</div><div class="c">较上日 {_signed(change_text(f, f.day_change), f.day_change)}<br>'
        f'较月初 {_signed(change_text(f, f.month_change), f.month_change)}</div></div>'
        for f in b.figures)
    warn = "".join(
        f"<div>{_sev_html(x)}</div>" for x in warning_lines(b.warnings)) or "<div>无</div>"
    movers = ""
    if b.top or b.bottom:
        def ol(ms: list[Mover]) -> str:
            items = "".join(f"<li>{_e(m.org_name)} "
                            f"{_signed(money_change(m.day_change), m.day_change)}"
                            f"（余额{_e(money(m.dep_bal))}）</li>" for m in ms)
            return f"<ol>{items}</ol>" if items else "无"
        movers = (f"<h2>{_e(b.child_level_zh)}存款增长前{len(b.top)}（较上日）</h2>"
                  f'<div class="box">{ol(b.top)}</div>'
                  f"<h2>{_e(b.child_level_zh)}存款下降前{len(b.bottom)}（较上日）</h2>"
                  f'<div class="box">{ol(b.bottom)}</div>')
    image = (f'<h2>行长战情室</h2><img src="cid:{image_cid}" width="390" alt="行长战情室">'
             if image_cid else "")
    return (f'<div class="wrap"><h1>{_e(b.org_name)} 每日经营简报</h1>'
            f'<div class="sub">{_e(b.biz_date.isoformat())} · {_e(basis(b))}</div>'
            f'<div class="grid">{cards}</div>{_trend_svg(b)}'
            f'<h2>今日预警（{len(b.warnings)}条）</h2><div class="box">{warn}</div>{movers}'
            f'{image}<div class="link">行长战情室：<a href="{_e(link)}">{_e(link)}</a></div></div>')


def _sev_html(line: str) -> str:
    for sev, zh in SEVERITY_ZH.items():
        tag = f"【{zh}】"
        if line.startswith(tag):
            return f'<span class="sev-{sev}">{tag}</span>{_e(line[len(tag):])}'
    return _e(line)


def cockpit_page(b: Briefing, link: str) -> str:
    """The phone-width page the cockpit picture is taken of (Chromium, 390 CSS px)."""
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=390"><style>{_CSS}</style></head>'
            f"<body>{_body_html(b, link)}</body></html>")


def email_html(b: Briefing, link: str, image_cid: str | None) -> str:
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            f"<style>{_CSS}</style></head><body>{_body_html(b, link, image_cid)}</body></html>")
