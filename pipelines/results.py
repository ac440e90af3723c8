"""What one run of discover() produces: customer assignments and described, priced, matched personas."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.describe import PersonaDescription
from pipelines.economics import EconomicsResult, PersonaEconomics
from pipelines.match import PersonaMatch
from pipelines.pond import PondMap
from pipelines.types import DiscoveryConfig, KScore


@dataclass(frozen=True)
class CustomerAssignment:
    """Which persona a customer belongs to, how sure the clustering is, and where it sits on the map."""

    customer_id: str
    persona_index: int
    persona_key: str
    confidence: float
    is_noise: bool
    contacts: int
    map_x: float
    map_y: float


@dataclass(frozen=True)
class PersonaResult:
    """One discovered persona: its members and centroid, what its customers say, what it earns and costs, which
    customers' attribute values mark it, and the stable id it continues from the previous run."""

    index: int
    key: str
    centroid: np.ndarray
    customer_ids: tuple[str, ...]
    transcript_ids: tuple[str, ...]
    description: PersonaDescription
    economics: PersonaEconomics
    pond: PondMap
    match: PersonaMatch
    # Share of resampled runs in which this persona reappears (best Jaccard >= 0.5); None for one persona.
    stability: float | None = None
    # Its mean best Jaccard over the resampled runs (the finer figure the choice of k reads).
    stability_jaccard: float | None = None

    @property
    def stable_id(self) -> str:
        """The persona's id across runs."""
        return self.match.id


@dataclass(frozen=True)
class DiscoveryResult:
    """Everything one run of discover() produces, with the config and model that produced it."""

    config: DiscoveryConfig
    model_name: str
    personas: tuple[PersonaResult, ...]
    assignments: dict[str, CustomerAssignment]
    chosen_k: int
    criterion: str
    criterion_scores: dict[int, float]
    quality: float | None
    quality_metric: str
    reason: str | None
    timings: dict[str, float]
    map_method: str
    transcripts_used: int
    economics: EconomicsResult
    pond: PondMap  # in the pond (core-growth) and out of it (grade C)
    customers_without_text: tuple[str, ...] = ()
    retired_ids: tuple[str, ...] = ()  # previous persona ids no new persona continues
    # One row per input transcript (zeros where it had no customer text), for the caller's embedding cache.
    transcript_vectors: np.ndarray | None = None
    clustering_method: str = ""
    notes: tuple[str, ...] = ()
    # Mean ARI between the final partition and the partitions of resampled customers; None for one persona.
    stability: float | None = None
    # Every k tried, with its stability figures, so a reader sees why k is what it is.
    k_scores: tuple[KScore, ...] = ()
    # True when no k gave personas that all reappear; stability_verdict says so (or why it is stable) in words.
    unstable: bool = False
    stability_verdict: str = ""

    @property
    def labels(self) -> dict[str, int]:
        """customer_id -> persona index, the form ARI comparisons need."""
        return {c: a.persona_index for c, a in self.assignments.items()}
