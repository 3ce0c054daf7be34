"""The access table: what each operation needs, in one place (issue 12).

Every operation of the API is listed here as ``(method, path template) → Rule(group,
permission)``. The authorisation dependency (``app/api/auth.py``) looks the current route up;
an operation missing from the table needs :attr:`Permission.ADMIN` (closed by default), and a test
checks the table and the routes agree both ways.

``group`` is what an operator names in ``PASSERELLE_AUTH__PUBLIC`` to open a group to anonymous
callers; only groups over shared reference data or stateless analysis may be opened (see
``app.settings.PUBLIC_GROUPS``). ``docs`` (JSON Schemas of input formats) is always public, like
``/docs`` and ``/openapi.json``.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.identity import Permission as P


@dataclass(frozen=True, slots=True)
class Rule:
    group: str
    permission: P


ALWAYS_PUBLIC = frozenset({"docs"})

RULES: dict[tuple[str, str], Rule] = {
    # shared reference data
    ("GET", "/healthz"): Rule("meta", P.REFERENCE_READ),
    ("GET", "/v1/meta"): Rule("meta", P.REFERENCE_READ),
    ("GET", "/v1/frameworks"): Rule("frameworks", P.REFERENCE_READ),
    ("GET", "/v1/frameworks/{framework}"): Rule("frameworks", P.REFERENCE_READ),
    ("GET", "/v1/frameworks/{framework}/levels/{code}"): Rule("frameworks", P.REFERENCE_READ),
    ("GET", "/v1/levels/{identifier}"): Rule("frameworks", P.REFERENCE_READ),
    ("GET", "/v1/qualification-types"): Rule("frameworks", P.REFERENCE_READ),
    ("GET", "/v1/compare"): Rule("comparison", P.REFERENCE_READ),
    ("GET", "/v1/compare/matrix"): Rule("comparison", P.REFERENCE_READ),
    ("GET", "/v1/exports/frameworks"): Rule("frameworks", P.REFERENCE_READ),
    ("GET", "/v1/exports/frameworks/{framework}"): Rule("frameworks", P.REFERENCE_READ),
    ("GET", "/v1/exports/alignment-map"): Rule("comparison", P.REFERENCE_READ),
    ("GET", "/v1/exports/compare"): Rule("comparison", P.REFERENCE_READ),
    ("GET", "/v1/credits/systems"): Rule("credits", P.REFERENCE_READ),
    ("POST", "/v1/credits/convert"): Rule("credits", P.REFERENCE_READ),
    ("GET", "/v1/credential-formats/plain/schema"): Rule("docs", P.REFERENCE_READ),
    ("GET", "/v1/qualification-formats/catalogue/schema"): Rule("docs", P.REFERENCE_READ),
    # stateless analysis (no organisation data, but model time: not public by default)
    ("POST", "/v1/outcomes/skills"): Rule("outcomes", P.COMPUTE),
    ("POST", "/v1/outcomes/level"): Rule("outcomes", P.COMPUTE),
    ("POST", "/v1/outcomes/align"): Rule("outcomes", P.COMPUTE),
    ("POST", "/v1/credentials/validate"): Rule("credentials", P.COMPUTE),
    # organisation data
    ("POST", "/v1/credentials"): Rule("credentials", P.CREDENTIAL_WRITE),
    ("POST", "/v1/credentials/bulk"): Rule("credentials", P.CREDENTIAL_WRITE),
    ("GET", "/v1/credentials"): Rule("credentials", P.TENANT_READ),
    ("GET", "/v1/credentials/{credential_id}"): Rule("credentials", P.TENANT_READ),
    ("GET", "/v1/credentials/{credential_id}/original"): Rule("credentials", P.PERSONAL_READ),
    ("POST", "/v1/qualifications"): Rule("catalogue", P.CATALOGUE_WRITE),
    ("POST", "/v1/qualifications/loq"): Rule("catalogue", P.CATALOGUE_WRITE),
    ("GET", "/v1/qualifications"): Rule("catalogue", P.TENANT_READ),
    ("GET", "/v1/qualifications/{programme_id}"): Rule("catalogue", P.TENANT_READ),
    ("GET", "/v1/qualifications/{programme_id}/modules"): Rule("catalogue", P.TENANT_READ),
    ("POST", "/v1/recognitions"): Rule("recognition", P.RECOMMEND),
    ("GET", "/v1/recognitions"): Rule("recognition", P.TENANT_READ),
    ("GET", "/v1/recognitions/{record_id}"): Rule("recognition", P.TENANT_READ),
    ("GET", "/v1/recognitions/{record_id}/export"): Rule("recognition", P.TENANT_READ),
    ("GET", "/v1/recognitions/{record_id}/verify"): Rule("recognition", P.TENANT_READ),
    ("POST", "/v1/recognitions/{record_id}/review"): Rule("recognition", P.REVIEW),
    ("GET", "/v1/exports/recognitions/{record_id}/alignments"): Rule("recognition", P.TENANT_READ),
    ("GET", "/v1/exports/recognitions/{record_id}/transfer-values"): Rule(
        "recognition", P.TENANT_READ
    ),
    ("POST", "/v1/articulations"): Rule("articulation", P.TRANSFER_RUN),
    ("POST", "/v1/batch/articulations"): Rule("articulation", P.TRANSFER_RUN),
    ("GET", "/v1/jobs"): Rule("articulation", P.TENANT_READ),
    ("POST", "/v1/jobs/{job_id}/cancel"): Rule("articulation", P.TRANSFER_RUN),
    ("GET", "/v1/jobs/{job_id}"): Rule("articulation", P.TENANT_READ),
    ("GET", "/v1/jobs/{job_id}/results"): Rule("articulation", P.TENANT_READ),
    ("GET", "/v1/exports/jobs/{job_id}/transfer-values"): Rule("articulation", P.TENANT_READ),
    ("POST", "/v1/pathways"): Rule("pathways", P.TENANT_READ),
    ("POST", "/v1/pathways/stack-into"): Rule("pathways", P.TENANT_READ),
    # administration of the caller's own organisation
    ("GET", "/v1/admin/api-keys"): Rule("admin", P.ADMIN),
    ("POST", "/v1/admin/api-keys"): Rule("admin", P.ADMIN),
    ("DELETE", "/v1/admin/api-keys/{prefix}"): Rule("admin", P.ADMIN),
    ("GET", "/v1/admin/personal-data-access"): Rule("admin", P.ADMIN),
    ("POST", "/v1/admin/personal-data-erasures"): Rule("admin", P.ADMIN),
    ("GET", "/v1/whoami"): Rule("meta-private", P.REFERENCE_READ),
}

#: What an unlisted operation needs: nothing new is open until it is listed above.
UNLISTED = Rule("unlisted", P.ADMIN)


def rule_for(method: str, path: str) -> Rule:
    return RULES.get((method.upper(), path), UNLISTED)
