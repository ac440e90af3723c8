"""The one place where the names people give personas replace the automatic ones, wherever a persona is named."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pipelines.grades import CORE_GROWTH_NAME
from service.personas.schemas import CoreGrowthNote, Persona, StoredPersona


def _worded(note: CoreGrowthNote, label_of: Mapping[str, str]) -> str:
    name = label_of.get(note.core_growth_id)
    return note.text.replace(CORE_GROWTH_NAME, f"“{name}”" if name else "the core-growth persona")


def present(stored: Sequence[StoredPersona], human_labels: Mapping[str, str]) -> list[Persona]:
    """The run's personas as readers see them: a human label wins over the automatic one, and notes name
    personas by the label they carry now."""
    label_of = {s.persona.id: human_labels.get(s.persona.id, s.persona.label) for s in stored}
    return [
        s.persona.model_copy(
            update={
                "label": label_of[s.persona.id],
                "label_is_human": s.persona.id in human_labels,
                "core_growth_note": _worded(s.note, label_of) if s.note else s.persona.core_growth_note,
            }
        )
        for s in stored
    ]
