"""Review priority from calibrated risk: the cut-offs, their defaults (the one place they are written) and the rule."""

from __future__ import annotations

from dataclasses import dataclass

from model.schema import Priority


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


# What training writes into a model card unless its config says otherwise (training.config.TrainConfig).
DEFAULT_CUTOFFS = PriorityCutoffs()
