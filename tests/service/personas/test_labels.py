"""Human labels win everywhere a persona is named: its label, and the grade notes of every persona of the run."""

from __future__ import annotations

from pipelines.grades import CORE_GROWTH_NAME
from service.personas.labels import present
from service.personas.schemas import CoreGrowthNote, Persona, StoredPersona
from tests.service.security.handbuilt import persona_payload


def _stored(persona_id: str, label: str, grade: str, note_about: str | None) -> StoredPersona:
    persona = persona_payload(persona_id, label, grade=grade, quotes=["a quote"])
    note = None
    if note_about is not None:
        note = CoreGrowthNote(
            text=f"Grade A but below {CORE_GROWTH_NAME}'s ratio.", core_growth_id=note_about
        )
    return StoredPersona(persona=persona, note=note)


def test_a_human_label_replaces_the_automatic_one_and_names_it_in_other_personas_notes() -> None:
    stored = [_stored("p-1", "order · invoice", "A", "p-1"), _stored("p-2", "refund · site", "A", "p-1")]
    shown = present(stored, {"p-1": "Repair shops reordering"})
    assert [(p.label, p.label_is_human) for p in shown] == [
        ("Repair shops reordering", True),
        ("refund · site", False),
    ]
    assert shown[1].core_growth_note == "Grade A but below “Repair shops reordering”'s ratio."
    assert shown[0].core_growth_note == "Grade A but below “Repair shops reordering”'s ratio."


def test_without_human_labels_notes_name_personas_by_their_automatic_label() -> None:
    shown = present([_stored("p-1", "order · invoice", "A", "p-1")], {})
    assert shown[0].label == "order · invoice" and not shown[0].label_is_human
    assert shown[0].core_growth_note == "Grade A but below “order · invoice”'s ratio."


def test_stored_personas_are_not_changed_by_presenting_them() -> None:
    stored = [_stored("p-1", "order · invoice", "A", "p-1")]
    present(stored, {"p-1": "Renamed"})
    assert stored[0].persona.label == "order · invoice" and isinstance(stored[0].persona, Persona)
