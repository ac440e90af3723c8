"""The vendor registry follows the Vendor protocol; PayloadError carries its field."""

from __future__ import annotations

from service.ingest.vendors import VENDORS, PayloadError, Vendor


def test_registry_has_the_four_sources_and_each_follows_the_protocol() -> None:
    assert set(VENDORS) == {"generic", "zendesk", "intercom", "freshdesk"}
    for name, vendor in VENDORS.items():
        assert vendor.name == name
        assert isinstance(vendor, Vendor)


def test_payload_error_carries_field_and_message() -> None:
    err = PayloadError("ticket.id", "is required")
    assert err.field == "ticket.id" and err.message == "is required"
    assert str(err) == "ticket.id: is required"
