"""Setting cases up in an app: the identifier key and evidence key (``serving.secrets``), the case linker that
scoring calls at ingest, and the evidence signer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request

from model.labels import review_labels
from serving.case_linker import CaseLinker
from serving.evidence import EvidenceSigner
from serving.secrets import resolve_secret
from serving.settings import Settings


def build_linker(settings: Settings) -> CaseLinker:
    """The case linker for these settings (resolving the identifier key)."""
    key = resolve_secret(settings, "identifier_key")
    return CaseLinker(
        identifier_key=key.encode("utf-8"), max_sellers=settings.identifier_max_sellers, labels=tuple(review_labels())
    )


def install_cases(app: FastAPI, settings: Settings) -> None:
    """Resolve the keys (refusing to start where one is missing and cannot be generated) and build the linker."""
    app.state.case_linker = build_linker(settings)
    app.state.evidence_signer = EvidenceSigner(resolve_secret(settings, "evidence_key"))


def ingest_linker(state: Any) -> CaseLinker | None:
    """The linker scoring uses at ingest from an app's ``state``, or None when linking is turned off
    (``SOI_LINKING=0``)."""
    return state.case_linker if state.settings.linking else None


async def get_linker(request: Request) -> CaseLinker:
    """The app's case linker (identifier key, thresholds), whether or not ingest links."""
    return request.app.state.case_linker


LinkerDep = Annotated[CaseLinker, Depends(get_linker)]
