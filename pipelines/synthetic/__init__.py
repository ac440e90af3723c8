"""Demo company generator: a B2B supplier of industrial adhesives and sealants with planted personas.

Customers belong to four planted personas (numbers in `personas.PERSONA_SPECS`): repair shops (grade A,
core growth), distributors (B), project contractors (C, avoid/fix) and plant maintenance teams (B).
Transcripts have the shape of the HTTP `TranscriptIn`, accounts the shape of `PUT /v1/accounts`.
Everything is deterministic by seed and pure: the renderers return strings, nothing touches files.
"""

from pipelines.synthetic.company import (
    SyntheticCompany,
    SyntheticCustomer,
    build_customers,
    generate_company,
    iter_transcripts,
)
from pipelines.synthetic.export import accounts_csv, iter_jsonl_lines, transcripts_jsonl, truth_json
from pipelines.synthetic.personas import PERSONA_SPECS, PersonaSpec

__all__ = [
    "PERSONA_SPECS",
    "PersonaSpec",
    "SyntheticCompany",
    "SyntheticCustomer",
    "accounts_csv",
    "build_customers",
    "generate_company",
    "iter_jsonl_lines",
    "iter_transcripts",
    "transcripts_jsonl",
    "truth_json",
]
