"""The cockpit picture of a briefing: its page rendered by the headless Chromium that
``puhui setup`` installs (Debian's), at a phone's width (issue 16).

Two runs of ``chromium --headless``: the first loads the page and prints its height
(``--dump-dom`` after a script wrote it into the DOM), the second takes the screenshot
at exactly 390 × that height, at device scale 2 so the text stays sharp on a phone.
Nothing is fetched: the page is a local file with inline CSS and SVG, and Chromium
runs with networking off and a throw-away profile.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
PHONE_WIDTH = 390
SCALE = 2
_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--no-first-run", "--hide-scrollbars", "--lang=zh-CN", "--mute-audio",
          "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>")
_HEIGHT_JS = ("<script>document.addEventListener('DOMContentLoaded',()=>{document.body"
              ".setAttribute('data-height',String(document.documentElement.scrollHeight))})"
              "</script>")


class RenderError(RuntimeError):
    """Chromium could not render the page (missing, crashed or timed out)."""


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run([CHROMIUM, *_FLAGS, *args], capture_output=True, text=True,
                              timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RenderError(f"chromium: {type(exc).__name__}: {exc}") from exc


def render_png(page_html: str, out: Path, timeout: float = 60.0) -> Path:
    """Write ``out`` (PNG, 780 px wide) from ``page_html``; returns ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="puhui-brief-") as tmp:
        page = Path(tmp) / "page.html"
        page.write_text(page_html.replace("</head>", _HEIGHT_JS + "</head>", 1), encoding="utf-8")
        profile = f"--user-data-dir={Path(tmp) / 'profile'}"
        dom = _run([profile, f"--window-size={PHONE_WIDTH},800", "--dump-dom", page.as_uri()],
                   timeout)
        found = re.search(r'data-height="(\d+)"', dom.stdout)
        if not found:
            raise RenderError(f"chromium did not load the page: {dom.stderr.strip()[-300:]}")
        height = int(found.group(1))
        shot = _run([profile, f"--window-size={PHONE_WIDTH},{height}",
                     f"--force-device-scale-factor={SCALE}", f"--screenshot={out}",
                     page.as_uri()], timeout)
        if shot.returncode != 0 or not out.exists():
            raise RenderError(f"chromium screenshot failed: {shot.stderr.strip()[-300:]}")
    return out
