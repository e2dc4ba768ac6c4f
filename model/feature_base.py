"""The types a feature is made of: ``Feature`` (a named column: how it is computed, how it explains itself),
its ``Explanation`` (the base class; the kinds are in ``model.explanations``) and ``Contribution`` (what a
feature added to one output's score for one listing). The registries are ``model.features.signal_features()``
and ``model.metadata_features.METADATA_FEATURES``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar

from model.reading import ListingReading
from model.schema import Reason


@dataclass(frozen=True)
class Explanation:
    """What a feature says when it raises the score. The base class says nothing (see ``Silent``).

    ``combined``: the features that share this explanation give one reason together, weighted by the sum of
    their contributions (the price features: one price reason, not one per feature).
    """

    combined = False

    def reasons(self, contribution: Contribution, reading: ListingReading) -> list[Reason]:
        """The reasons of the feature's ``contribution`` (> 0) to a label's score."""
        return []


T = TypeVar("T")


@dataclass(frozen=True)
class Feature(Generic[T]):
    """One named column of the feature matrix: how it is computed from its input and how it explains itself.

    Metadata features read a ``Listing``, signal features a ``ListingReading``. The names and values of the
    feature vectors come from the registries below, so they cannot fall out of step.
    """

    name: str
    compute: Callable[[T], float]
    explanation: Explanation


class Contribution(NamedTuple):
    """What one feature added to one output's linear score for one listing (``value`` × its weight).

    A named tuple, not a frozen dataclass: as immutable, and made about three times faster (in C, not by
    ``object.__setattr__`` per field); an explained label makes up to 30 of them.
    """

    kind: str  # the feature block: words, segments, chars, surface_chars, metadata or signals
    name: str  # the feature's name (an n-gram for the text blocks)
    value: float  # the feature's value as the scorer saw it (metadata standardised)
    weight: float  # the contribution to the decision function: value × weight
    label: str  # the output explained
    feature: Feature[Any] | None = None  # the registry feature (metadata and signals), None for n-grams

    @property
    def rounded(self) -> float:
        """The contribution as a reason reports it."""
        return round(self.weight, 4)

    def plus(self, weight: float) -> Contribution:
        """This contribution with ``weight`` added: features sharing one reason are weighed together."""
        return self._replace(weight=self.weight + weight)
