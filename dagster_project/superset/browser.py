"""Headless-Chromium screenshots of dashboards, logged in as a real user.

Runs under Superset's virtualenv (which has selenium) as a standalone script:

    .venv-superset/bin/python dagster_project/superset/browser.py \
        --url http://127.0.0.1:8088 --user admin --password-file F --out docs/screenshots \
        cockpit inclusive ...

With ``--state`` it also writes ``<slug>.json`` beside each PNG: what the user
sees after the dashboard loaded, read from the page (the native filter bar's
selected values by filter name, and each big-number card's text by title), so
tests can check the default state a given user opens on.

It imports nothing from the project so it can run there; ``screenshots.py`` is
the project-side wrapper. Chromium and chromedriver are Debian's (no browser
download, no Selenium Manager: SE_OFFLINE and an explicit driver path).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("SE_OFFLINE", "true")

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import TimeoutException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--lang=zh-CN", "--hide-scrollbars")


def make_driver(width: int) -> webdriver.Chrome:
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for flag in CHROMIUM_FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--window-size={width},1200")
    opts.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


def login(driver: webdriver.Chrome, base_url: str, user: str, password: str,
          attempts: int = 3) -> None:
    """Log in through the login form, as a person does.

    The form is a React page: keys typed before it has taken over the inputs can be
    dropped when it renders them again, and the form then posts a wrong password and
    stays on /login (CI saw one such login time out). So the typed values are read back
    before submitting, and a login still on /login after 30 s is tried again from a
    fresh page, up to ``attempts`` times; the error then says what the page showed."""
    shown = ""
    for _ in range(attempts):
        driver.get(f"{base_url}/login/")
        wait = WebDriverWait(driver, 60)
        wait.until(ec.presence_of_element_located(
            (By.CSS_SELECTOR, "input[name=username], #username")))
        name = driver.find_element(By.CSS_SELECTOR, "input[name=username], #username")
        pw = driver.find_element(By.CSS_SELECTOR, "input[name=password], #password")
        for field, value in ((name, user), (pw, password)):
            field.clear()
            field.send_keys(value)
        if name.get_attribute("value") != user or pw.get_attribute("value") != password:
            time.sleep(1)  # the page re-rendered under the typing: start again
            continue
        pw.send_keys("\n")  # submits the form, whichever button markup this version has
        try:
            WebDriverWait(driver, 30).until(lambda d: "/login" not in d.current_url)
            return
        except TimeoutException:
            shown = " ".join(driver.find_element(By.TAG_NAME, "body").text.split())[:300]
    raise RuntimeError(f"could not log in as {user} at {base_url}/login/ in {attempts} "
                       f"attempts; the page shows: {shown or '(nothing)'}")


_LOADING = ".loading, [aria-label='Loading']"
_HOLDER = ".dashboard-component-chart-holder"


def _charts_settled(driver: webdriver.Chrome) -> bool:
    """All chart holders rendered and no loading spinner left."""
    loading = driver.find_elements(By.CSS_SELECTOR, _LOADING)
    holders = driver.find_elements(By.CSS_SELECTOR, _HOLDER)
    return bool(holders) and not loading


# Runs in the page: the titles of the charts still showing a spinner ("(outside a
# chart)" for a spinner elsewhere, e.g. the whole dashboard still loading).
_STILL_LOADING_JS = """
return [...document.querySelectorAll(arguments[0])].map(s => {
  const c = s.closest(arguments[1]);
  const t = c && c.querySelector('[data-test="editable-title"]');
  return c ? (t ? t.textContent.trim() : '(untitled chart)') : '(outside a chart)';
});
"""


def wait_settled(driver: webdriver.Chrome, slug: str, seconds: int = 120) -> None:
    """Wait until :func:`_charts_settled`; on timeout say what was still loading, so a
    slow or stuck chart is named in the error instead of a bare TimeoutException."""
    try:
        WebDriverWait(driver, seconds).until(_charts_settled)
    except TimeoutException:
        holders = driver.find_elements(By.CSS_SELECTOR, _HOLDER)
        loading = driver.execute_script(_STILL_LOADING_JS, _LOADING, _HOLDER)
        what = (f"still loading: {sorted(set(loading))}" if loading
                else "no chart rendered" if not holders else "settled just after the limit")
        raise TimeoutException(f"{slug}: charts not settled within {seconds} s "
                               f"({len(holders)} charts; {what})") from None


# Runs in the page. Filter names are the <h4 data-test="filter-control-name"> of the
# native filter bar; a card's value is its .header-line, or the chart's own text
# (an empty-state or error message) when there is none; its note is the line under it.
_STATE_JS = """
const filters = {};
document.querySelectorAll('[data-test="filter-control-name"]').forEach(h => {
  const item = h.closest('.ant-form-item');
  filters[h.textContent.trim()] = item ? [...item.querySelectorAll(
    '.ant-select-selection-item')].map(e => e.getAttribute('title') || e.textContent.trim()) : [];
});
const cards = {}, notes = {};
document.querySelectorAll('.dashboard-component-chart-holder').forEach(c => {
  if (!c.querySelector('.big_number_total')) return;
  const title = c.querySelector('[data-test="editable-title"]');
  const value = c.querySelector('.header-line');
  const note = c.querySelector('.subheader-line');
  const box = c.querySelector('[data-test="chart-container"]') || c;
  const name = title ? title.textContent.trim() : '?';
  cards[name] = value ? value.textContent.trim() : box.innerText.trim();
  if (note) notes[name] = note.textContent.trim();
});
// any chart (not only cards) whose text is a CSP refusal: e.g. a Handlebars chart, which
// compiles its template with eval and so cannot run under Puhui's policy
const refused = [...document.querySelectorAll('.dashboard-component-chart-holder')]
  .filter(c => c.innerText.includes('Content Security Policy'))
  .map(c => (c.querySelector('[data-test="editable-title"]') || c).textContent.trim());
