"""Health and version endpoints."""

from __future__ import annotations

from fastapi import APIRouter, Request

from app import __version__
from app.api.deps import RegistryDep
from app.api.schemas.frameworks import DataReleaseOut, MetaResponse

router = APIRouter(tags=["meta"])


@router.get("/healthz", summary="Liveness and readiness")
def healthz(registry: RegistryDep) -> dict[str, str]:
    return {"status": "ok", "data_release": registry.release.label}


@router.get("/v1/meta", response_model=MetaResponse, summary="Versions of app, data and schema")
def meta(request: Request, registry: RegistryDep) -> MetaResponse:
    release = registry.release
    scale = release.confidence_scale
    return MetaResponse(
        app_version=__version__,
        data_release=DataReleaseOut.of(release),
        schema_revision=list(getattr(request.app.state, "schema_revisions", ())),
        framework_count=len(release.frameworks),
        framework_versions={fid: f.version for fid, f in sorted(release.frameworks.items())},
        confidence_scale={
            "version": scale.version,
            "high": scale.high,
            "medium": scale.medium,
            "low": scale.low,
        },
    )
