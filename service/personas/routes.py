"""Personas and customers of a run: cheap to poll (strong ETag), renameable, exportable as CSV."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response

from service.deps import AdminKey, ReadKey, ReadSession, WriteSession
from service.json_response import FiniteJSONResponse
from service.pagination import decode_cursor, encode_cursor
from service.personas import service
from service.personas.cache import EncodedCache, encode
from service.personas.schemas import CustomerPage, CustomerRow, Persona, PersonaList, PersonaRename
from service.shifts.service import moved_from_ids

router = APIRouter(tags=["personas"])
# Pollers must revalidate every time, and the 304 answer makes that almost free.
CACHE_CONTROL = "private, no-cache"
RunId = Annotated[str | None, Query(max_length=64, description="A succeeded run; default the latest.")]


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in candidates or etag in candidates


def conditional_json(body: bytes, etag: str, if_none_match: str | None) -> Response:
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if _matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


@router.get(
    "/v1/personas",
    response_model=PersonaList,
    responses={304: {"description": "Not modified: the ETag still holds."}},
)
def list_personas(
    request: Request,
    session: ReadSession,
    _: ReadKey,
    run_id: RunId = None,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Personas of the latest succeeded run (or `run_id`); send `If-None-Match` to get 304 when unchanged."""
    cache: EncodedCache = request.app.state.persona_cache
    key = service.persona_list_key(session, run_id)
    encoded = cache.get(key)
    if encoded is None:
        personas = service.persona_list(session, service.resolve_run(session, key[0]))
        encoded = encode(personas.model_dump(by_alias=True))
        cache.put(key, encoded)
    return conditional_json(*encoded, if_none_match)


@router.get("/v1/personas/{persona_id}", response_model=Persona)
def read_persona(
    persona_id: Annotated[str, Path(max_length=40)], session: ReadSession, _: ReadKey, run_id: RunId = None
) -> Persona:
    """One persona of the latest succeeded run (or `run_id`)."""
    return service.find_persona(session, service.resolve_run(session, run_id), persona_id)


@router.patch("/v1/personas/{persona_id}", response_model=Persona)
def rename_persona(
    persona_id: Annotated[str, Path(max_length=40)], body: PersonaRename, session: WriteSession, key: AdminKey
) -> Persona:
    """Give a persona a human name; it sticks to the stable id in later runs."""
    label = body.label.strip() or body.label
    run = service.rename_persona(session, persona_id=persona_id, label=label, key_id=key.id)
    return service.find_persona(session, run, persona_id)


CSV_COLUMNS = list(CustomerRow.model_fields)
# Spreadsheets run a cell that starts with one of these as a formula (CSV injection): account names and ids
# come from clients, and this export is opened by sales in Excel. Such text cells get a leading apostrophe.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


@router.get("/v1/customers", response_model=CustomerPage, responses={200: {"content": {"text/csv": {}}}})
def list_customers(
    session: ReadSession,
    _: ReadKey,
    run_id: RunId = None,
    persona_id: Annotated[str | None, Query(max_length=40)] = None,
    grade: Annotated[Literal["A", "B", "C"] | None, Query()] = None,
    core_growth: Annotated[bool | None, Query()] = None,
    moved_from: Annotated[
        str | None,
        Query(max_length=40, description="Only customers whose persona in the previous run was this one."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Response:
    """Customers with persona, grade and economics; `format=csv&core_growth=true` is the sales target list;
    `moved_from=<persona id>`: those whose persona in the previous succeeded run was that one and is another now
    (409 when the run is the first succeeded one)."""
    run = service.resolve_run(session, run_id)
    filters: dict[str, Any] = {"persona_id": persona_id, "grade": grade, "core_growth": core_growth}
    if moved_from is not None:
        filters["among"] = moved_from_ids(session, run, moved_from)
    if format == "csv":
        rows = service.list_customers(session, run=run, limit=1_000_000, **filters)
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: csv_cell(v) for c, v in row.model_dump().items()})
        headers = {"Content-Disposition": f'attachment; filename="customers-{run.id}.csv"'}
        return Response(out.getvalue(), media_type="text/csv", headers=headers)
    rows = service.list_customers(session, run=run, limit=limit + 1, after=decode_cursor(cursor), **filters)
    items = rows[:limit]
    next_cursor = encode_cursor(items[-1].customer_id) if len(rows) > limit else None
    return FiniteJSONResponse(jsonable_encoder(CustomerPage(items=items, next_cursor=next_cursor)))
