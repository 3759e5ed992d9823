"""The screenshot script's wait for a dashboard's charts, in real headless Chromium.

A dashboard whose charts never settle must fail naming the charts still loading (a CI
run once failed here with a bare TimeoutException after 120 s). The pages are static
files shaped as Superset's chart holders, so no server is needed; the script runs
under Superset's virtualenv, as ``service.take_screenshots`` runs it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from dagster_project.settings import Settings
from dagster_project.superset.service import BROWSER_SCRIPT

pytestmark = [pytest.mark.superset]

_CHART = ('<div class="dashboard-component-chart-holder">'
          '<span data-test="editable-title">{title}</span>{body}</div>')
_SPINNER = '<div class="loading" aria-label="Loading"></div>'

# Loads the script as a module (it is not a package member under Superset's venv), opens
# the page and waits 1 s; prints OK or the TimeoutException's message.
_WAIT = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("browser", sys.argv[1])
browser = importlib.util.module_from_spec(spec); spec.loader.exec_module(browser)
driver = browser.make_driver(800)
try:
    driver.get(sys.argv[2])
    browser.wait_settled(driver, "demo", seconds=1)
    print("OK")
except browser.TimeoutException as exc:
    print(exc.msg)
finally:
    driver.quit()
"""


def _wait_on(page: Path, html: str) -> str:
    page.write_text(f"<html><body>{html}</body></html>", encoding="utf-8")
    py = Settings().superset_venv_dir / "bin" / "python"
    done = subprocess.run([str(py), "-c", _WAIT, str(BROWSER_SCRIPT), page.as_uri()],
                          capture_output=True, text=True, timeout=120, check=True)
    return done.stdout.strip().splitlines()[-1]


def test_settled_charts_pass(chromium, tmp_path: Path) -> None:
    html = _CHART.format(title="客户数（户）", body="<b>12</b>") * 2
    assert _wait_on(tmp_path / "page.html", html) == "OK"


def test_a_chart_still_loading_is_named(chromium, tmp_path: Path) -> None:
    html = (_CHART.format(title="客户数（户）", body="<b>12</b>")
            + _CHART.format(title="商机清单", body=_SPINNER))
    assert _wait_on(tmp_path / "page.html", html) == (
        "demo: charts not settled within 1 s (2 charts; still loading: ['商机清单'])")


def test_a_page_without_charts_says_so(chromium, tmp_path: Path) -> None:
    assert _wait_on(tmp_path / "page.html", "<p>登录已过期</p>") == (
        "demo: charts not settled within 1 s (0 charts; no chart rendered)")
