"""Plain input and configuration dataclasses of a persona discovery run (its outputs are in `results`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from pipelines.reduce import MIN_SAMPLES_FOR_UMAP

# An account attribute as a CRM export gives it; numbers are bucketed into quartiles, text is a category.
AttributeValue = str | float | int | bool | None


@dataclass(frozen=True)
class TranscriptInput:
    """One support contact as the service hands it over: who, which channel, how long, and the turns."""

    external_id: str
    customer_id: str
    channel: str
    started_at: datetime | None
    duration_seconds: float | None
    turns: list[dict[str, Any]]


@dataclass(frozen=True)
class AccountInput:
    """One finance/CRM account: the customer's annual revenue and firmographic attributes."""

    customer_id: str
    annual_revenue: float
    name: str | None = None
    attributes: dict[str, AttributeValue] = field(default_factory=dict)


@dataclass(frozen=True)
class ClusterParams:
    """Knobs of the customer clustering; the defaults are the measured method (see pipelines/cluster.py)."""

    # Below this many customers there are too few contacts to re-estimate personas: the split stands as it is.
    min_customers_for_umap: int = MIN_SAMPLES_FOR_UMAP
    # Contact neighbourhood of the refinement (UMAP's width for the map, so both read the same locality).
    contact_neighbors: int = 15
    refine: bool = True
    # EM rounds of the refinement from the k-means split. Few on purpose: each round is also a step of label
    # propagation over the contact graph, and many rounds let personas diffuse into each other, most where
    # customers have one contact each (measured in bench/bench_personas.py: 3 rounds choose the planted k in
    # 43 of 44 known-k cases; 5 rounds in 41, and Twitter drops to 2 personas).
    refine_max_iterations: int = 3
    # Further EM rounds for the chosen partition only, once k is chosen: measured ARI +0.01 to +0.03 on
    # planted_dev and demo seeds 12 and 13, +-0.005 on the others (bench/bench_personas.py).
    final_rounds: int = 3
    # Laplace smoothing of the neighbour counts, so one unseen persona never gets probability zero.
    refine_smoothing: float = 1.0
    # Customers the split calls noise keep this share of their posterior as confidence.
    noise_confidence_factor: float = 0.5
    # Above this many customers, the split, its refinement and stability (and the map's UMAP) are fitted on a
    # fixed-seed sample of sample_size customers; the others take the refinement's likelihood step over their
    # contacts' nearest sample contacts. Bounds time and memory (bench/bench_scale.py); smaller inputs are
    # clustered whole.
    sample_threshold: int = 5000
    sample_size: int = 5000
    # The quality silhouette (O(n^2)) is taken on at most this many customers (fixed seed).
    quality_sample: int = 5000
    # k-means starts of the initial split (on the customer vectors) before the contact refinement.
    kmeans_starts: int = 10
    # Stability and the choice of k: each k is refitted on this many resamples of this share of customers.
    stability_resamples: int = 10
    stability_share: float = 0.8


@dataclass(frozen=True)
class KScore:
    """How one tried number of personas held up when customers were resampled (pipelines.stability)."""

    k: int
    # Mean adjusted Rand index between this k's partition and its partitions of the resampled customers.
    stability: float
    # Per persona of this k's partition (largest first): mean best Jaccard with a resampled persona.
    persona_stability: tuple[float, ...]

    @property
    def weakest(self) -> float:
        """The least reproducible persona's stability: the number the choice of k reads."""
        return min(self.persona_stability)


@dataclass(frozen=True)
class CostRates:
    """Cost-to-serve rates: per handled minute by channel, flat per email (DESIGN.md's economics rules)."""

    per_minute_call: float = 1.10
    per_minute_chat: float = 0.50
    per_minute_other: float = 0.80
    per_email: float = 4.00


@dataclass(frozen=True)
class DiscoveryConfig:
    """Everything that decides a run's outcome; stored in the result so the run can be reproduced."""

    min_personas: int = 2
    max_personas: int = 4
    seed: int = 42
    clustering: ClusterParams = field(default_factory=ClusterParams)
    cost_rates: CostRates = field(default_factory=CostRates)
    match_threshold: float = 0.8
    # describe reads at most this many transcripts per persona (fixed-seed sample; counts stay the totals).
    describe_max_texts: int = 2000

    def __post_init__(self) -> None:
        """Reject persona ranges that can never be satisfied."""
        if self.min_personas < 1 or self.max_personas < self.min_personas:
            raise ValueError(
                f"need 1 <= min_personas <= max_personas, got {self.min_personas}..{self.max_personas}"
            )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy, e.g. for a run's stored parameters."""
        return asdict(self)
