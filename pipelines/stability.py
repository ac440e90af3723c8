"""How reproducible a partition is when customers are resampled, and the choice of k that rests on it.

For each k the partition of all customers is compared with partitions fitted on resamples (a fixed-seed
share of the customers, each with its own seed). Per persona: its best Jaccard overlap with any resampled
persona, on the customers both contain (Hennig 2007, "Cluster-wise assessment of cluster stability"); its
mean over resamples is the persona's stability, and the share of resamples where that overlap is at least
REAPPEAR_JACCARD is how often it reappears. For the structure: mean adjusted Rand index between the
partition and the resampled ones. The chosen k is the largest whose every persona is stable (mean Jaccard
>= STABLE_JACCARD, Hennig's level for a valid, stable cluster): more personas only when each of them holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score

from pipelines.types import KScore

STABLE_JACCARD = 0.75
REAPPEAR_JACCARD = 0.5
CRITERION = (
    f"the largest k whose every persona reappears when customers are resampled (mean Jaccard >= "
    f"{STABLE_JACCARD} between the persona and its best match in each resample); if no k qualifies, the k "
    "whose weakest persona is most stable; ties -> smaller k"
)

Fit = Callable[[np.ndarray, int], np.ndarray]  # (customer rows, seed) -> labels of those rows


@dataclass(frozen=True)
class Resampled:
    """A partition's stability: per persona (mean Jaccard, share reappearing), structure ARI, and how often
    each customer kept its persona across the resamples it was drawn into."""

    persona_jaccard: np.ndarray
    persona_reappears: np.ndarray
    structure: float
    customer_agreement: np.ndarray


def resample_rows(n: int, resamples: int, share: float, seed: int) -> list[np.ndarray]:
    """Sorted rows of each resample: `share` of the n customers, drawn without replacement, fixed seed."""
    rng = np.random.default_rng(seed)
    size = max(2, int(round(share * n)))
    return [np.sort(rng.choice(n, size=size, replace=False)) for _ in range(resamples)]


def _overlaps(full: np.ndarray, part: np.ndarray, k: int) -> np.ndarray:
    """k x m counts of customers in full persona i and resampled persona j."""
    m = int(part.max()) + 1 if len(part) else 0
    counts = np.zeros((k, max(m, 1)), dtype=np.int64)
    np.add.at(counts, (full, part), 1)
    return counts


def best_jaccard(full: np.ndarray, part: np.ndarray, k: int) -> np.ndarray:
    """Per full persona, its highest Jaccard index with any resampled persona (same customers, two labelings)."""
    both = _overlaps(full, part, k).astype(np.float64)
    union = both.sum(axis=1, keepdims=True) + both.sum(axis=0, keepdims=True) - both
    jaccard = np.divide(both, union, out=np.zeros_like(both), where=union > 0)
    return jaccard.max(axis=1)


def _matched(full: np.ndarray, part: np.ndarray, k: int) -> np.ndarray:
    """The resampled labels renamed to the full personas they overlap most (one to one, Hungarian)."""
    counts = _overlaps(full, part, k)
    rows, cols = linear_sum_assignment(-counts)
    rename = np.full(counts.shape[1], -1, dtype=np.int64)
    rename[cols] = rows
    return rename[part]


def resampled_stability(labels: np.ndarray, k: int, fit: Fit, rows: list[np.ndarray], seed: int) -> Resampled:
    """Fit every resample (seed + its number) and compare it with labels, the partition of all customers."""
    jaccards, structure = [], []
    kept = np.zeros(len(labels))
    drawn = np.zeros(len(labels))
    for number, sample in enumerate(rows):
        part = fit(sample, seed + 1 + number)
        full = labels[sample]
        jaccards.append(best_jaccard(full, part, k))
        structure.append(adjusted_rand_score(full, part))
        kept[sample] += _matched(full, part, k) == full
        drawn[sample] += 1
    jaccard = np.asarray(jaccards)
    return Resampled(
        persona_jaccard=jaccard.mean(axis=0),
        persona_reappears=(jaccard >= REAPPEAR_JACCARD).mean(axis=0),
        structure=float(np.mean(structure)),
        customer_agreement=np.divide(kept, drawn, out=np.ones_like(kept), where=drawn > 0),
    )


def choose_k(scores: dict[int, KScore]) -> int:
    """The largest k whose weakest persona is stable; else the k with the most stable weakest persona."""
    stable = [k for k, s in scores.items() if s.weakest >= STABLE_JACCARD]
    if stable:
        return max(stable)
    return max(scores, key=lambda k: (scores[k].weakest, -k))


def verdict(scores: dict[int, KScore], chosen: int) -> tuple[bool, str]:
    """Whether the chosen structure is unstable, and what the scores of every k say, in words."""
    tried = "; ".join(
        f"k={k}: weakest persona {s.weakest:.2f}, structure {s.stability:.2f}"
        for k, s in sorted(scores.items())
    )
    best = scores[chosen]
    if best.weakest >= STABLE_JACCARD:
        bigger = [k for k in scores if k > chosen]
        why = (
            f" More personas were tried ({', '.join(map(str, bigger))}) and at least one of them did not "
            "reappear."
            if bigger
            else ""
        )
        return False, (
            f"Stable: all {chosen} personas reappear when customers are resampled (weakest mean Jaccard "
            f"{best.weakest:.2f} >= {STABLE_JACCARD}, structure ARI {best.stability:.2f}).{why} Scores: {tried}."
        )
    return True, (
        f"Unstable: for no number of personas did every persona reappear when customers were resampled "
        f"(needed mean Jaccard >= {STABLE_JACCARD}); {chosen} is the least unstable, so treat these personas "
        f"as tentative. Scores: {tried}."
    )
