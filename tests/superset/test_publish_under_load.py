"""Dashboards under a real `puhui run` (issue 7): every chart-data response during a
load-build-audit-publish is the old publication or the new one, never an error or a mix.

A Superset server of its own serves a home of its own with 12-28..12-29 published. The
session's server may connect only to its own serving.duckdb (issue 12), so it cannot be
pointed elsewhere; its metadata is copied, so no second `superset init` runs. Each
cockpit chart's response is recorded for that state (old) and, after a `puhui run` that
loads 12-30 and 12-31, for the new state; while that run goes, every chart is asked in a
loop (bounded in count and time). Each response must equal the old or the new response
of its chart as a whole. The cards of the new state are also checked against
indicator_value read from serving.duckdb.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from dagster_project.settings import Settings
from dagster_project.superset import assets_io, bundle, server, service
from dagster_project.superset.client import SupersetError
from dagster_project.superset.dashboards import cockpit
from dagster_project.superset.metrics import metric_variant
from tests.conftest import TINY_TWO_DATES, Stack, copy_home, copy_superset_home, free_port
from tests.reference.compare import REPO, puhui_command

pytestmark = [pytest.mark.superset, pytest.mark.slow]

OLD_THROUGH, NEW_THROUGH = date(2025, 12, 29), date(2025, 12, 31)
# caps that only stop a run that never ends: the loop itself ends two rounds after
# the run exits (a night of two tiny dates takes 2-4 minutes on two loaded cores)
LOOP_MAX_S, LOOP_MAX_REQUESTS = 900.0, 20000


def _responses(admin, biz_dt: str) -> dict[str, list[dict]]:  # noqa: ANN001
    dash = cockpit()
    ds = assets_io.ids_by_uuid(admin, "dataset")
    return {ch.key: assets_io.chart_data(admin, bundle.dashboard_query(
        ch, dash, ds[bundle.uuid_for("dataset", ch.dataset)], biz_dt)) for ch in dash.charts()}


def _canon(rows: list[dict]) -> str:
    return repr(sorted(repr(sorted(r.items())) for r in rows))


@pytest.fixture(scope="module")
def own_stack(superset_stack, tiny_home_two_dates: Path,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    assert OLD_THROUGH == TINY_TWO_DATES
    home = copy_home(tiny_home_two_dates,
                     tmp_path_factory.mktemp("puhui_home_under_load") / "home")
    settings = Settings(home=home, superset_port=free_port())
    copy_superset_home(superset_stack.settings.superset_home, settings.superset_home)
    srv = server.start(settings)
    try:
        yield Stack(settings, srv, service.deploy(settings, srv.base_url))
    finally:
        srv.stop()


def test_a_card_the_contract_leaves_empty_reads_a_dash_with_the_reason(
        own_stack: Stack, chromium, tmp_path: Path) -> None:
    """On 12-29, the latest date of the old publication, neither 31 December 2024 nor
    30 November 2025 is loaded: every 比年初 and 比月初 figure is NULL in the store, and its
    cockpit card reads — with the contract's reason under it, not 没有数据 or 0 (the
    zh strings of superset_config.py). The other cards read their figures."""
    (png,) = service.take_screenshots(own_stack.settings, own_stack.server.base_url,
                                      tmp_path, slugs=["cockpit"], state=True)
    state = json.loads(png.with_suffix(".json").read_text(encoding="utf-8"))
    province = _province(own_stack.serving_path)
    empty = 0
    for card in (c for c in cockpit().charts() if c.viz_type == "big_number_total"):
        v = metric_variant(card.params["metric"])
        text = state["cards"][card.title]
        if _published(own_stack.serving_path, OLD_THROUGH, province, v.indicator.code) is None:
            empty += 1
            assert text == "—", (card.title, text)
            assert state["notes"][card.title] == "口径为空：期初未加载或分母为0", state["notes"]
        else:
            assert text not in ("—", "没有数据") and any(ch.isdigit() for ch in text), text
    assert empty == 5  # 存款比年初, 存款比月初, 贷款比年初, 不良率比年初, 普惠贷款比年初


def _province(serving: Path) -> str:
    with duckdb.connect(str(serving), read_only=True) as con:
        return con.execute("select org_no from dim_org where org_level = 1").fetchone()[0]


def _published(serving: Path, d: date, org_no: str, code: str) -> float | None:
    with duckdb.connect(str(serving), read_only=True) as con:
        (value,) = con.execute("select value from indicator_value where biz_date = ? and "
                               "org_no = ? and indicator_code = ?", [d, org_no, code]).fetchone()
    return value


def test_charts_answer_old_or_new_publication_while_puhui_run_publishes(
        own_stack: Stack, tiny_landing: Path) -> None:
    own_home, admin = own_stack.settings.home, own_stack.admin
    dash = cockpit()
    biz_dt = str(NEW_THROUGH)  # absent from the old publication, the latest of the new
    old = {k: _canon(v) for k, v in _responses(admin, biz_dt).items()}
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUHUI_")}
    env.update(PUHUI_HOME=str(own_home), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([*puhui_command(), "run", "--landing", str(tiny_landing),
                             "--through", str(NEW_THROUGH)], cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    downstream = threading.Event()
    output: list[str] = []

    def pump() -> None:  # the loop starts with the build, so it brackets audit and publish
        assert proc.stdout is not None
        for line in proc.stdout:
            output.append(line)
            if "build, audit, publish from" in line:
                downstream.set()
        downstream.set()

    threading.Thread(target=pump, daemon=True).start()
    seen: list[tuple[str, str]] = []
    errors: list[str] = []
    ds = assets_io.ids_by_uuid(admin, "dataset")
    queries = {ch.key: bundle.dashboard_query(ch, dash, ds[bundle.uuid_for("dataset", ch.dataset)],
                                              biz_dt) for ch in dash.charts()}
    try:
        assert downstream.wait(600), "puhui run never reached dbt"
        began = time.monotonic()
        rounds_after_exit = 0
        # every chart, round after round, while the run builds, audits and publishes,
        # and one more round after it exited (the new publication)
        while rounds_after_exit < 2 and time.monotonic() - began < LOOP_MAX_S \
                and len(seen) < LOOP_MAX_REQUESTS:
            if proc.poll() is not None:
                rounds_after_exit += 1
            for key, qc in queries.items():
                try:
                    seen.append((key, _canon(assets_io.chart_data(admin, qc))))
                except (RuntimeError, SupersetError) as exc:
                    errors.append(f"{key}: {exc}")
        proc.wait(600)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    loop_s = time.monotonic() - began
    assert proc.returncode == 0, "".join(output[-40:])
    new = {k: _canon(v) for k, v in _responses(admin, biz_dt).items()}
    print(f"\nunder load: {len(seen)} chart-data responses, {len(errors)} errors, "
          f"{loop_s:.1f}s, {sum(v == old[k] for k, v in seen)} old / "
          f"{sum(v == new[k] and v != old[k] for k, v in seen)} new")
    assert not errors, errors[:5]
    # the loop really spanned the publish: it saw the old publication and the new one
    assert any(v == old[k] != new[k] for k, v in seen), "no response of the old publication"
    assert any(v == new[k] != old[k] for k, v in seen), "no response of the new publication"
    # The new publication is really different for every by-date chart (old has no 12-31).
    assert sum(old[k] != new[k] for k in old) >= len(old) // 2
    mixed = [k for k, v in seen if v not in (old[k], new[k])]
    assert not mixed, f"{len(mixed)} responses neither old nor new publication: {mixed[:5]}"
    # new state = serving.duckdb: the province DEP_BAL card
    with duckdb.connect(str(own_home / "serving.duckdb"), read_only=True) as con:
        (want,) = con.execute(
            "select v.value::double from indicator_value v join dim_org o using (org_no) "
            "where o.org_level = 1 and v.biz_date = ? and v.indicator_code = 'DEP_BAL'",
            [NEW_THROUGH]).fetchone()
    rows = assets_io.chart_data(admin, queries["cockpit_dep_bal"])
    assert math.isclose(rows[0]["dep_bal_yi"], want / 1e8, rel_tol=1e-9)  # card in 亿元
