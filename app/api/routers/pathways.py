"""Stackability pathways (``docs/credit-transfer.md``).

* ``POST /v1/pathways``: held micro-credentials + a target qualification → what is covered,
  what remains, ranked paths to complete it, each step with its evidence;
* ``POST /v1/pathways/stack-into``: held micro-credentials → catalogue programmes they stack
  into, by covered share.

``def`` endpoints (FastAPI's thread pool); the model calls inside are handed to the outcome
engine's single inference thread by the service.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from app.api.deps import SessionDep, TransferDep
from app.api.problems import problem_responses
from app.api.schemas.pathways import (
    PathwayRequest,
    PathwayResponse,
    StackRequest,
    StackResponse,
    held_refs,
    plan_json,
    stack_json,
)
from app.core.errors import DomainError
from app.core.pathways import Objective
from app.services.pathways import PathwayService

router = APIRouter(tags=["pathways"])


async def _service(transfer: TransferDep) -> PathwayService:
    return transfer.pathways


Service = Annotated[PathwayService, Depends(_service)]


@router.post(
    "/v1/pathways",
    response_model=PathwayResponse,
    summary="What held micro-credentials cover of a qualification, and ranked paths to finish it",
    responses=problem_responses(404, 413, 422),
)
def pathways(body: PathwayRequest, session: SessionDep, service: Service) -> dict[str, Any]:
    try:
        answer = service.plan(
            session,
            body.qualification_id,
            held_refs(body.held),
            objective=Objective(body.objective),
            limit=body.limit,
            use_catalogue=body.use_catalogue,
            electives=tuple(body.electives),
        )
    except DomainError as exc:
        if exc.field == "id":  # the catalogue's path-parameter name; here a body member
            exc.field = "/qualification_id"
        raise
    return plan_json(answer)


@router.post(
    "/v1/pathways/stack-into",
    response_model=StackResponse,
    summary="Catalogue qualifications a set of micro-credentials stacks into, by covered share",
    responses=problem_responses(404, 413, 422),
)
def stack_into(body: StackRequest, session: SessionDep, service: Service) -> dict[str, Any]:
    return stack_json(service.stack(session, held_refs(body.held), limit=body.limit))
