"""Every router of the API, in the order they appear in the OpenAPI document.

To add a router: create ``app/api/routers/<noun>.py`` with a module-level ``router`` and add it
to ``ROUTERS`` below.
"""

from __future__ import annotations

from fastapi import APIRouter

from app.api.routers import (
    admin,
    articulation,
    catalogue,
    credentials,
    credits,
    exports,
    frameworks,
    meta,
    outcomes,
    pathways,
    recognitions,
)

ROUTERS: list[APIRouter] = [
    meta.router,
    frameworks.router,
    credits.router,
    outcomes.router,
    credentials.router,
    catalogue.router,
    recognitions.router,
    articulation.router,
    pathways.router,
    exports.router,
    admin.router,
]