return {url: location.href, filters: filters, cards: cards, notes: notes, refused: refused,
        csp_violations: window.__puhuiCspViolations || []};
"""

# Registered before any page script runs: every Content-Security-Policy violation the
# page meets (a blocked script, worker, image or fetch) is kept for page_state, so a
# test can tell a dashboard that renders under the CSP from one that only looks so.
_CSP_LISTENER_JS = """
window.__puhuiCspViolations = [];
document.addEventListener('securitypolicyviolation', e => window.__puhuiCspViolations.push(
  e.effectiveDirective + ' ' + (e.blockedURI || 'inline')));
"""


def page_state(driver: webdriver.Chrome) -> dict:
    """The filter bar's selected values and the big-number cards' texts, as shown."""
    return driver.execute_script(_STATE_JS)


def pick(driver: webdriver.Chrome, name: str, value: str) -> None:
    """Choose ``value`` in the filter bar's select named ``name`` and apply it, as a user
    would: open it, type the value (a filter that searches asks the server), click it."""
    item = driver.execute_script(
        "return [...document.querySelectorAll('[data-test=\"filter-control-name\"]')]"
        ".find(h => h.textContent.trim() === arguments[0]).closest('.ant-form-item')", name)
    item.find_element(By.CSS_SELECTOR, ".ant-select").click()
    item.find_element(By.CSS_SELECTOR, "input").send_keys(value)
    option = f'.ant-select-item-option[title="{value}"]'
    WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, option))
    driver.find_element(By.CSS_SELECTOR, option).click()
    driver.find_element(By.CSS_SELECTOR, '[data-test="filter-bar__apply-button"]').click()


def shoot(driver: webdriver.Chrome, base_url: str, slug: str, out: Path, settle: float,
          picks: tuple[tuple[str, str], ...] = ()) -> None:
    driver.get(f"{base_url}/superset/dashboard/{slug}/?standalone=0")
    wait_settled(driver, slug)
    for name, value in picks:
        pick(driver, name, value)
        time.sleep(1)
        wait_settled(driver, slug)
    time.sleep(settle)  # ECharts animations and deck.gl's first frame
    wait_settled(driver, slug)
    height = driver.execute_script(
        "return Math.max(document.body.scrollHeight, "
        "document.querySelector('.dashboard-content, #app')?.scrollHeight || 0)")
    width = driver.execute_script("return window.innerWidth")
    driver.set_window_size(width, min(int(height) + 150, 8000))
    time.sleep(2)
    driver.save_screenshot(str(out))


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password-file", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--width", type=int, default=1600)
    ap.add_argument("--settle", type=float, default=4.0)
    ap.add_argument("--state", action="store_true",
                    help="also write <slug>.json: filter values and card texts as shown")
    ap.add_argument("--pick", action="append", default=[], metavar="FILTER=VALUE",
                    help="choose VALUE in the filter named FILTER before the shot "
                         "(e.g. 客户号=C00000000086); repeatable")
    ap.add_argument("slugs", nargs="+")
    a = ap.parse_args(argv)
    picks = tuple(tuple(p.split("=", 1)) for p in a.pick)
    a.out.mkdir(parents=True, exist_ok=True)
    driver = make_driver(a.width)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _CSP_LISTENER_JS})
    try:
        login(driver, a.url, a.user, a.password_file.read_text().strip())
        for slug in a.slugs:
            path = a.out / f"{slug}.png"
            driver.set_window_size(a.width, 1200)
            shoot(driver, a.url, slug, path, a.settle, picks)  # type: ignore[arg-type]
            print(path)
            if a.state:
                state_path = a.out / f"{slug}.json"
                state_path.write_text(json.dumps(page_state(driver), ensure_ascii=False,
                                                 indent=1), encoding="utf-8")
                print(state_path)
    finally:
        driver.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
