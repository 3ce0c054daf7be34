"""Journey 2 of the workspace (issue 14), "a case": a credential in, a reviewed decision out.

Each page needs what the API operation it stands for needs (``like_api``: the access table of
``app/api/access.py``) and works on the officer's organisation only (the database session is
bound to it, as for the API):

* ``GET /cases`` — the organisation's decision records and credentials; verify a record by id;
* ``GET|POST /cases/new`` — upload or paste a credential (ELM/EDC, Open Badges 3.0, plain JSON,
  or a CSV file of several); read and stored by :class:`CredentialService` as
  ``POST /v1/credentials`` (and ``/bulk``) do;
* ``GET /cases/credentials/{id}`` — what was read, the Annex-I completeness, the seal
  (``proof.verification``), the warnings, and the form choosing a target and a purpose;
* ``POST /cases/credentials/{id}/recommend`` — :meth:`RecognitionService.recommend`, as
  ``POST /v1/recognitions`` (the signed-in principal recorded as its creator);
* ``GET /cases/{record_id}`` — the recommendation element by element with its evidence, the
  justification, the review history and the review form;
* ``POST /cases/{record_id}/review`` — confirm or amend, through the API's own checks in the
  API's order: the four-eyes rule, then the version reviewed (``app/api/records.py``);
* ``GET /cases/{record_id}/letter`` — the decision letter (print stylesheet);
* ``GET /cases/{record_id}/export`` — the API's export, the same document;
* ``GET /cases/{record_id}/verify``, ``GET /cases/verify?record=…`` — the record's check.

No page changes what a record holds: a review is appended, as through the API.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from app.adapters.importers.detect import parse_format
from app.api import records as record_versions
from app.api.auth import log_personal_read
from app.api.problems import ApiProblem
from app.api.routers.recognitions import export_recognition
from app.core.errors import DomainError, InvalidInput, NotFound
from app.core.identity import FourEyesViolation, Permission
from app.core.recognition import Outcome, Purpose
from app.services.credentials import CredentialService, StoredCredential
from app.services.recognition import RecognitionCommand, RecognitionService, ReviewCommand
from app.web import case_view as view
from app.web.deps import (
    Officer,
    RegistryDep,
    SettingsDep,
    TransferDep,
    WebDbDep,
    like_api,
)
from app.web.errors import PageError, Problem, problem_of
from app.web.i18n import N_
from app.web.nav import NavItem, register
from app.web.templating import render, translator

router = APIRouter(include_in_schema=False)

register(
    NavItem(
        N_("Cases"),
        "/cases",
        Permission.TENANT_READ,
        N_(
            "Read a credential, get a recognition recommendation with its evidence, review it "
            "under the four-eyes rule, print the decision letter and verify a record."
        ),
        order=30,
    )
)

Reader = Annotated[Officer, Depends(like_api("GET", "/v1/recognitions/{record_id}"))]
Lister = Annotated[Officer, Depends(like_api("GET", "/v1/recognitions"))]
CredentialReader = Annotated[Officer, Depends(like_api("GET", "/v1/credentials/{credential_id}"))]
Importer = Annotated[Officer, Depends(like_api("POST", "/v1/credentials"))]
Recommender = Annotated[Officer, Depends(like_api("POST", "/v1/recognitions"))]
Reviewer = Annotated[Officer, Depends(like_api("POST", "/v1/recognitions/{record_id}/review"))]
Verifier = Annotated[Officer, Depends(like_api("GET", "/v1/recognitions/{record_id}/verify"))]
Exporter = Annotated[Officer, Depends(like_api("GET", "/v1/recognitions/{record_id}/export"))]

FORMATS = ("auto", "elm", "ob3", "plain", "csv")
MAX_TEXT = 5000  # as the API's review fields
MAX_CONDITIONS = 50
LIST_LIMIT = 50
_RECORD_ID = re.compile(r"[A-Za-z0-9-]{1,64}")  # record ids are UUIDs; nothing else is redirected


def _credentials(registry: RegistryDep, settings: SettingsDep) -> CredentialService:
    return CredentialService.from_settings(registry, settings)


Credentials = Annotated[CredentialService, Depends(_credentials)]


def _recognition(transfer: TransferDep) -> RecognitionService:
    return transfer.recognition


Recognition = Annotated[RecognitionService, Depends(_recognition)]


def _not_found(request: Request, exc: DomainError) -> PageError:
    return PageError(404, translator(request)("Not found"), exc.message)


def _text(name: str, value: str, *, limit: int = MAX_TEXT) -> str:
    """A form text, refused when too long or holding NUL (PostgreSQL cannot store it)."""
    if "\x00" in value:
        raise InvalidInput(name, "NUL characters are not allowed")
    if len(value) > limit:
        raise InvalidInput(name, f"at most {limit} characters")
    return value.strip()


# --- the list ----------------------------------------------------------------------------------


@router.get("/cases")
def cases(
    request: Request,
    officer: Lister,
    db: WebDbDep,
    recognition: Recognition,
    credentials: Credentials,
    records_from: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    credentials_from: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    records, total = recognition.list(db, limit=LIST_LIMIT, offset=records_from)
    stored, stored_total = credentials.page(db, limit=LIST_LIMIT, offset=credentials_from)
    return render(
        request,
        "case/index.html",
        {
            "records": records,
            "records_total": total,
            "records_from": records_from,
            "credentials_from": credentials_from,
            "limit": LIST_LIMIT,
            "credentials": stored,
            "credentials_total": stored_total,
            "can_import": officer.principal.can(Permission.CREDENTIAL_WRITE),
            "view": view,
        },
    )


@router.get("/cases/verify")
def verify_by_id(request: Request, officer: Verifier, record: str = "") -> Response:
    record = record.strip()
    if not _RECORD_ID.fullmatch(record):
        tr = translator(request)
        problem = Problem(
            422,
            tr("Which record?"),
            tr("Give the id of a decision record to verify."),
            errors=[{"field": "record", "detail": tr("a record id")}],
        )
        return render(request, "case/verify_form.html", {"problem": problem}, status_code=422)
    return RedirectResponse(f"/cases/{record}/verify", status_code=303)


# --- a credential in ---------------------------------------------------------------------------


def _new_page(
    request: Request, *, problem: Problem | None = None, document: str = "", fmt: str = "auto"
) -> Response:
    return render(
        request,
        "case/new.html",
        {"problem": problem, "document": document, "format": fmt, "formats": FORMATS},
        status_code=problem.status if problem else 200,
    )


@router.get("/cases/new")
def new_case(request: Request, officer: Importer) -> Response:
    return _new_page(request)


@router.post("/cases/new")
def upload(
    request: Request,
    officer: Importer,
    db: WebDbDep,
    credentials: Credentials,
    document: Annotated[str, Form(max_length=2 * 1024 * 1024)] = "",
    format: Annotated[str, Form(max_length=10)] = "auto",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    tr = translator(request)
    data: bytes = b""
    name = ""
    if file is not None and file.filename:
        data, name = file.file.read(), file.filename
    elif document.strip():
        data = document.encode("utf-8")
    if not data.strip():
        problem = Problem(
            422,
            tr("Nothing to read"),
            tr("Choose a file or paste a credential."),
            errors=[{"field": "document", "detail": tr("a file or a pasted credential")}],
        )
        return _new_page(request, problem=problem, fmt=format)
    fmt = format if format in FORMATS else "auto"
    is_csv = fmt == "csv" or (
        fmt == "auto"
        and (
            name.lower().endswith(".csv")
            or (file is not None and (file.content_type or "").startswith("text/csv"))
        )
    )
    shown = document if not name else ""
    try:
        if is_csv:
            return _csv_result(request, db, credentials, data)
        report = credentials.read(data, forced=parse_format(None if fmt == "auto" else fmt))
        stored = credentials.store(db, report)
    except DomainError as exc:
        return _new_page(
            request, problem=problem_of(exc, field_name="document"), document=shown, fmt=fmt
        )
    # The same document again is the same credential (idempotent, as the API): the page says so.
    again = "" if stored.created else "?again=1"
    return RedirectResponse(f"/cases/credentials/{stored.id}{again}", status_code=303)


def _csv_result(
    request: Request, db: Session, credentials: CredentialService, data: bytes
) -> Response:
    """Every row of a CSV file stored as ``POST /v1/credentials/bulk`` does; bad rows named."""
    rows: list[dict[str, Any]] = []
    for outcome in credentials.read_csv(data):
        if outcome.report is None:
            assert outcome.error is not None
            rows.append(
                {"row": outcome.row, "line": outcome.line, "problem": problem_of(outcome.error)}
            )
            continue
        stored = credentials.store(db, outcome.report)
        rows.append(
            {
                "row": outcome.row,
                "line": outcome.line,
                "id": stored.id,
                "created": stored.created,
                "title": outcome.report.credential.title,
                "complete": outcome.report.completeness.complete,
                "warnings": len(outcome.report.warnings),
                "problem": None,
            }
        )
    return render(request, "case/csv.html", {"rows": rows})


def _credential_page(
    request: Request,
    officer: Officer,
    db: Session,
    registry: RegistryDep,
    transfer: TransferDep,
    stored: StoredCredential,
    *,
    problem: Problem | None = None,
    chosen: dict[str, str] | None = None,
    again: bool = False,
) -> Response:
    credential = dict(stored.credential)
    learner = credential.get("learner")
    if learner is not None:
        # Personal data: shown to who may read it, and logged (as GET /v1/credentials/{id}).
        if officer.principal.can(Permission.PERSONAL_READ):
            log_personal_read(
                db,
                officer.principal,
                record_kind="credential",
                record_ids=[stored.id],
                action="read-learner",
            )
        else:
            credential["learner"] = None
    can_recommend = officer.principal.can(Permission.RECOMMEND)
    programmes = (
        [
            (p.id, view.programme_label(p.title, p.institution.name, p.eqf_level))
            for p in transfer.context.catalogue.search(db, limit=200).items
        ]
        if can_recommend
        else []
    )
    frameworks = [(f.id, f"{f.id} — {f.title}") for f in registry.frameworks()]
    earlier, _ = transfer.recognition.list(db, limit=20, offset=0, credential_id=stored.id)
    return render(
        request,
        "case/credential.html",
        {
            "stored": stored,
            "credential": credential,
            "completeness": stored.completeness,
            "shacl": stored.shacl,
            "warnings": stored.warnings,
            "seal": view.seal(credential),
            "can_recommend": can_recommend,
            "frameworks": frameworks,
            "programmes": programmes,
            "purposes": [
                (p.value, translator(request)(view.purpose_label(p.value))) for p in Purpose
            ],
            "chosen": chosen
            or {
                "target": "",
                "qualification_id": "",
                "purpose": Purpose.CREDIT_TRANSFER.value,
                "as_of": "",
            },
            "problem": problem,
            "again": again,
            "earlier": earlier,
            "view": view,
        },
        status_code=problem.status if problem else 200,
    )


@router.get("/cases/credentials/{credential_id}")
def credential_page(
    request: Request,
    credential_id: str,
    officer: CredentialReader,
    db: WebDbDep,
    credentials: Credentials,
    registry: RegistryDep,
    transfer: TransferDep,
    again: str = "",
) -> Response:
    try:
        stored = credentials.get(db, credential_id)
    except NotFound as exc:
        raise _not_found(request, exc) from exc
    return _credential_page(request, officer, db, registry, transfer, stored, again=again == "1")


@router.post("/cases/credentials/{credential_id}/recommend")
def recommend(
    request: Request,
    credential_id: str,
    officer: Recommender,
    db: WebDbDep,
    credentials: Credentials,
    registry: RegistryDep,
    transfer: TransferDep,
    target: Annotated[str, Form(max_length=300)] = "",
    qualification_id: Annotated[str, Form(max_length=64)] = "",
    purpose: Annotated[str, Form(max_length=20)] = Purpose.CREDIT_TRANSFER.value,
    as_of: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    try:
        stored = credentials.get(db, credential_id)
    except NotFound as exc:
        raise _not_found(request, exc) from exc
    chosen = {
        "target": target,
        "qualification_id": qualification_id,
        "purpose": purpose,
        "as_of": as_of,
    }
    try:
        command = _command(db, transfer, credential_id, officer, chosen)
        record = transfer.recognition.recommend(db, command)
    except DomainError as exc:
        return _credential_page(
            request,
            officer,
            db,
            registry,
            transfer,
            stored,
            problem=problem_of(exc),
            chosen=chosen,
        )
    return RedirectResponse(f"/cases/{record['id']}", status_code=303)


def _command(
    db: Session, transfer: TransferDep, credential_id: str, officer: Officer, chosen: dict[str, str]
) -> RecognitionCommand:
    """The API's request, from the form: the target framework defaults to the chosen
    qualification's own framework (else the EQF)."""
    try:
        purpose = Purpose(chosen["purpose"])
    except ValueError:
        raise InvalidInput("purpose", "choose one of the purposes listed") from None
    as_of: dt.date | None = None
    if chosen["as_of"].strip():
        try:
            as_of = dt.date.fromisoformat(chosen["as_of"].strip())
        except ValueError:
            raise InvalidInput("as_of", "a date as YYYY-MM-DD") from None
    qualification = _text("qualification_id", chosen["qualification_id"], limit=64) or None
    target = _text("target", chosen["target"], limit=300)
    if not target:
        if qualification is None:
            raise InvalidInput("target", "choose a framework, a qualification, or both")
        programme = transfer.context.catalogue.get(db, qualification).programme
        target = programme.level.framework if programme.level else "EQF"
    return RecognitionCommand(
        target=target,
        purpose=purpose,
        credential_id=credential_id,
        qualification_id=qualification,
        as_of=as_of,
        created_by=officer.principal.id,
    )


