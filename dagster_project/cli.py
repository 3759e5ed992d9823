"""The operator's entry point: ``puhui <command>``.

Commands are a few lines each and delegate to plain functions in the package,
the same functions the Dagster assets call.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="Puhui (普惠): T+1 extract → DuckDB → dbt indicators → Superset.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.command()
def info() -> None:
    """Print where Puhui keeps its files (PUHUI_HOME and the paths below it)."""
    from dagster_project.settings import get_settings

    s = get_settings()
    for name in ("home", "landing_dir", "warehouse_path", "serving_path", "quarantine_dir",
                 "manual_dir", "dagster_home", "superset_home", "logs_dir"):
        typer.echo(f"{name:15} {getattr(s, name)}")


@app.command()
def demo(
    serve: Annotated[bool, typer.Option(help="End by serving Dagster and Superset.")] = True,
) -> None:
    """The whole job on the embedded default: setup, generate, run, serve (README)."""
    from dagster_project.demo import demo as run_demo
    from dagster_project.settings import get_settings

    code = run_demo(get_settings(), serve=serve, say=typer.echo)
    if code:
        raise typer.Exit(code)


@app.command("migrate-raw")
def migrate_raw() -> None:
    """Convert a warehouse from one stored snapshot per date to versions (拉链表), once."""
    import duckdb

    from dagster_project.ingest.migrate import migrate_raw as convert
    from dagster_project.settings import get_settings

    s = get_settings()
    if not s.warehouse_path.exists():
        raise typer.BadParameter(f"no warehouse at {s.warehouse_path}")
    con = duckdb.connect(str(s.warehouse_path))
    try:
        convert(con, say=typer.echo)
    finally:
        con.close()


@app.command()
def run(
    landing: Annotated[Path | None, typer.Option(
        help="Landing folder (default: settings.landing_dir).")] = None,
    through: Annotated[str | None, typer.Option(
        help="Load business dates up to YYYY-MM-DD only.")] = None,
) -> None:
    """Load every complete delivery not yet loaded (and every re-delivery) in date order,
    then build, audit and publish: the Dagster jobs the delivery sensor launches, in process."""
    from datetime import date

    from dagster_project.pipeline import run_pending
    from dagster_project.settings import get_settings

    report = run_pending(get_settings(), landing=landing,
                         through=date.fromisoformat(through) if through else None,
                         say=typer.echo)
    typer.echo(f"loaded {len(report.loaded)}, unchanged {len(report.unchanged)}, "
               f"waiting {len(report.waiting)}, failed {len(report.failed)}")
    if not report.ok:
        for d, reason in report.failed:
            typer.echo(f"FAILED {d}: {reason}", err=True)
        if report.downstream_error:
            typer.echo(f"NOT published: {report.downstream_error}", err=True)
        raise typer.Exit(1)


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Landing folder; one <YYYYMMDD>/ per date.")],
    start: Annotated[str, typer.Option(help="First business date, YYYY-MM-DD.")],
    scale: Annotated[str, typer.Option(help="tiny, small, bank or province.")] = "tiny",
    days: Annotated[int, typer.Option(help="Number of consecutive business dates.")] = 1,
    seed: Annotated[int, typer.Option(help="Same seed, same bytes.")] = 0,
    corrupt: Annotated[str | None, typer.Option(
        help="Break the last date one way: md5, row-count, field-count, encoding, "
        "unknown-code, duplicate-key, gl-mismatch, no-done.")] = None,
) -> None:
    """Write synthetic T+1 deliveries of a rural credit province (docs/generator.md)."""
    from dagster_project.generator import generate as generate_deliveries

    try:
        generate_deliveries(out, scale, start, days, seed=seed, corrupt=corrupt,
                            progress=typer.echo)
    except ValueError as e:  # a bad option: say which, without a traceback
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from e


@app.command("build")
def build_cmd(
    from_date: Annotated[str | None, typer.Option(
        help="Rebuild this business date (YYYYMMDD or YYYY-MM-DD) and every later one.")] = None,
    full_refresh: Annotated[bool, typer.Option(help="Rebuild every date from scratch.")] = False,
) -> None:
    """dbt build (seeds, models, tests) of the marts and the indicator store."""
    from dagster_project.dbt_build import build
    from dagster_project.settings import get_settings

    r = build(get_settings(), from_date=from_date, full_refresh=full_refresh)
    typer.echo(f"dbt build ok in {r.seconds:.1f} s: {r.counts}")


@app.command("publish")
def publish_cmd() -> None:
    """Write serving.duckdb from the warehouse marts (new file, atomic rename)."""
    from dagster_project.publish import publish
    from dagster_project.settings import get_settings

    r = publish(get_settings())
    typer.echo(f"published {r.path} in {r.seconds:.1f} s: "
               + ", ".join(f"{t} {n}" for t, n in r.tables.items()))


# --- Manual data (customer-ops.md §6): delegates to dagster_project.manual -------------
blacklist_app = typer.Typer(help="The bank's blacklist (黑名单补录): load a file, list versions.",
                            no_args_is_help=True)
app.add_typer(blacklist_app, name="blacklist")


@blacklist_app.command("load")
def blacklist_load(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8 or GB18030) or XLSX, columns "
                                              "证件号码, 姓名, 列入原因, 列入日期, 移出日期.")],
    by: Annotated[str | None, typer.Option(help="Who loads it (default: your login).")] = None,
    rebuild: Annotated[bool, typer.Option(
        help="Rebuild the published pre-credit the new version changes, now.")] = True,
) -> None:
    """Check the whole file and store it as the blacklist version in force; a bad file
    is rejected whole (exit 1) with file, row and rule, and nothing changes."""
    import duckdb

    from dagster_project.manual.blacklist import BlacklistRejected
    from dagster_project.manual.service import load_file
    from dagster_project.settings import get_settings

    s = get_settings()
    if not file.is_file():
        typer.echo(f"error: no file {file}", err=True)
        raise typer.Exit(2)
    try:
        result = load_file(s, file, by=by, say=typer.echo)
    except BlacklistRejected as e:
        typer.echo(e.report(), err=True, nl=False)
        raise typer.Exit(1) from None
    except duckdb.IOException as e:  # another process holds the warehouse (one writer)
        typer.echo(f"warehouse busy, nothing stored: {e}", err=True)
        raise typer.Exit(1) from None
    if result.rebuild_from is None:
        return
    if not rebuild:
        typer.echo("rebuild left to the delivery sensor or `puhui run`")
        return
    from dagster_project.pipeline import run_rebuild

    if not run_rebuild(s, say=typer.echo).ok:
        raise typer.Exit(1)


@blacklist_app.command("list")
def blacklist_list() -> None:
    """Every version loaded, oldest first, and which is in force."""
    from dagster_project.manual.service import versions
    from dagster_project.settings import get_settings

    rows = versions(get_settings())
    if not rows:
        typer.echo("no blacklist loaded")
        return
    typer.echo(f"{'version':>7}  {'loaded_at (Beijing)':19}  {'loaded_by':12}  {'entries':>7}  "
               f"{'changes_from':12}  {'rebuild':10}  file")
    for v in rows:
        typer.echo(f"{v.version_id:>7}  {v.loaded_at:%Y-%m-%d %H:%M:%S}  {v.loaded_by:12}  "
                   f"{v.entry_cnt:>7}  {v.changes_from or '-'!s:12}  "
                   f"{'from ' + str(v.rebuild_from) if v.rebuild_from else '-':10}  "
                   f"{v.file_name}{'  ← in force' if v.in_force else ''}")


# --- Superset (issue 6): delegates to dagster_project.superset ------------------------
superset_app = typer.Typer(help="Superset: the governed datasets and dashboards, as code.",
                           no_args_is_help=True)
app.add_typer(superset_app, name="superset")


@app.command()
def briefing(
    date_: Annotated[str, typer.Option("--date", help="Business date, YYYY-MM-DD.")],
    dry_run: Annotated[bool, typer.Option(
        help="Write the messages and pictures to $PUHUI_HOME/outbox/ and send nothing.")] = False,
) -> None:
    """The morning briefing of a published date (or its 数据未更新 notice) (docs/briefing.md)."""
    from datetime import date

    from dagster_project.briefing import send_briefing
    from dagster_project.settings import get_settings

    settings = get_settings()
    report = send_briefing(settings, date.fromisoformat(date_), dry_run=dry_run, say=typer.echo)
    if not report.sent:
        typer.echo("no briefing recipients configured (settings.briefing_recipients): "
                   "nothing sent")
        return
    typer.echo(f"{len(report.sent)} message(s) in {report.seconds:.1f} s; files in "
               f"{settings.outbox_dir / f'{report.biz_date:%Y%m%d}'}")


opportunities_app = typer.Typer(help="The opportunity push 商机推送 (docs/customer-ops.md).",
                                 no_args_is_help=True)
app.add_typer(opportunities_app, name="opportunities")


@opportunities_app.command("send")
def opportunities_send(
    date_: Annotated[str, typer.Option("--date", help="Business date raised, YYYY-MM-DD.")],
    dry_run: Annotated[bool, typer.Option(
        help="Write the messages to $PUHUI_HOME/outbox/ and send nothing.")] = False,
) -> None:
    """Send each configured org the published events of a date it has not received yet
    (after a failed send, or to an org added since); what was sent is not sent again."""
    from datetime import date

    from dagster_project.briefing import push_opportunities
    from dagster_project.settings import get_settings

    d = date.fromisoformat(date_)
    report = push_opportunities(get_settings(), d, d, dry_run=dry_run, say=typer.echo)
    typer.echo(f"{len(report.messages)} message(s)"
               + (" written, none sent" if dry_run else " sent"))


@app.command()
def setup() -> None:
    """Install Superset's own virtualenv (from the lock) and headless Chromium + CJK fonts,
    and compile both environments' bytecode."""
    from dagster_project.settings import get_settings
    from dagster_project.superset import install

    install.setup(get_settings(), say=typer.echo)


