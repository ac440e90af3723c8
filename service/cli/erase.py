"""`personas erase CUSTOMER_ID`: the same erasure as `DELETE /v1/customers/{customer_id}`."""

from __future__ import annotations

from typing import Annotated

import typer

from service.cli.context import console, open_database
from service.domain_errors import DomainError
from service.erasure.service import erase_customer


def erase(customer_id: Annotated[str, typer.Argument(help="The customer id to erase everywhere.")]) -> None:
    """Erase a customer: stored data and every trace in run results and reports (audited by a hash)."""
    try:
        with open_database().transaction() as session:
            result = erase_customer(session, customer_id=customer_id)
    except DomainError as exc:
        console.print(exc.detail)
        raise typer.Exit(1) from None
    for field, value in result.model_dump().items():
        typer.echo(f"{field}\t{value}")
