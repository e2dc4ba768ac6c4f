"""The Predictor: an artifact folder loaded once, scoring listings into contract ``Score`` objects.

An artifact folder always holds the linear scorer; it may also hold the transformer (ONNX) and the ensemble.
The model card's ``scorer`` names the one whose probabilities are served. Reasons always come from the linear
scorer's term contributions, so reviewers see evidence whichever scorer is served. Serving imports neither
torch nor transformers: the transformer runs in onnxruntime (``model.transformer_scorer``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from model.artifact import SCORER_KINDS, ModelCard, load_card, resolve_model_dir
from model.ensemble import Ensemble
from model.errors import ArtifactError
from model.folding import fold_diacritics
from model.linear import ANY_OUTPUT, LinearScorer
from model.priority import PriorityCutoffs
from model.reading import ListingReading
from model.reasons import build_reasons
from model.schema import Listing, Reason, Score
from model.text_views import TextViews
from model.transformer_scorer import TransformerScorer

MAX_REASONS = 8
# Reading is linear in the text (tests/model/test_linear_time.py), so its cost is bounded by a cost per character:
# the slowest hostile text `make bench-hostile` found costs 3.8–4.4 ms per 1,000 characters (every label explained)
# on the 2-core reference machine while other jobs loaded it. A reading budget of B milliseconds therefore reads at
# most B × READ_CHARS_PER_MS characters (5 ms per 1,000, for margin). A character budget, not a stopwatch: a
# listing is read the same way on every machine and under any load, so its score does not depend on how busy the
# server was.
READ_CHARS_PER_MS = 200
READ_TRUNCATED = "read_truncated"
# Feature blocks that make readable evidence: word n-grams, word segments, metadata (not character n-grams).
EXPLAINED_KINDS = frozenset({"words", "segments", "metadata", "signals"})


def order_reasons(reasons: list[Reason]) -> list[Reason]:
    """Lexicon matches (with their legal basis) first, then the price against its reference, other terms, and
    metadata signals: what a reviewer can check comes before words the model merely learned ("max", "seal").

    Strongest first within each group; a term already shown as a lexicon match is not repeated as a plain
    n-gram ("esse" after “Esse”), and at most ``MAX_REASONS`` are kept.
    """

    def group(reason: Reason) -> int:
        if reason.kind == "term":
            return 0 if reason.normalized else 2
        return 1 if reason.kind == "price" else 3

    ordered: list[Reason] = []
    seen: set[str] = set()
    for reason in sorted(reasons, key=lambda r: (group(r), -r.weight)):
        key = fold_diacritics(reason.normalized or reason.evidence).lower()
        if key in seen or (group(reason) == 2 and any(key in shown or shown in key for shown in seen)):
            continue
        seen.add(key)
        ordered.append(reason)
    return ordered[:MAX_REASONS]


@dataclass
class Predictor:
    """Scores listings with one trained model; safe to share between threads (read-only)."""

    version: str
    linear: LinearScorer  # always loaded: it reads every listing, and its weights explain the score
    thresholds: dict[str, float]
    cutoffs: PriorityCutoffs
    card: ModelCard
    model_dir: Path
    transformer: TransformerScorer | None = None
    ensemble: Ensemble | None = None
    served: str = "linear"  # which scorer's probabilities are served: linear, transformer or ensemble
    max_read_ms: float | None = None  # the reading budget per listing (SOI_MAX_READ_MS); None: read it all

    @property
    def labels(self) -> tuple[str, ...]:
        """The labels this model predicts."""
        return self.linear.labels

    @property
    def available_scorers(self) -> tuple[str, ...]:
        """The scorers this artifact can serve (``linear`` always; ``transformer``, ``ensemble`` if trained)."""
        return tuple(self.card.scorers)

    @classmethod
    def load(
        cls, path: Path | str, *, served: str | None = None, quantized: bool = True, threads: int | None = None
    ) -> Predictor:
        """Load from an artifact folder, or from a models folder's ``current`` link.

        ``served`` overrides the card's served scorer (evaluation and benchmarks compare them);
        ``quantized=False`` runs the fp32 ONNX model instead of the int8 one; ``threads``: onnxruntime's threads
        (default ``transformer_scorer.onnx_threads()``).
        """
        model_dir = resolve_model_dir(Path(path))
        card = load_card(model_dir)
        served = served or card.scorer
        if served not in SCORER_KINDS:
            raise ArtifactError(f"{model_dir}: expected scorer one of {list(SCORER_KINDS)}, found {served!r}")
        if served not in card.scorers:
            raise ArtifactError(f"{model_dir}: expected a trained {served!r} scorer, found only {list(card.scorers)}")
        linear = LinearScorer.load(model_dir)
        transformer = ensemble = None
        if served != "linear":
            transformer = TransformerScorer.load(model_dir, quantized=quantized, threads=threads)
        if served == "ensemble":
            ensemble = Ensemble.load(model_dir)
        thresholds = card.scorers[served].thresholds
        return cls(
            version=card.version,
            linear=linear,
            thresholds={label: float(thresholds[label]) for label in linear.labels},
            cutoffs=PriorityCutoffs(high=card.priority_cutoffs.high, medium=card.priority_cutoffs.medium),
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
        if self.served == "ensemble":
            assert self.ensemble is not None
            labels = self._cascade(listings, views, linear[:, : len(self.labels)])
        else:
            labels = self.transformer.predict_proba(listings, views)
        # "any" of a scorer without its own any-output: the likeliest label (the risk is never below it)
        return np.hstack([labels, labels.max(axis=1, keepdims=True)])

    def _cascade(self, listings: Sequence[Listing], views: Sequence[TextViews], linear: np.ndarray) -> np.ndarray:
        """The ensemble's probabilities, the transformer reading only the listings the linear scorer is unsure of."""
        assert self.transformer is not None and self.ensemble is not None
        needed = self.ensemble.needs_transformer(linear)
        rows = np.flatnonzero(needed)
        transformer = (
            self.transformer.predict_proba([listings[i] for i in rows], [views[i] for i in rows]) if rows.size else None
        )
        return self.ensemble.cascade(linear, transformer if transformer is not None else linear[:0], needed)

    def predict_proba(self, listings: Sequence[Listing], views: Sequence[TextViews] | None = None) -> np.ndarray:
        """Calibrated probabilities, columns = labels then ``any`` (for evaluation); ``views`` if already read."""
        views = self.linear.build_views(listings) if views is None else views
        linear = self.linear.predict_proba(self.linear.transform(listings, views))
        return self._probabilities(listings, views, linear)

    def predict_proba_by_scorer(self, listings: Sequence[Listing]) -> dict[str, np.ndarray]:
        """Label probabilities of every scorer this predictor has loaded, reading each listing once.

        Load with ``served="ensemble"`` to get all three (evaluation and benchmarks compare them).
        """
        labels = len(self.labels)
        views = self.linear.build_views(listings)
        linear = self.linear.predict_proba(self.linear.transform(listings, views))[:, :labels]
        result = {"linear": linear}
        if self.transformer is not None:
            result["transformer"] = self.transformer.predict_proba(listings, views)
            if self.ensemble is not None:
                needed = self.ensemble.needs_transformer(linear)
                result["ensemble"] = self.ensemble.cascade(linear, result["transformer"][needed], needed)
        return result

    @property
    def read_limit_chars(self) -> int | None:
        """The most characters of one listing's text the reading budget allows (None: no budget)."""
        return None if self.max_read_ms is None else max(int(self.max_read_ms * READ_CHARS_PER_MS), 1)

    def within_budget(self, listing: Listing) -> tuple[Listing, bool]:
        """(the listing as it will be read, whether it was cut to fit the reading budget).

        The model reads the title, brand, category and the first ``max_description_chars`` of the description;
        when they add up to more than ``read_limit_chars``, the budget goes to them in that order and the rest
        is cut, so a listing that would take longer than its budget never does. ``score`` reads the text of the
        cut listing and the metadata of the whole one.
        """
        limit = self.read_limit_chars
        if limit is None:  # no budget (the default): nothing is cut, so the text need not be measured
            return listing, False
        description = listing.description
        if description is not None:
            description = description[: self.linear.text_config.max_description_chars]
        parts = {"title": listing.title, "brand": listing.brand, "category": listing.category}
        parts["description"] = description
        if sum(len(text or "") for text in parts.values()) <= limit:
            return listing, False
        cut: dict[str, str | None] = {}
        for name, text in parts.items():
            cut[name] = None if text is None else text[:limit]
            limit -= len(cut[name] or "")
        cut["title"] = cut["title"] or listing.title[:1]  # a listing always has a title
        return listing.model_copy(update=cut), True

    def warm_up(self) -> None:
        """Score one listing: a model that loads but cannot score fails here, before it is served."""
        self.score([Listing(title="Bóng cười bình 8L giá 350k, ib zalo 0912 345 678", price=350_000.0)])

    def score(self, listings: Sequence[Listing], *, with_reasons: bool = True) -> list[Score]:
        """Score listings in one vectorised pass; results are in input order.

        A listing longer than the reading budget allows is read on its beginning only (``within_budget``); its
        score says so (``read_truncated`` and a reason).
        """
        if not listings:
            return []
        read = [self.within_budget(listing) for listing in listings]
        truncated = [cut for _listing, cut in read]
        # only the text is read on a budget: the metadata (price, seller, counts...) is the listing's own
        views = self.linear.build_views([listing for listing, _cut in read])
        readings = self.linear.read(listings, views)  # the evidence, read once for the features and the reasons
        features = self.linear.transform(listings, views, readings=readings)
        probabilities = self._probabilities(listings, views, self.linear.predict_proba(features))
        return self._scores(listings, probabilities, features, readings, truncated, with_reasons=with_reasons)

    def _scores(
        self,
        listings: Sequence[Listing],
        probabilities: np.ndarray,
        features: sp.csr_matrix,
        readings: Sequence[ListingReading],
        truncated: Sequence[bool],
        *,
        with_reasons: bool,
    ) -> list[Score]:
        """The ``Score`` of each listing from its row of probabilities, explained by its row of features.

        The probabilities are read as Python floats in one call (``tolist``), not one numpy scalar at a time.
        """
        labels = self.linear.labels
        any_index = self.linear.outputs.index(ANY_OUTPUT)
        scores = []
        for row_index, (listing, row) in enumerate(zip(listings, probabilities.tolist(), strict=True)):
            per_label = dict(zip(labels, row[: len(labels)], strict=True))  # the labels' columns, then ``any``
            # risk is "at least one label"; it can never be less likely than the likeliest single label
            risk = float(max(row[any_index], max(per_label.values())))
            flagged = [label for label in labels if per_label[label] >= self.thresholds[label]]
            priority = self.cutoffs.priority(risk)
            reasons: list[Reason] = []
            if with_reasons and (flagged or priority != "low"):
                # explain what was flagged, or else the likeliest label of a listing still worth a look
                explain = flagged or [max(per_label, key=per_label.__getitem__)]
                for label in explain:
                    contributions = self.linear.contributions(
                        features, row_index, labels.index(label), kinds=EXPLAINED_KINDS
                    )
                    reasons += build_reasons(contributions, label=label, reading=readings[row_index])
                reasons = order_reasons(reasons)
            if truncated[row_index]:
                reasons.append(self._truncation_reason())
            scores.append(
                Score(
                    listing_id=listing.id,
                    model_version=self.version,
                    risk=round(risk, 6),
                    probabilities={label: round(p, 6) for label, p in per_label.items()},
                    flagged=flagged,
                    priority=priority,
                    reasons=reasons,
                    read_truncated=truncated[row_index],
                )
            )
        return scores

    def _truncation_reason(self) -> Reason:
        """The note that a listing was read on its beginning only (kept after the evidence, never cut)."""
        return Reason(
            kind="metadata",
            evidence=READ_TRUNCATED,
            weight=0.0,
            text=f"Tin đăng quá dài: chỉ đọc {self.read_limit_chars} ký tự đầu (tiêu đề, thương hiệu, danh mục, "
            "mô tả) trong giới hạn thời gian đọc; phần sau không được xét.",
        )
