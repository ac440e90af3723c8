"""What every command shares: the stderr console, the configured database, a progress bar, Typer apps."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from service.config import get_settings
from service.db import Database

console = Console(stderr=True)


def typer_app(help_text: str) -> typer.Typer:
    """A command group; tracebacks never show local variables (they hold keys, secrets and customer text)."""
    return typer.Typer(help=help_text, no_args_is_help=True, pretty_exceptions_show_locals=False)


def open_database() -> Database:
    """The database PERSONAS_DATABASE_URL names."""
    return Database.from_url(get_settings().database_url)


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    )
