"""What every command shares: the stderr console, the configured database, a progress bar, Typer apps."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import inspect, make_url
from sqlalchemy.exc import SQLAlchemyError

from service.config import ConfigurationError, get_settings
from service.db import Database

console = Console(stderr=True)
UPGRADE_HINT = "run `personas db upgrade` with the same PERSONAS_DATABASE_URL first"


def typer_app(help_text: str) -> typer.Typer:
    """A command group; tracebacks never show local variables (they hold keys, secrets and customer text)."""
    return typer.Typer(help=help_text, no_args_is_help=True, pretty_exceptions_show_locals=False)


def shown_url(url: str) -> str:
    """The database URL as it may be printed: a password becomes ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL has no password we could find; say nothing of it
        return "(unparsable URL)"


def sqlite_file(url: str) -> Path | None:
    """The file an SQLite URL names; None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def open_database() -> Database:
    """The database PERSONAS_DATABASE_URL names, already migrated; never creates one.

    A command that reads or writes data must not leave an empty SQLite file behind because the variable was
    not set in this shell: only `personas db upgrade` (and `serve` on SQLite) create the schema.
    """
    url = get_settings().database_url
    shown = shown_url(url)
    try:
        file = sqlite_file(url)
    except Exception:
        raise ConfigurationError("PERSONAS_DATABASE_URL is not a valid SQLAlchemy URL") from None
    if file is not None and not file.is_file():
        raise ConfigurationError(
            f"PERSONAS_DATABASE_URL={shown}: no database file at {file.resolve()}; {UPGRADE_HINT}, "
            "or set PERSONAS_DATABASE_URL to your database"
        )
    database = Database.from_url(url)
    try:
        with database.read_engine.connect() as connection:
            migrated = inspect(connection).has_table("alembic_version")
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
        raise ConfigurationError(f"PERSONAS_DATABASE_URL={shown}: cannot connect ({reason})") from None
    if not migrated:
        raise ConfigurationError(
            f"PERSONAS_DATABASE_URL={shown}: the database has no schema yet; {UPGRADE_HINT}"
        )
    console.print(f"[dim]database: {shown}[/dim]", highlight=False, soft_wrap=True)
    return database


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    )