@app.command()
def serve(
    only: Annotated[str | None, typer.Option(
        help="'dagster': the webserver and daemon alone, without Superset.")] = None,
) -> None:
    """Start Dagster (webserver + daemon: the night runs unattended) and Superset on
    localhost; Ctrl-C stops them."""
    from dagster_project.settings import get_settings
    from dagster_project.superset import service

    if only not in (None, "dagster"):
        typer.echo(f"error: --only takes 'dagster', not {only!r}", err=True)
        raise typer.Exit(2)
    service.serve(get_settings(), only=only)


@superset_app.command("generate")
def superset_generate() -> None:
    """Regenerate superset_assets/ from the indicator dictionary and the specs."""
    from dagster_project.superset import bundle

    for path in bundle.write():
        typer.echo(path)


@superset_app.command("check")
def superset_check(
    url: Annotated[str | None, typer.Option(help="also check this running Superset's "
                                                 "access model")] = None,
) -> None:
    """Fail when superset_assets/ lags behind the specs, or (with --url) when a restricted
    role can read any dataset, present or added later, that no RLS rule covers."""
    from dagster_project.settings import get_settings
    from dagster_project.superset import bundle, service

    stale = bundle.stale_files()
    if stale:
        typer.echo("stale (run `puhui superset generate`): " + ", ".join(stale), err=True)
        raise typer.Exit(1)
    typer.echo("superset_assets/ is up to date")
    if url is None:
        typer.echo("access model not checked (give --url of the running Superset)")
        return
    problems = service.check_access(get_settings(), url)
    for p in problems:
        typer.echo(f"access: {p}", err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo("access fails closed: every dataset a restricted role can read has its "
               "RLS rule")


@superset_app.command("import")
def superset_import(url: Annotated[str | None, typer.Option(help="running Superset")] = None
                    ) -> None:
    """Import the bundle and sync RLS roles (starts a server for it unless --url)."""
    from dagster_project.settings import get_settings
    from dagster_project.superset import service

    s = get_settings()
    if url:
        service.deploy(s, url)
    else:
        with service.running(s):
            pass
    typer.echo("imported superset_assets/ and synced RLS roles")


@superset_app.command("demo-users")
def superset_demo_users(
    every_org: Annotated[bool, typer.Option(help="one user per legal entity/sub-branch")] = False,
    url: Annotated[str | None, typer.Option(help="running Superset")] = None,
) -> None:
    """Create demo users for each org level; passwords go to $PUHUI_HOME/superset only."""
    from dagster_project.settings import get_settings
    from dagster_project.superset import rls, service
    from dagster_project.superset.client import SupersetError

    s = get_settings()

    def _make(base_url: str) -> None:
        try:
            users = rls.create_demo_users(service.admin_client(s, base_url), s.serving_path,
                                          service.demo_users_file(s), every_org=every_org)
        except (rls.SupersetNotReady, SupersetError) as exc:
            typer.echo(f"demo users not created: {exc}", err=True)
            raise typer.Exit(1) from None
        for name, e in users.items():
            typer.echo(f"{name:28} {e['label']}")
        typer.echo(f"passwords: {service.demo_users_file(s)} (mode 600)")

    if url:
        _make(url)
    else:
        with service.running(s) as srv:
            _make(srv.base_url)


@superset_app.command("screenshots")
def superset_screenshots(
    out: Annotated[Path | None, typer.Option(help="folder for the PNGs")] = None,
    url: Annotated[str | None, typer.Option(help="running Superset")] = None,
) -> None:
    """Screenshot every dashboard in headless Chromium (default docs/screenshots/)."""
    from dagster_project.settings import get_settings
    from dagster_project.superset import service

    s = get_settings()
    target = out or service.SCREENSHOT_DIR
    if url:
        paths = service.take_screenshots(s, url, target)
    else:
        with service.running(s) as srv:
            paths = service.take_screenshots(s, srv.base_url, target)
    for p in paths:
        typer.echo(p)


if __name__ == "__main__":
    app()
