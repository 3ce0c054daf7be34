"""Credit systems and conversion (issue: credit transfer)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from app.api.problems import problem_responses
from app.api.schemas.credits import (
    ConvertRequest,
    ConvertResponse,
    SystemOut,
    SystemsResponse,
    conversion_out,
)
from app.core.credits import CreditSystems, convert
from app.core.errors import InvalidInput

router = APIRouter(tags=["credits"])


def _systems(request: Request) -> CreditSystems:
    systems: CreditSystems = request.app.state.credit_systems
    return systems


@router.get("/v1/credits/systems", response_model=SystemsResponse, summary="Credit systems")
def list_systems(request: Request) -> SystemsResponse:
    systems = _systems(request)
    return SystemsResponse(
        items=[SystemOut.of(s) for s in systems.systems.values()],
        credit_systems_version=systems.version,
    )


@router.post(
    "/v1/credits/convert",
    response_model=ConvertResponse,
    summary="Convert credits between systems: a range, the rule and its source",
    responses=problem_responses(404, 422),
)
def convert_credits(body: ConvertRequest, request: Request) -> ConvertResponse:
    systems = _systems(request)
    targets = [body.to] if isinstance(body.to, str) else body.to
    if not targets or len(targets) > 10:
        raise InvalidInput("/to", "give one target system or a list of 1 to 10")
    return ConvertResponse(
        conversions=[
            conversion_out(convert(systems, body.value, body.from_, target)) for target in targets
        ],
        credit_systems_version=systems.version,
    )
