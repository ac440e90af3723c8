"""What services raise when a rule says no. They know nothing of HTTP: `service.errors` maps each kind to a
problem+json answer, and the CLI prints the detail."""

from __future__ import annotations


class DomainError(Exception):
    """A request the domain cannot carry out; `detail` says why in words a client can act on."""

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        extra: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors  # per field: {"field": ..., "message": ...}
        self.extra = extra  # more members of the problem body, e.g. {"run_id": ...}
        self.headers = headers  # e.g. Location of the thing in the way, Retry-After


class NotFound(DomainError):
    """The thing asked for does not exist (or not yet)."""


class Conflict(DomainError):
    """The thing exists but is in a state that does not allow this (e.g. a run that has not succeeded)."""


class TooBusy(DomainError):
    """Too much is already waiting (e.g. queued runs); the client should retry later (`retry_after` seconds)."""

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class InvalidInput(DomainError):
    """A value the client sent breaks a rule; `errors` names the fields."""


class TooLarge(InvalidInput):
    """A value the client sent is larger than this service accepts."""


def invalid_field(field: str, message: str) -> InvalidInput:
    """One field with one problem, as `errors` carries it."""
    return InvalidInput(f"{field}: {message}", errors=[{"field": field, "message": message}])
