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

    umap_n_neighbors: int = 15
    umap_n_components: int = 5
    umap_min_dist: float = 0.0
    # Below this many customers UMAP's neighbour graph means little: cluster the vectors directly.
    min_customers_for_umap: int = MIN_SAMPLES_FOR_UMAP
    # None: 2% of the customers (at least 5); a group smaller than that is not worth a persona.
    min_cluster_size: int | None = None
    # Contact neighbourhood of the refinement; the same size as UMAP's so both read the same locality.
    contact_neighbors: int = 15
    refine: bool = True
    refine_max_iterations: int = 50
    # Laplace smoothing of the neighbour counts, so one unseen persona never gets probability zero.
    refine_smoothing: float = 1.0
    # Customers density calls noise keep this share of their posterior as confidence.
    noise_confidence_factor: float = 0.5
    # Above this many customers, UMAP + HDBSCAN + refinement (and the map's UMAP) are fitted on a fixed-seed
    # sample of sample_size customers; the others take the refinement's likelihood step over their contacts'
    # nearest sample contacts. Bounds time and memory (measured by bench/bench_scale.py); smaller inputs are
    # clustered whole, exactly as before.
    sample_threshold: int = 5000
    sample_size: int = 5000
    # The quality silhouette (O(n^2)) is taken on at most this many customers (fixed seed).
    quality_sample: int = 5000


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
