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
                 "dagster_home", "superset_home", "logs_dir"):
        typer.echo(f"{name:15} {getattr(s, name)}")


@app.command()
def run(
    landing: Annotated[Path | None, typer.Option(
        help="Landing folder (default: settings.landing_dir).")] = None,
    through: Annotated[str | None, typer.Option(
        help="Load business dates up to YYYY-MM-DD only.")] = None,
) -> None:
    """Load every complete delivery not yet loaded (and every re-delivery), in date order."""
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
            typer.echo(f"FAILED downstream: {report.downstream_error}", err=True)
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
