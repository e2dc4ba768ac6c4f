"""Label issues: training examples whose given labels out-of-fold predictions most likely contradict.

Confident learning, per label (each label is a yes/no question): the confident threshold of "yes" is the mean
out-of-fold probability of the examples labelled yes, that of "no" the mean probability of "no" among the
examples labelled no. An example labelled no whose probability of yes reaches the "yes" threshold (or the
reverse) is a likely label issue, ranked by how far past the threshold it is. Issues are listed for
reviewers, never dropped silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from model.calibration import apply_sigmoid_calibration
from model.schema import Listing
from training.config import TrainConfig
from training.dataset import Example, label_matrix
from training.fit_linear import fit_linear_scorer_with_held_out


@dataclass(frozen=True)
class LabelIssue:
    """One training example whose given value of one label looks wrong."""

    listing_id: str | None
    title: str
    label: str
    given: bool
    probability: float  # out-of-fold probability that the label applies
    margin: float  # how far past the confident threshold; larger = more likely wrong


def out_of_fold_probabilities(config: TrainConfig, examples: list[Example], weights: np.ndarray) -> np.ndarray:
    """Calibrated probabilities of each example from linear models that never saw its seller.

    Columns are the labels. They are the held-out decisions the scorer's calibration is fitted on, calibrated:
    the vocabulary and idf are fitted on all examples (they carry no labels); the weights of each fold's model
    are not.
    """
    scorer, held_out = fit_linear_scorer_with_held_out(config, examples, weights)
    probabilities = apply_sigmoid_calibration(held_out, scorer.calibration_slope, scorer.calibration_intercept)
    return probabilities[:, : len(config.labels)]


def find_label_issues(
    listings: Sequence[Listing], probabilities: np.ndarray, labels: Sequence[str], *, limit: int = 200
) -> list[LabelIssue]:
    """Likely label issues, most likely first, at most ``limit``."""
    target = label_matrix(listings, labels).astype(bool)
    issues: list[LabelIssue] = []
    for column, label in enumerate(labels):
        p, given = probabilities[:, column], target[:, column]
        if given.all() or not given.any():
            continue
        yes_threshold = float(p[given].mean())
        no_threshold = float((1 - p[~given]).mean())
        for row in np.flatnonzero(~given & (p >= yes_threshold)):
            issues.append(_issue(listings[row], label, False, float(p[row]), float(p[row]) - yes_threshold))
        for row in np.flatnonzero(given & (1 - p >= no_threshold)):
            issues.append(_issue(listings[row], label, True, float(p[row]), float(1 - p[row]) - no_threshold))
    issues.sort(key=lambda issue: -issue.margin)
    return issues[:limit]


def _issue(listing: Listing, label: str, given: bool, probability: float, margin: float) -> LabelIssue:
    return LabelIssue(
        listing_id=listing.id,
        title=listing.title,
        label=label,
        given=given,
        probability=round(probability, 4),
        margin=round(margin, 4),
    )
