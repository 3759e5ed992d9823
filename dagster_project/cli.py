"""The operator's entry point: ``puhui <command>``.

Commands are a few lines each and delegate to plain functions in the package,
the same functions the Dagster assets call.
"""

from __future__ import annotations

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


if __name__ == "__main__":
    app()
