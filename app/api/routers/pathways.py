"""Stackability pathways (``docs/credit-transfer.md``).

* ``POST /v1/pathways``: held micro-credentials + a target qualification → what is covered,
  what remains, ranked paths to complete it, each step with its evidence;
* ``POST /v1/pathways/stack-into``: held micro-credentials → catalogue programmes they stack
  into, by covered share.

``def`` endpoints (FastAPI's thread pool); the model calls inside are handed to the outcome
engine's single inference thread by the service.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from app.api.deps import SessionDep
from app.api.problems import problem_responses
from app.api.routers.articulation import articulation_service
from app.api.schemas.pathways import (
    PathwayRequest,
    PathwayResponse,
    StackRequest,
    StackResponse,
    held_refs,
)
from app.core.errors import DomainError
from app.core.pathways import Objective
from app.services.pathways import PathwayService, build_pathway_service

router = APIRouter(tags=["pathways"])
_BUILD_LOCK = threading.Lock()


def _service(request: Request) -> PathwayService:
    app = request.app
    service: PathwayService | None = getattr(app.state, "pathways", None)
    if service is None:
        with _BUILD_LOCK:
            service = getattr(app.state, "pathways", None)
            if service is None:
                service = build_pathway_service(app.state, articulation_service(app))
                app.state.pathways = service
    return service


Service = Annotated[PathwayService, Depends(_service)]


@router.post(
    "/v1/pathways",
    response_model=PathwayResponse,
    summary="What held micro-credentials cover of a qualification, and ranked paths to finish it",
    responses=problem_responses(404, 413, 422),
)
def pathways(body: PathwayRequest, session: SessionDep, service: Service) -> dict[str, Any]:
    try:
        return service.plan(
            session,
            body.qualification_id,
            held_refs(body.held),
            objective=Objective(body.objective),
            limit=body.limit,
            use_catalogue=body.use_catalogue,
        )
    except DomainError as exc:
        if exc.field == "id":  # the catalogue's path-parameter name; here a body member
            exc.field = "/qualification_id"
        raise


@router.post(
    "/v1/pathways/stack-into",
    response_model=StackResponse,
    summary="Catalogue qualifications a set of micro-credentials stacks into, by covered share",
    responses=problem_responses(404, 413, 422),
)
def stack_into(body: StackRequest, session: SessionDep, service: Service) -> dict[str, Any]:
    return service.stack(session, held_refs(body.held), limit=body.limit)
