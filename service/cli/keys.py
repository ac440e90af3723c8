"""`personas keys ...`: create, list, rotate and revoke API keys."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from service.auth.service import SCOPES, create_key, is_active, list_keys, revoke_key, rotate_key
from service.cli.context import console, open_database, typer_app

keys_app = typer_app("API keys.")

_DURATION_RE = re.compile(r"(\d{1,6})\s*([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str, option: str) -> timedelta:
    """`30d`, `12h`, `90m`, `45s`, `2w`; BadParameter naming the option otherwise."""
    match = _DURATION_RE.fullmatch(text.strip().lower())
    if match is None:
        raise typer.BadParameter("a number and a unit, e.g. 30d, 12h, 90m, 2w", param_hint=option)
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if moment else "-"


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="Who or what uses the key.")],
    scope: Annotated[str, typer.Option(help="read, ingest or admin.")] = "read",
    expires_in: Annotated[
        str | None, typer.Option("--expires-in", help="Lifetime, e.g. 30d, 12h; default: no expiry.")
    ] = None,
) -> None:
    """Create an API key and print it once (only a keyed hash of it is stored)."""
    if scope not in SCOPES:
        raise typer.BadParameter(f"scope must be one of {', '.join(SCOPES)}", param_hint="--scope")
    lifetime = parse_duration(expires_in, "--expires-in") if expires_in else None
    expires_at = datetime.now(UTC) + lifetime if lifetime else None
    with open_database().transaction() as session:
        key, value = create_key(session, name=name, scope=scope, expires_at=expires_at)
        key_id = key.id
    until = f", expires {_when(expires_at)} UTC" if expires_at else ""
    console.print(f"key {key_id} ({scope}) for {name}{until}; store it now, it is not shown again:")
    typer.echo(value)


@keys_app.command("list")
def keys_list() -> None:
    """List keys: id, name, scope, state, last used, expires (UTC; never the keys themselves)."""
    typer.echo("id\tname\tscope\tstate\tlast used\texpires")
    with open_database().transaction(write=False) as session:
        for key in list_keys(session):
            state = "active" if is_active(key) else ("revoked" if key.revoked_at else "expired")
            kind = " (bootstrap)" if key.bootstrap else ""
            last, ends = _when(key.last_used_at), _when(key.expires_at)
            typer.echo(f"{key.id}\t{key.name}{kind}\t{key.scope}\t{state}\t{last}\t{ends}")


@keys_app.command("rotate")
def keys_rotate(
    key_id: Annotated[int, typer.Argument(help="The key's id from `keys list`.")],
    grace: Annotated[
        str, typer.Option("--grace", help="How long the old key keeps working, e.g. 1h, 30m, 0s.")
    ] = "1h",
) -> None:
    """Create a successor with the same name and scope; the old key expires after the grace period."""
    period = parse_duration(grace, "--grace")
    with open_database().transaction() as session:
        rotated = rotate_key(session, key_id=key_id, grace=period)
        if rotated is None:
            raise typer.BadParameter(f"no active key {key_id} (the bootstrap key rotates with its variable)")
        key, value = rotated
        new_id = key.id
    console.print(f"key {new_id} replaces key {key_id}, which stops working in {grace}; store it now:")
    typer.echo(value)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[int, typer.Argument(help="The key's id from `keys list`.")]) -> None:
    """Revoke a key; it stops working at once."""
    with open_database().transaction() as session:
        if not revoke_key(session, key_id=key_id):
            raise typer.BadParameter(f"no active key {key_id}")
    console.print(f"key {key_id} revoked")
