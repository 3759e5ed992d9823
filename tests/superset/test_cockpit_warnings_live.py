"""The 行长战情室's business-warning panel (issue 16) in the real Superset of the shared
tiny home, under row-level security: each user's panel equals the published
``fct_business_warnings`` rows of their subtree, read back with plain SQL.

Apart from tests/integration/test_briefing.py so that the briefing's other tests, which
need no Superset, are not tied to the one worker that runs every Superset module."""

from __future__ import annotations

from pathlib import Path

from dagster_project.superset.client import SupersetClient
from tests.integration.test_briefing import last_date, q


def test_cockpit_warning_panel_shows_each_user_only_their_subtree(
        superset_stack, chromium: None, tmp_path: Path) -> None:
    from dagster_project.superset import assets_io, bundle, rls, service
    from dagster_project.superset.dashboards import cockpit

    home = superset_stack.serving_path.parent
    d = last_date(home).isoformat()
    users = rls.create_demo_users(superset_stack.admin, superset_stack.serving_path,
                                  superset_stack.settings.superset_home / "demo_users.json")
    dash = cockpit()
    chart = next(c for c in dash.charts() if c.key == "cockpit_warnings")

    def panel(client: SupersetClient) -> set[tuple[str, str, int]]:
        ds = assets_io.ids_by_uuid(client, "dataset")[bundle.uuid_for("dataset", chart.dataset)]
        rows = assets_io.chart_data(client, bundle.dashboard_query(
            chart, dash, ds, d, (None, None, None)))
        # one row per rule, org and value as text (dbt's warning_text): add up the rows
        # of an org's several firings (large outflows, one per customer)
        n: dict[tuple[str, str], int] = {}
        for r in rows:
            assert r["value_text"] and r["threshold_text"], r
            n[(r["rule_name"], r["org_name"])] = (n.get((r["rule_name"], r["org_name"]), 0)
                                                  + int(r["warning_cnt"]))
        return {(rule, org, c) for (rule, org), c in n.items()}

    def store(where: str, params: list) -> set[tuple[str, str, int]]:
        return {(n, o, c) for n, o, c in q(home, "select rule_name, org_name, count(*) from "
                                           f"fct_business_warnings where biz_date = ? {where} "
                                           "group by all", [d, *params])}

    assert panel(superset_stack.admin) == store("", []) != set()
    shown_by_branch = None
    for user, entry in users.items():
        level = user.split("_")[1]
        if level not in ("legal", "branch"):
            continue
        column = "lvl2_org_no" if level == "legal" else "lvl3_org_no"
        client = SupersetClient(superset_stack.server.base_url, user, entry["password"])
        assert panel(client) == store(f"and {column} = ?", [entry["org_no"]]), user
        if level == "branch":
            shown_by_branch = (user, entry)
    assert shown_by_branch is not None
    # what a 支行 user sees when the cockpit opens (picture kept for a person to look at)
    user, entry = shown_by_branch
    pw = tmp_path / f"{user}.password"
    pw.write_text(entry["password"])
    (png,) = service.take_screenshots(superset_stack.settings, superset_stack.server.base_url,
                                      tmp_path / "shots", slugs=["cockpit-branch"], user=user,
                                      password_file=pw)
    assert png.stat().st_size > 10_000
    print(f"cockpit as {user}: {png}")
