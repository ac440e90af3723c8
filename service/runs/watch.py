"""Follow a run to its end with a Rich progress bar (CLI and demo)."""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from service.db import Database
from service.runs.models import Run
from service.runs.schemas import FINISHED_STATUSES


def follow_run(database: Database, run_id: str, console: Console) -> Run:
    """Show stage and progress until the run ends (wherever it runs)."""
    columns = (TextColumn("{task.description:<12}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("queued", total=1.0)
        while True:
            with database.transaction(write=False) as session:
                run = session.get(Run, run_id)
                assert run is not None
                session.expunge(run)
            progress.update(task, completed=run.progress, description=run.stage or run.status)
            if run.status in FINISHED_STATUSES:
                break
            time.sleep(0.3)
    return run
