"""Admin routes: API keys (create, list, revoke) and reloading the model without a restart (``serving.reloads``)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from model.errors import ArtifactError
from serving.deps import AdminDep, DatabaseDep
from serving.errors import Conflict, NotFound
from serving.schemas import ApiKeyCreated, ApiKeyIn, ApiKeyOut, ReloadResult, error_responses
from serving.storage.api_keys import create_api_key, list_api_keys, revoke_api_key
from serving.storage.models import ApiKeyRow, utc_now

log = logging.getLogger("soi.serving")
router = APIRouter(tags=["admin"], responses=error_responses(401, 403, 404, 409, 413, 503))


def _key_out(row: ApiKeyRow) -> ApiKeyOut:
    return ApiKeyOut(
        key_id=row.id,
        name=row.name,
        role=row.role,  # type: ignore[arg-type]
        prefix=row.prefix,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


@router.post("/v1/admin/reload", response_model=ReloadResult)
def reload(request: Request, caller: AdminDep) -> ReloadResult:
    """Serve the model that ``current`` points to now, in every worker and replica (they follow within
    ``SOI_RELOAD_POLL_S`` seconds); 409, with the old model kept, if it cannot be loaded."""
    follower = request.app.state.model_follower
    try:
        new, old = follower.reload()
    except ArtifactError as exc:
        log.error("model reload failed, still serving the old model: %s", exc)
        raise Conflict(f"model not reloaded, the old one is still served: {exc}") from exc
    follower.announce(new.version, caller.name)
    log.info("model reloaded by %s: %s -> %s", caller.name, old.version if old else None, new.version)
    return ReloadResult(model_version=new.version, previous_version=old.version if old else None)


@router.post("/v1/admin/keys", response_model=ApiKeyCreated, status_code=201)
def create_key(body: ApiKeyIn, db: DatabaseDep, caller: AdminDep) -> ApiKeyCreated:
    """Create a key; the key itself is in this answer only."""
    with db.write() as session:
        row, key = create_api_key(session, role=body.role, name=body.name, now=utc_now())
        created = ApiKeyCreated(**_key_out(row).model_dump(), key=key)
    log.info("api key %d (%s, %s) created by %s", row.id, body.role, body.name, caller.name)
    return created


@router.get("/v1/admin/keys", response_model=list[ApiKeyOut])
def list_keys(db: DatabaseDep, _caller: AdminDep) -> list[ApiKeyOut]:
    """Every key's record, revoked ones included."""
    with db.read() as session:
        return [_key_out(row) for row in list_api_keys(session)]


@router.delete("/v1/admin/keys/{key_id}", status_code=204, response_class=Response)
def revoke_key(
    key_id: Annotated[int, Path(ge=1, le=2**63 - 1)], request: Request, db: DatabaseDep, caller: AdminDep
) -> Response:
    """Revoke a key (kept on record). Other workers stop trusting it within ``SOI_AUTH_CACHE_S`` seconds."""
    with db.write() as session:
        if revoke_api_key(session, key_id, now=utc_now()) is None:
            raise NotFound(f"no key {key_id}")
    request.app.state.key_cache.clear()
    log.info("api key %d revoked by %s", key_id, caller.name)
    return Response(status_code=204)
