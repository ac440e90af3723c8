"""Per-vendor webhook adapters: pure signature verification and payload mapping.

``VENDORS[source]`` gives the adapter for ``POST /v1/webhooks/{source}``. Each one has
``verify(headers, body, secret, now)`` (raises ``SignatureError`` -> 401) and
``parse(headers, body) -> Delivery`` (raises ``PayloadError`` -> 422); headers are lower-cased.
"""

from __future__ import annotations

from .freshdesk import FreshdeskVendor
from .generic import GenericVendor
from .intercom import IntercomVendor
from .protocol import Delivery, Merge, PayloadError, SignatureError, Vendor
from .zendesk import ZendeskVendor

VENDORS: dict[str, Vendor] = {
    vendor.name: vendor for vendor in (GenericVendor(), ZendeskVendor(), IntercomVendor(), FreshdeskVendor())
}

__all__ = ["VENDORS", "Delivery", "Merge", "PayloadError", "SignatureError", "Vendor"]
