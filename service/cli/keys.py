"""`personas keys ...`: create, list and revoke API keys."""

from __future__ import annotations

from typing import Annotated

import typer

from service.auth.service import SCOPES, create_key, list_keys, revoke_key
from service.cli.context import console, open_database, typer_app

keys_app = typer_app("API keys.")


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="Who or what uses the key.")],
    scope: Annotated[str, typer.Option(help="read, ingest or admin.")] = "read",
) -> None:
    """Create an API key and print it once (only its hash is stored)."""
    if scope not in SCOPES:
        raise typer.BadParameter(f"scope must be one of {', '.join(SCOPES)}", param_hint="--scope")
    with open_database().transaction() as session:
        key, value = create_key(session, name=name, scope=scope)
        key_id = key.id
    console.print(f"key {key_id} ({scope}) for {name}; store it now, it is not shown again:")
    typer.echo(value)


@keys_app.command("list")
def keys_list() -> None:
    """List keys (ids, names, scopes; never the keys themselves)."""
    with open_database().transaction(write=False) as session:
        for key in list_keys(session):
            state = "revoked" if key.revoked_at else "active"
            typer.echo(f"{key.id}\t{key.name}\t{key.scope}\t{key.prefix}...\t{state}")


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[int, typer.Argument(help="The key's id from `keys list`.")]) -> None:
    """Revoke a key; it stops working at once."""
    with open_database().transaction() as session:
        if not revoke_key(session, key_id=key_id):
            raise typer.BadParameter(f"no active key {key_id}")
    console.print(f"key {key_id} revoked")
