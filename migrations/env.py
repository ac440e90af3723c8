"""Alembic environment: the URL comes from PERSONAS_DATABASE_URL unless the caller passes a connection."""

from alembic import context

from service.config import get_settings
from service.db import Database
from service.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    database = Database.from_url(url)
    with database.read_engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    database.dispose()


run_migrations()
