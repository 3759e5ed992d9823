"""Headless-Chromium screenshots of the Dagster UI for docs/screenshots/ (issue 11).

Runs under Superset's virtualenv (which has selenium), against a running webserver:

    .venv-superset/bin/python dagster_project/orchestrator_browser.py \
        --url http://127.0.0.1:3000 --out docs/screenshots

It writes ``dagster-asset-graph.png`` (the global lineage, one box per group:
landing → raw → staging → intermediate → marts / indicator store → serving →
dashboards) and, when the instance has a failed audit check, ``dagster-blocked-check.png``
(the checks of ``marts/indicator_value``) and ``dagster-blocked-run.png`` (the run
whose serving step never started). ``--lineage marts/precredit`` also writes
``dagster-lineage-precredit.png``: the global lineage filtered to the assets on the
path from ``--lineage-from`` through it to ``--lineage-to`` (the blacklist file → … →
pre-credit → serving → 客户经营). Imports nothing from the project, like
superset/browser.py, whose Chromium flags it reuses (Debian's Chromium, no download).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("SE_OFFLINE", "true")
sys.path.insert(0, str(Path(__file__).with_name("superset")))

from browser import make_driver  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402


def _settle(driver, seconds: float) -> None:  # noqa: ANN001
    """Wait for the page, dismissing the community pop-up of a fresh instance."""
    time.sleep(seconds / 2)
    for button in driver.find_elements(By.XPATH, "//button[normalize-space()='Skip']"):
        button.click()
    time.sleep(seconds / 2)


def _click_text(driver, text: str) -> bool:  # noqa: ANN001
    for el in driver.find_elements(By.XPATH, f"//*[normalize-space()='{text}']"):
        try:
            el.click()
            return True
        except Exception:  # noqa: BLE001 - not clickable: try the next match
            continue
    return False


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--run-id", default=None, help="the blocked build_audit_publish run")
    ap.add_argument("--check", default="dep_bal_day_move", help="the failed audit check")
    ap.add_argument("--zoom", type=int, default=0, help="zoom-in clicks on the graph")
    ap.add_argument("--wait", type=float, default=30.0)
    ap.add_argument("--lineage", default=None,
                    help="an asset key (marts/precredit) whose lineage to shoot too")
    ap.add_argument("--lineage-from", default="manual/blacklist_file")
    ap.add_argument("--lineage-to", default="superset/customer-ops")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    driver = make_driver(1600)
    driver.set_window_size(1600, 900)
    try:
        driver.get(f"{args.url}/asset-groups")
        _settle(driver, args.wait)
        _click_text(driver, "Hide navigation")
        for button in driver.find_elements(By.CSS_SELECTOR, "button"):
            if button.get_attribute("title") == "Hide sidebar" or (
                    button.text == "" and button.location["x"] < 600
                    and button.location["y"] < 120):
                button.click()  # the group list beside the graph
                break
        time.sleep(3)
        driver.refresh()  # the graph fits itself to the now wider canvas
        _settle(driver, args.wait)
        # the zoom buttons sit at the right edge; the topmost one zooms in
        zoom = sorted((b for b in driver.find_elements(By.CSS_SELECTOR, "button")
                       if b.location["x"] > 1500 and b.location["y"] > 300),
                      key=lambda b: b.location["y"])
        for _ in range(args.zoom):
            if zoom:
                zoom[0].click()
                time.sleep(1)
        path = args.out / "dagster-asset-graph.png"
        driver.save_screenshot(str(path))
        print(path)
        driver.get(f"{args.url}/assets/marts/indicator_value?view=checks"
                   f"&checkDetail={args.check}")
        _settle(driver, args.wait)
        path = args.out / "dagster-blocked-check.png"
        driver.save_screenshot(str(path))
        print(path)
        if args.lineage:
            query = (f'key:"{args.lineage_from}"+ and +key:"{args.lineage}"+ and '
                     f'+key:"{args.lineage_to}"')
            driver.get(f"{args.url}/asset-groups")
            _settle(driver, args.wait)
            # the selection box is a code editor above the graph (not the "Jump to…"
            # box of the group list): click into it, then type
            box = next(el for el in driver.find_elements(By.CSS_SELECTOR, ".cm-editor, "
                                                          ".CodeMirror, [contenteditable]")
                       if el.location["x"] > 370 and el.location["y"] < 120)
            ActionChains(driver).move_to_element(box).click().send_keys(query) \
                .send_keys(Keys.ENTER).perform()
            _settle(driver, args.wait)
            path = args.out / f"dagster-lineage-{args.lineage.rsplit('/', 1)[-1]}.png"
            driver.save_screenshot(str(path))
            print(path)
        if args.run_id:
            driver.get(f"{args.url}/runs/{args.run_id}")
            _settle(driver, args.wait)
            path = args.out / "dagster-blocked-run.png"
            driver.save_screenshot(str(path))
            print(path)
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
