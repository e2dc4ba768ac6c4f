"""Routes for the case system: cases (operators linked across pages and platforms), identifier search, listings
the crawler found deleted, a case's review, and its signed evidence bundle.

Identifiers are personal data: they are shown to reviewers and admins only, never logged (the access log names
the route template, not the path), and a malformed one is answered 422 without echoing it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from model.identifiers import IDENTIFIER_KINDS, IdentifierError, parse_identifier
from model.labels import review_labels
from model.schema import MAX_PLATFORM_CHARS
from serving import cases, evidence
from serving.auth import Principal
from serving.case_schemas import (
    CaseDetail,
    CasePage,
    CaseReviewOut,
    GoneIn,
    GoneOut,
    IdentifierListings,
)
from serving.case_setup import LinkerDep
from serving.deps import CrawlerDep, DatabaseDep, ReviewerDep, require
from serving.errors import found
from serving.limits import CaseReviewBody, PageSizeDep
from serving.routes.params import filter_time, invalid_parameter, query_cursor
from serving.schemas import StorableText, error_responses
from serving.storage.cases import CaseCursor, CaseFilter

CaseId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The case's id.")]
AnyRoleDep = Annotated[Principal, Depends(require("crawler", "reviewer"))]
IDENTIFIER_PAGE = 500


KNOWN_LABELS = list(review_labels())
router = APIRouter(tags=["cases"], responses=error_responses(401, 403, 404, 413, 503))


@router.get("/v1/cases", response_model=CasePage)
def list_cases(
    db: DatabaseDep,
    _caller: AnyRoleDep,
    limit: PageSizeDep,
    label: Annotated[str | None, Query(description=f"Cases with a listing flagged {KNOWN_LABELS}.")] = None,
    platform: Annotated[
        StorableText | None,
        Query(max_length=MAX_PLATFORM_CHARS, description="Cases with a listing on this platform."),
    ] = None,
    since: Annotated[datetime | None, Query(description="Cases with a listing seen at or after this time.")] = None,
    until: Annotated[datetime | None, Query(description="Cases first seen before this time.")] = None,
    min_listings: Annotated[int, Query(ge=1, le=1_000_000, description="Fewest listings (1 includes singles).")] = 2,
    max_listings: Annotated[int | None, Query(ge=1, le=1_000_000, description="Most listings.")] = None,
    cursor: Annotated[str | None, Query(max_length=512, description="next_cursor of the previous page.")] = None,
) -> CasePage:
    """Cases (operators with two or more listings by default), highest listing risk first."""
    if label is not None and label not in KNOWN_LABELS:
        raise invalid_parameter("query", "label", f"unknown label: expected one of {KNOWN_LABELS}")
    decoded = query_cursor(CaseCursor.decode, cursor)
    where = CaseFilter(
        label=label,
        platform=platform,
        since=filter_time(since, "since"),
        until=filter_time(until, "until"),
        min_listings=min_listings,
        max_listings=max_listings,
    )
    return cases.load_case_page(db, where, limit=limit, cursor=decoded)


@router.get(
    "/v1/cases/{case_id}", response_model=CaseDetail, responses={307: {"description": "Merged into another case."}}
)
def case_detail(case_id: CaseId, db: DatabaseDep, linker: LinkerDep, caller: AnyRoleDep) -> Response | CaseDetail:
    """A case: its listings with their latest scores, identifiers (reviewers and admins only), timeline.

    A case that has since been merged into another redirects there (307)."""
    detail = cases.load_case(db, linker, case_id, show_identifiers=caller.role != "crawler")
    detail = found(detail, f"no case {case_id}")
    if detail.case_id != case_id:
        return RedirectResponse(f"/v1/cases/{detail.case_id}", status_code=307)
    return detail


@router.get("/v1/identifiers/{kind}/{value}/listings", response_model=IdentifierListings)
def identifier_listings(
    kind: Annotated[str, Path(max_length=16, description=f"One of {list(IDENTIFIER_KINDS)}.")],
    value: Annotated[str, Path(max_length=300, description="A phone number, handle, account number...")],
    db: DatabaseDep,
    linker: LinkerDep,
    _caller: ReviewerDep,
) -> IdentifierListings:
    """Listings (newest first, at most 500) carrying one identifier, each with its case."""
    try:
        canonical = parse_identifier(kind, value)
    except IdentifierError as exc:
        raise invalid_parameter("path", "kind" if kind not in IDENTIFIER_KINDS else "value", str(exc)) from exc
    listings = cases.find_by_identifier(db, linker, kind, canonical, limit=IDENTIFIER_PAGE)
    return found(listings, "no listing carries this identifier")


@router.post("/v1/listings/gone", response_model=GoneOut)
def listings_gone(body: Annotated[GoneIn, Body()], db: DatabaseDep, linker: LinkerDep, caller: CrawlerDep) -> GoneOut:
    """The crawler found these listings deleted: Soi records when (snapshots are kept as evidence)."""
    gone_at = filter_time(body.gone_at, "gone_at", where="body")
    return cases.report_gone(db, linker, body.listings, gone_at=gone_at, reporter=caller.name)


@router.post("/v1/cases/{case_id}/reviews", response_model=CaseReviewOut, status_code=201)
def review_case(
    case_id: CaseId,
    db: DatabaseDep,
    caller: ReviewerDep,
    review: CaseReviewBody,
) -> CaseReviewOut:
    """One label decision for the case's listings (or ``listing_ids`` of them), stored as ordinary reviews."""
    stored = cases.review_case(db, case_id, caller=caller, labels=review.labels, note=review.note,
                               listing_ids=review.listing_ids)  # fmt: skip
    return found(stored, f"no case {case_id}")


@router.get(
    "/v1/cases/{case_id}/evidence",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}, "description": "The signed evidence bundle."}},
)
def case_evidence(case_id: CaseId, db: DatabaseDep, request: Request, _caller: ReviewerDep) -> Response:
    """The case's evidence as one ZIP: snapshots as received and as pages, scores, reviews, a signed manifest."""
    bundle = evidence.build_case_bundle(db, request.app.state.case_linker, request.app.state.evidence_signer, case_id)
    bundle = found(bundle, f"no case {case_id}")
    name = f"soi-vu-viec-{bundle.case_id}.zip"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(content=bundle.data, media_type="application/zip", headers=headers)
