"""Personas stored before cards had summaries and examples still validate, with empty defaults."""

from __future__ import annotations

import json
from pathlib import Path

from service.personas.schemas import Persona, StoredPersona

RECORDED = Path(__file__).resolve().parents[2] / "fixtures" / "contract" / "personas.json"


def test_a_persona_stored_without_the_card_fields_still_validates() -> None:
    persona = json.loads(RECORDED.read_text(encoding="utf-8"))["personas"][0]
    persona.pop("summary")
    for job in persona["jobs"]:
        job.pop("examples"), job.pop("customers")
    for phrase in (*persona["motivations"], *persona["consequences"]):
        phrase.pop("examples")
    old = StoredPersona.model_validate({"persona": persona, "note": None}).persona
    assert old.summary == "" and old.jobs[0].examples == [] and old.jobs[0].customers == 0
    assert old.consequences[0].examples == []
    assert Persona.model_validate(old.model_dump()) == old
