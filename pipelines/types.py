"""Plain input, configuration and output dataclasses of a persona discovery run (no behaviour beyond helpers)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

AttributeValue = str | float | int | None


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
    min_customers_for_umap: int = 30
    # None: 2% of the customers (at least 5); a group smaller than that is not worth a persona.
    min_cluster_size: int | None = None
    # Contact neighbourhood of the refinement; the same size as UMAP's so both read the same locality.
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
class DiscoveryConfig:
    """Everything that decides a run's outcome; stored in the result so the run can be reproduced."""

    min_personas: int = 2
    max_personas: int = 4
    seed: int = 42
    clustering: ClusterParams = field(default_factory=ClusterParams)
    cost_per_minute_call: float = 1.10
    cost_per_minute_chat: float = 0.50
    cost_per_minute_other: float = 0.80
    cost_per_email: float = 4.00
    match_threshold: float = 0.8
    map_dimensions: int = 2
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
    """One discovered persona: its members, centroid, and what describe/economics/match say about it."""

    index: int
    key: str
    label: str
    centroid: np.ndarray
    customer_ids: tuple[str, ...]
    transcript_ids: tuple[str, ...]
    description: Any = None  # describe.PersonaDescription (keywords, quotes, jobs, motivations, ...)
    economics: Any = None  # economics.PersonaEconomics (cost, revenue, grade, core_growth)
    pond: Any = None  # pond.PondMap of this persona's customers
    match: Any = None  # match.PersonaMatch: the stable id and the previous persona it continues
    stable_id: str | None = None
    # Share of resampled runs in which this persona reappears (best Jaccard >= 0.5); None for one persona.
    stability: float | None = None
    # Its mean best Jaccard over the resampled runs (the finer figure the choice of k reads).
    stability_jaccard: float | None = None


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
    customers_without_text: tuple[str, ...] = ()
    economics: Any = None  # economics.EconomicsResult of the whole run
    pond: Any = None  # pond.PondMap: in the pond (core-growth) and out of it (grade C)
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
