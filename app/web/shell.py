"""The workspace's home page (``/``): who is signed in, for which organisation, what they can do."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.web.deps import OfficerDep, RegistryDep
from app.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/")
async def home(request: Request, officer: OfficerDep, registry: RegistryDep) -> Response:
    release = registry.release
    return render(
        request,
        "home.html",
        {
            "release_label": release.label,
            "framework_count": len(release.frameworks),
        },
    )