# --- the recommendation and its review ---------------------------------------------------------


def _record_or_404(
    request: Request, db: Session, recognition: RecognitionService, record_id: str
) -> dict[str, Any]:
    if len(record_id) > 64:
        raise PageError(404, translator(request)("Not found"), "No such recognition record.")
    try:
        return recognition.get(db, record_id)
    except NotFound as exc:
        raise _not_found(request, exc) from exc


def _record_page(
    request: Request,
    officer: Officer,
    db: Session,
    recognition: RecognitionService,
    record: dict[str, Any],
    *,
    problem: Problem | None = None,
    refusal: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    may_review = officer.principal.can(Permission.REVIEW)
    four_eyes: str | None = None
    if may_review:
        try:
            recognition.check_reviewer(db, record["id"], officer.principal.id)
        except FourEyesViolation as exc:
            four_eyes = exc.message
    return render(
        request,
        "case/record.html",
        {
            "record": record,
            "elements": view.elements(record),
            "based_on": view.current_version(record),
            "may_review": may_review,
            "four_eyes": four_eyes,
            "refusal": refusal,
            "problem": problem,
            "form": form
            or {"action": "confirm", "outcome": "", "reason": "", "conditions": "", "note": ""},
            "outcomes": [
                (o.value, translator(request)(view.outcome_label(o.value))) for o in Outcome
            ],
            "view": view,
        },
        status_code=status,
    )


@router.get("/cases/{record_id}")
def record_page(
    request: Request,
    record_id: str,
    officer: Reader,
    db: WebDbDep,
    recognition: Recognition,
) -> Response:
    record = _record_or_404(request, db, recognition, record_id)
    return _record_page(request, officer, db, recognition, record)


@router.post("/cases/{record_id}/review")
def review(
    request: Request,
    record_id: str,
    officer: Reviewer,
    db: WebDbDep,
    recognition: Recognition,
    action: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=MAX_TEXT * 2)] = "",
    outcome: Annotated[str, Form(max_length=30)] = "",
    conditions: Annotated[str, Form(max_length=MAX_TEXT * 4)] = "",
    note: Annotated[str, Form(max_length=MAX_TEXT * 2)] = "",
    based_on: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    tr = translator(request)
    record = _record_or_404(request, db, recognition, record_id)
    form = {
        "action": action,
        "outcome": outcome,
        "reason": reason,
        "conditions": conditions,
        "note": note,
    }
    principal = officer.principal
    try:
        # The API's order: who may review, then which version is reviewed, then what.
        recognition.check_reviewer(db, record_id, principal.id)
        record_versions.check_review_version(
            db, record_id, if_match=None, based_on=based_on or None, current=recognition.get
        )
        command = _review_command(principal.id, principal.label, form)
        recognition.review(db, record_id, command)
    except FourEyesViolation as exc:
        return _record_page(
            request, officer, db, recognition, record, refusal=exc.message, form=form, status=403
        )
    except ApiProblem as exc:
        # 409: someone reviewed this record since the page was loaded (428: no version sent).
        current = recognition.get(db, record_id)
        problem = Problem(
            exc.problem.status,
            tr("The record changed since you opened it")
            if exc.problem.status == 409
            else exc.problem.title,
            exc.detail
            + " "
            + tr("The page now shows the record as it stands; review it again if needed."),
        )
        return _record_page(
            request, officer, db, recognition, current, problem=problem, form=form, status=409
        )
    except DomainError as exc:
        problem = problem_of(exc)
        return _record_page(
            request,
            officer,
            db,
            recognition,
            record,
            problem=problem,
            form=form,
            status=problem.status,
        )
    return RedirectResponse(f"/cases/{record_id}#history", status_code=303)


