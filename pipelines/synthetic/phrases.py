"""All persona phrase banks by persona name, plus intents any customer may raise."""

from __future__ import annotations

from pipelines.synthetic.personas import PersonaPhrases
from pipelines.synthetic.phrases_buyers import DISTRIBUTORS, REPAIR_SHOPS
from pipelines.synthetic.phrases_technical import PLANT_MAINTENANCE, PROJECT_CONTRACTORS

GENERIC_INTENTS: dict[str, tuple[str, ...]] = {
    "invoice_copy": (
        "Can you resend invoice {invoice}?",
        "I need a copy of the invoice for {order}.",
        "Our AP team can't find invoice {invoice}.",
    ),
    "address_change": (
        "We moved, please update our shipping address.",
        "Please change the bill-to address on our account.",
        "Can you add a second ship-to address in {city}?",
    ),
    "tracking": ("Can I get tracking for {order}?", "Which carrier is {order} going with?"),
    "payment": (
        "Can I pay by credit card over the phone?",
        "Did you receive our payment for {invoice}?",
        "Can we get net 30 terms?",
        "Our statement shows an open balance I don't recognize.",
    ),
    "contacts": (
        "Please add me as a contact on the account.",
        "Please send invoices to ap@{domain} from now on.",
        "Our buyer left, can you update the contact?",
    ),
}

PERSONA_PHRASES: dict[str, PersonaPhrases] = {
    "repair_shops": REPAIR_SHOPS,
    "distributors": DISTRIBUTORS,
    "project_contractors": PROJECT_CONTRACTORS,
    "plant_maintenance": PLANT_MAINTENANCE,
}
