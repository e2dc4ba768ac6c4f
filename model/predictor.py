"""The Predictor: an artifact folder loaded once, scoring listings into contract ``Score`` objects.

An artifact folder always holds the linear scorer; it may also hold the transformer (ONNX) and the ensemble.
The model card's ``scorer`` names the one whose probabilities are served. Reasons always come from the linear
scorer's term contributions, so reviewers see evidence whichever scorer is served. Serving imports neither
torch nor transformers: the transformer runs in onnxruntime (``model.onnx_scorer``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from model.artifact import SCORER_KINDS, load_card, resolve_model_dir
from model.ensemble import Ensemble
from model.errors import ArtifactError
from model.features import TextViews
from model.linear import ANY_OUTPUT, LinearScorer
from model.onnx_scorer import TransformerScorer
from model.reasons import build_reasons, build_signal_reasons
from model.schema import Listing, Priority, Reason, Score
from model.text import fold_diacritics

MAX_REASONS = 8
# Feature blocks that make readable evidence: word n-grams, word segments, metadata (not character n-grams).
EXPLAINED_KINDS = frozenset({"words", "segments", "metadata", "signals"})


def order_reasons(reasons: list[Reason]) -> list[Reason]:
    """Lexicon matches (with their legal basis) first, then other terms, price, and metadata signals.

    Strongest first within each group; a term already shown as a lexicon match is not repeated as a plain
    n-gram ("esse" after “Esse”), and at most ``MAX_REASONS`` are kept.
    """

    def group(reason: Reason) -> int:
        if reason.kind == "term":
            return 0 if reason.normalized else 1
        return 2 if reason.kind == "price" else 3

    ordered: list[Reason] = []
    seen: set[str] = set()
    for reason in sorted(reasons, key=lambda r: (group(r), -r.weight)):
        key = fold_diacritics(reason.normalized or reason.evidence).lower()
        if key in seen or (group(reason) == 1 and any(key in shown or shown in key for shown in seen)):
            continue
        seen.add(key)
        ordered.append(reason)
    return ordered[:MAX_REASONS]


@dataclass(frozen=True)
class PriorityCutoffs:
    """Risk at or above ``high`` is high priority, at or above ``medium`` medium, else low."""

    high: float = 0.8
    medium: float = 0.4

    def priority(self, risk: float) -> Priority:
        """The priority of a calibrated risk."""
        if risk >= self.high:
            return "high"
        return "medium" if risk >= self.medium else "low"


@dataclass
class Predictor:
    """Scores listings with one trained model; safe to share between threads (read-only)."""

    version: str
    scorer: LinearScorer
    thresholds: dict[str, float]
    cutoffs: PriorityCutoffs
    card: dict[str, Any]
    model_dir: Path
    transformer: TransformerScorer | None = None
    ensemble: Ensemble | None = None
    served: str = "linear"  # which scorer's probabilities are served: linear, transformer or ensemble

    @property
    def labels(self) -> tuple[str, ...]:
        """The labels this model predicts."""
        return self.scorer.labels

    @property
    def available_scorers(self) -> tuple[str, ...]:
        """The scorers this artifact can serve (``linear`` always; ``transformer``, ``ensemble`` if trained)."""
        return tuple(self.card.get("scorers", {"linear": {}}))

    @classmethod
    def load(cls, path: Path | str, *, scorer: str | None = None, quantized: bool = True) -> Predictor:
        """Load from an artifact folder, or from a models folder's ``current`` link.

        ``scorer`` overrides the card's served scorer (evaluation and benchmarks compare them);
        ``quantized=False`` runs the fp32 ONNX model instead of the int8 one.
        """
        model_dir = resolve_model_dir(Path(path))
        card = load_card(model_dir)
        served = scorer or card.get("scorer")
        if served not in SCORER_KINDS:
            raise ArtifactError(f"{model_dir}: expected scorer one of {list(SCORER_KINDS)}, found {served!r}")
        per_scorer = card.get("scorers", {"linear": {"thresholds": card["thresholds"]}})
        if served not in per_scorer:
            raise ArtifactError(f"{model_dir}: expected a trained {served!r} scorer, found only {list(per_scorer)}")
        linear = LinearScorer.load(model_dir)
        transformer = ensemble = None
        if served != "linear":
            transformer = TransformerScorer.load(model_dir, quantized=quantized)
        if served == "ensemble":
            ensemble = Ensemble.load(model_dir)
        thresholds = per_scorer[served].get("thresholds", card["thresholds"])
        return cls(
            version=card["version"],
            scorer=linear,
            thresholds={label: float(thresholds[label]) for label in linear.labels},
            cutoffs=PriorityCutoffs(**card["priority_cutoffs"]),
            card=card,
            model_dir=model_dir,
            transformer=transformer,
            ensemble=ensemble,
            served=served,
        )

    def _probabilities(self, listings: Sequence[Listing], views: Sequence[TextViews], linear: np.ndarray) -> np.ndarray:
        """Served probabilities, columns = labels then ``any``, from the linear ones and (if needed) the transformer."""
        if self.served == "linear":
            return linear
        assert self.transformer is not None  # load() loads it for every other scorer
        labels = self.transformer.predict_proba(listings, views)
        if self.served == "ensemble":
            assert self.ensemble is not None
            labels = self.ensemble.predict_proba(linear[:, : len(self.labels)], labels)
        # "any" of a scorer without its own any-output: the likeliest label (the risk is never below it)
        return np.hstack([labels, labels.max(axis=1, keepdims=True)])

    def predict_proba(self, listings: Sequence[Listing], views: Sequence[TextViews] | None = None) -> np.ndarray:
        """Calibrated probabilities, columns = labels then ``any`` (for evaluation); ``views`` if already read."""
        views = self.scorer.build_views(listings) if views is None else views
        linear = self.scorer.predict_proba(self.scorer.transform(listings, views))
        return self._probabilities(listings, views, linear)

    def predict_proba_by_scorer(self, listings: Sequence[Listing]) -> dict[str, np.ndarray]:
        """Label probabilities of every scorer this predictor has loaded, reading each listing once.

        Load with ``scorer="ensemble"`` to get all three (evaluation and benchmarks compare them).
        """
        labels = len(self.labels)
        views = self.scorer.build_views(listings)
        linear = self.scorer.predict_proba(self.scorer.transform(listings, views))[:, :labels]
        result = {"linear": linear}
        if self.transformer is not None:
            result["transformer"] = self.transformer.predict_proba(listings, views)
            if self.ensemble is not None:
                result["ensemble"] = self.ensemble.predict_proba(linear, result["transformer"])
        return result

    def score(self, listings: Sequence[Listing], *, with_reasons: bool = True) -> list[Score]:
        """Score listings in one vectorised pass; results are in input order."""
        if not listings:
            return []
        views = self.scorer.build_views(listings)
        features = self.scorer.transform(listings, views)
        probabilities = self._probabilities(listings, views, self.scorer.predict_proba(features))
        labels = self.scorer.labels
        any_index = self.scorer.outputs.index(ANY_OUTPUT)
        scores = []
        for row_index, listing in enumerate(listings):
            row = probabilities[row_index]
            per_label = {label: float(row[i]) for i, label in enumerate(labels)}
            # risk is "at least one label"; it can never be less likely than the likeliest single label
            risk = float(max(row[any_index], max(per_label.values())))
            flagged = [label for label in labels if per_label[label] >= self.thresholds[label]]
            priority = self.cutoffs.priority(risk)
            reasons: list[Reason] = []
            if with_reasons and (flagged or priority != "low"):
                # explain what was flagged, or else the likeliest label of a listing still worth a look
                explain = flagged or [max(per_label, key=per_label.__getitem__)]
                for label in explain:
                    contributions = self.scorer.contributions(
                        features, row_index, labels.index(label), kinds=EXPLAINED_KINDS
                    )
                    reasons += build_reasons(contributions, label=label, listing=listing)
                    reasons += build_signal_reasons(
                        contributions,
                        label=label,
                        listing=listing,
                        views=views[row_index],
                        price_reference=self.scorer.price_reference,
                    )
                reasons = order_reasons(reasons)
            scores.append(
                Score(
                    listing_id=listing.id,
                    model_version=self.version,
                    risk=round(risk, 6),
                    probabilities={label: round(p, 6) for label, p in per_label.items()},
                    flagged=flagged,
                    priority=priority,
                    reasons=reasons,
                )
            )
        return scores
