"""What a vendor adapter is: the Vendor protocol, the Delivery it returns and the two errors it raises.

Nothing here touches FastAPI or the database: a vendor takes headers (lower-cased names), the raw
body bytes, the configured secret and the current time, and either raises ``SignatureError`` (the
route answers 401), ``PayloadError`` (422, with ``field``), or returns transcripts shaped exactly
like ``TranscriptIn``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable


class SignatureError(Exception):
    """The request is not proven to come from the vendor (401). The message says what was wrong."""


class PayloadError(Exception):
    """The body is not a payload this vendor adapter understands (422)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Merge:
    """How a delivered transcript combines with the stored version of the same (source, external_id).

    ``replace``: the delivery is the whole conversation (Zendesk's ticket, the API, generic senders).
    ``append``: it carries only some turns (Intercom's new parts, Freshdesk's latest comment); turns not
    stored yet are added. ``turn_keys``: the vendor's id per turn, None where it has none (then the turn's
    speaker and redacted text identify it). ``updated_at`` (ISO 8601): the vendor's last-change time when it
    sends one, else the latest turn time is used; a delivery older than the stored version never replaces it.
    """

    mode: Literal["replace", "append"] = "replace"
    turn_keys: tuple[str | None, ...] | None = None
    updated_at: str | None = None


@dataclass(frozen=True)
class Delivery:
    """What one webhook request carries.

    ``delivery_id`` is the vendor's idempotency key for the request when it sends one (retries of
    the same delivery carry the same id); ``transcripts`` may be empty when the event is valid but
    carries no conversation text (e.g. an Intercom ``ping``): answer 202 with nothing accepted.
    ``merges`` says how each transcript combines with what is stored (see ``Merge``).
    """

    delivery_id: str | None
    transcripts: list[dict[str, Any]] = field(default_factory=list)
    #: One per transcript (same order); empty means every transcript replaces its stored version.
    merges: list[Merge] = field(default_factory=list)


@runtime_checkable
class Vendor(Protocol):
    name: str

    def verify(self, headers: Mapping[str, str], body: bytes, secret: str, now: float) -> None: ...

    def parse(self, headers: Mapping[str, str], body: bytes, customer_id: str | None = None) -> Delivery:
        """The delivery's transcripts; `customer_id` names the field that becomes customer_id
        (`identity.CUSTOMER_ID_CHOICES`; None: the source's default; sources without a choice ignore it)."""
        ...
