"""The `personas` command line: one module per area, assembled here."""

from __future__ import annotations

import sys

from service.cli import erase, prepare, results, runs, server
from service.cli.context import typer_app
from service.cli.imports import import_app
from service.cli.ingest import ingest_app
from service.cli.keys import keys_app
from service.config import ConfigurationError

app = typer_app("Support-log persona discovery.")
app.command()(server.serve)
app.command()(server.worker)
app.command()(runs.report)
app.command()(runs.demo)
app.command()(results.show)
app.command()(erase.erase)
app.command()(prepare.prepare)
app.add_typer(runs.run_app, name="run")
app.add_typer(server.db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(ingest_app, name="ingest")
app.add_typer(import_app, name="import")


def main() -> None:
    """The `personas` command: a configuration error is one line naming the variable, and exit code 2."""
    try:
        app()
    except ConfigurationError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)  # one line, never wrapped
        sys.exit(2)