def _review_command(principal_id: str, label: str, form: dict[str, str]) -> ReviewCommand:
    action = form["action"]
    if action not in ("confirm", "amend"):
        raise InvalidInput("action", "confirm or amend")
    reason = _text("reason", form["reason"])
    if not reason:
        raise InvalidInput("reason", "a review states its reason")
    outcome: Outcome | None = None
    if action == "amend":
        try:
            outcome = Outcome(form["outcome"])
        except ValueError:
            raise InvalidInput("outcome", "an amendment states the outcome it decides") from None
    conditions = view.conditions_from_text(
        _text("conditions", form["conditions"], limit=MAX_TEXT * 4)
    )
    if len(conditions) > MAX_CONDITIONS:
        raise InvalidInput("conditions", f"at most {MAX_CONDITIONS} conditions")
    note = _text("note", form["note"]) or None
    return ReviewCommand(
        action=action,
        reviewer=label,
        reviewer_id=principal_id,
        reason=reason,
        outcome=outcome,
        conditions=conditions,
        note=note,
    )


# --- the letter, the export, the verification --------------------------------------------------


@router.get("/cases/{record_id}/letter")
def letter(
    request: Request,
    record_id: str,
    officer: Reader,
    db: WebDbDep,
    recognition: Recognition,
) -> Response:
    record = _record_or_404(request, db, recognition, record_id)
    return render(
        request,
        "case/letter.html",
        {
            "record": record,
            "elements": view.elements(record),
            "decision": view.decision(record),
            "today": dt.date.today().isoformat(),
            "view": view,
        },
    )


@router.get("/cases/{record_id}/export")
def export(
    request: Request,
    record_id: str,
    officer: Exporter,
    db: WebDbDep,
    recognition: Recognition,
    settings: SettingsDep,
) -> Response:
    _record_or_404(request, db, recognition, record_id)
    return export_recognition(record_id, db, recognition, settings)


@router.get("/cases/{record_id}/verify")
def verify(
    request: Request,
    record_id: str,
    officer: Verifier,
    db: WebDbDep,
    recognition: Recognition,
    settings: SettingsDep,
) -> Response:
    record = _record_or_404(request, db, recognition, record_id)
    check = record_versions.with_proof(
        recognition.verify(db, record_id), db, record_id, settings.records
    )
    return render(request, "case/verify.html", {"record": record, "check": check, "view": view})
