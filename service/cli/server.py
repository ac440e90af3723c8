"""`personas serve`, `personas worker` and `personas db upgrade`: the processes and their schema."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from service import migrate
from service.cli.context import console, shown_url, typer_app
from service.config import ConfigurationError, get_settings

if TYPE_CHECKING:
    import uvicorn
    from starlette.types import ASGIApp

db_app = typer_app("Database schema.")

#: Request heads (request line and headers) are refused with 400 once more than this is held unparsed, so a
#: 2 MB header is never held (the h11 parser enforces it; httptools, uvicorn's other parser, has no bound). A
#: head that arrives whole in one socket read (at most 256 KiB) is parsed before the check.
MAX_REQUEST_HEAD_BYTES = 64 * 1024


def server_config(app: ASGIApp, *, host: str, port: int) -> uvicorn.Config:
    """How `personas serve` runs the app (tests start real servers with the same settings)."""
    import uvicorn

    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http="h11",
        h11_max_incomplete_event_size=MAX_REQUEST_HEAD_BYTES,
        log_config=None,
        timeout_graceful_shutdown=10,
    )


def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run the HTTP API (an SQLite database is upgraded to the latest schema first)."""
    import uvicorn

    from service.app import create_app
    from service.logs import configure_logging

    settings = get_settings()
    configure_logging()
    if settings.is_sqlite:
        migrate.upgrade(settings.database_url)
    uvicorn.Server(server_config(create_app(settings), host=host, port=port)).run()


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Create or upgrade the schema of PERSONAS_DATABASE_URL (the one command that may create a database)."""
    url = get_settings().database_url
    try:
        migrate.upgrade(url, revision)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
        raise ConfigurationError(
            f"PERSONAS_DATABASE_URL={shown_url(url)}: cannot upgrade ({reason})"
        ) from None
    console.print(f"[green]database {shown_url(url)} at {revision}[/green]", soft_wrap=True)


def worker(
    concurrency: Annotated[int, typer.Option(min=1, max=8)] = 1,
    name: Annotated[
        str, typer.Option(help="This worker's node name (unique per host when several run on one).")
    ] = "worker",
    beat: Annotated[
        bool,
        typer.Option(
            "--beat",
            help="Also run the scheduler (the daily retention purge, runs on PERSONAS_RUN_SCHEDULE); one worker only.",
        ),
    ] = False,
) -> None:
    """Run a Celery worker for discovery runs and background embedding (PERSONAS_QUEUE=celery, broker
    PERSONAS_BROKER_URL); start as many as the machines allow."""
    from service.logs import configure_logging
    from service.runs.tasks import celery_app

    configure_logging()
    # Runs (the default queue) and background embedding (`embed`); any number of workers share both.
    arguments = [
        "worker",
        "--loglevel=INFO",
        f"--concurrency={concurrency}",
        "--pool=threads",
        "--queues=celery,embed",
        f"--hostname={name}@%h",
    ]
    celery_app.worker_main([*arguments, "--beat"] if beat else arguments)
