"""Customers into personas: customer vectors, clustering refined by contacts, the 2-D map and each persona's members."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from pipelines.cluster import ClusterResult, cluster_customers, customer_vectors, sample_rows
from pipelines.reduce import map_coordinates
from pipelines.results import CustomerAssignment
from pipelines.types import DiscoveryConfig, TranscriptInput


def persona_key(index: int) -> str:
    """Run-local persona key, 1-based so reports read "P1" for the largest persona."""
    return f"P{index + 1}"


@dataclass(frozen=True)
class Grouping:
    """Customers (sorted ids) with their vectors, personas, map coordinates and members."""

    customer_ids: list[str]
    matrix: np.ndarray
    clusters: ClusterResult
    assignments: dict[str, CustomerAssignment]
    map_method: str
    members: list[list[str]]
    transcript_ids: list[list[str]]

    @property
    def keys(self) -> list[str]:
        return [persona_key(j) for j in range(self.clusters.k)]


def _assignments(
    customer_ids: list[str], clusters: ClusterResult, contacts: dict[str, int], coords: np.ndarray
) -> dict[str, CustomerAssignment]:
    """Per customer: persona, confidence, whether density called it noise, contacts and map position."""
    return {
        cid: CustomerAssignment(
            customer_id=cid,
            persona_index=int(clusters.labels[i]),
            persona_key=persona_key(int(clusters.labels[i])),
            confidence=float(clusters.confidences[i]),
            is_noise=bool(clusters.noise[i]),
            contacts=contacts[cid],
            map_x=float(coords[i, 0]),
            map_y=float(coords[i, 1]),
        )
        for i, cid in enumerate(customer_ids)
    }


def group_customers(
    transcripts: Sequence[TranscriptInput],
    used: Sequence[int],
    vectors: np.ndarray,
    config: DiscoveryConfig,
    progress: Callable[[str, float], None],
) -> Grouping:
    """Customers -> personas (clustering on customer vectors, refined by their contacts), plus the 2-D map."""
    used_customer_ids = [transcripts[i].customer_id for i in used]
    customer_ids, matrix = customer_vectors(vectors, used_customer_ids)
    row_of = {c: r for r, c in enumerate(customer_ids)}
    clusters = cluster_customers(
        matrix,
        min_personas=config.min_personas,
        max_personas=config.max_personas,
        seed=config.seed,
        contact_vectors=vectors,
        contact_owner=np.asarray([row_of[c] for c in used_customer_ids], dtype=np.int64),
        params=config.clustering,
    )
    progress("clustering", 0.8)
    coords, map_method = map_coordinates(
        matrix, seed=config.seed, fit_rows=sample_rows(len(matrix), config.clustering, config.seed)
    )
    contacts: dict[str, int] = defaultdict(int)
    for t in transcripts:
        contacts[t.customer_id] += 1
    assignments = _assignments(customer_ids, clusters, contacts, coords)
    members: list[list[str]] = [[] for _ in range(clusters.k)]
    for cid in customer_ids:
        members[assignments[cid].persona_index].append(cid)
    transcript_ids: list[list[str]] = [[] for _ in range(clusters.k)]
    for t in transcripts:
        if t.customer_id in assignments:
            transcript_ids[assignments[t.customer_id].persona_index].append(t.external_id)
    return Grouping(customer_ids, matrix, clusters, assignments, map_method, members, transcript_ids)
