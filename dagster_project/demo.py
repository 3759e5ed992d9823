"""``puhui demo``: the whole job end to end on the embedded default.

A fresh machine goes from nothing to filled dashboards: install Superset's own
virtualenv and headless Chromium (``puhui setup``), generate a small province across a
year end (so 比年初/比月初 have loaded period starts), load, build, audit and publish
every date (``puhui run``), then serve Dagster's UI and Superset on localhost.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from dagster_project.settings import Settings

Say = Callable[[str], None]

# Twelve days from Christmas to 5 January: the cockpit's 比年初 and 比月初 read the
# loaded 31 December; a year of history is what a real bank would load instead.
DEMO_START = date(2025, 12, 25)
DEMO_DAYS = 12
DEMO_SCALE = "small"


def has_deliveries(settings: Settings) -> bool:
    landing = settings.landing_dir
    return landing.exists() and any(landing.glob("*/DONE_*.flg"))


def demo(settings: Settings, scale: str = DEMO_SCALE, start: date = DEMO_START,
         days: int = DEMO_DAYS, serve: bool = True, say: Say = print) -> int:
    """Run the demo; returns the process exit code (0 when every step succeeded)."""
    from dagster_project.generator import generate
    from dagster_project.pipeline import run_pending
    from dagster_project.superset import install, service

    settings.ensure_dirs()
    say(f"PUHUI_HOME = {settings.home}")
    say("1/4 setup: Superset virtualenv, bytecode and headless Chromium")
    install.setup(settings, say=say)
    if has_deliveries(settings):
        say(f"2/4 deliveries already in {settings.landing_dir}: not generating")
    else:
        say(f"2/4 generating a {scale} province, {days} days from {start}, "
            f"into {settings.landing_dir}")
        generate(settings.landing_dir, scale, start.isoformat(), days, progress=say)
    say("3/4 load, build, audit, publish (puhui run)")
    report = run_pending(settings, say=say)
    if not report.ok:
        for d, reason in report.failed:
            say(f"FAILED {d}: {reason}")
        if report.downstream_error:
            say(f"FAILED downstream: {report.downstream_error}")
        return 1
    if not serve:
        return 0
    say("4/4 serving Dagster and Superset on localhost (Ctrl-C stops)")
    service.serve(settings)
    return 0
