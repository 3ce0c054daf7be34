"""Micro-credential use cases: read (validate), store idempotently, fetch, list, bulk import.

Reading = importer (format detected or forced) + level resolution against the registry's data
release + completeness + warnings. Storing keys the row on the document's content hash, so the
same document posted twice gives the same id (``created`` tells which). The service flushes,
never commits: the API's session dependency and the CLI's ``session_scope`` own transactions.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.adapters.db.credential_repository import CredentialRepository, NewCredential
from app.adapters.db.models_credentials import CredentialRow
from app.adapters.db.repositories import ReleaseRepository
from app.adapters.importers.base import ImportOptions
from app.adapters.importers.csv_import import read_csv
from app.adapters.importers.registry import ReadDocument, read_document, sha256
from app.adapters.importers.safety import ImportLimits
from app.adapters.verification.trust import TrustStore
from app.core.conformance import ShaclReport, shacl_to_json
from app.core.credentials import (
    Completeness,
    CredentialNotFound,
    CredentialWarning,
    ImportedCredential,
    MicroCredential,
    SourceFormat,
    completeness,
    completeness_to_json,
    credential_to_json,
    credential_warnings,
    eqf_consistency,
    resolve_levels,
    warning_to_json,
)
from app.core.errors import DomainError, Gone
from app.services.registry import Registry

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(frozen=True, slots=True)
class CredentialReport:
    """A credential read and assessed (nothing stored)."""

    credential: MicroCredential
    completeness: Completeness
    warnings: tuple[CredentialWarning, ...]
    source_format: SourceFormat
    content_hash: str
    original: Any
    original_text: str | None
    # SHACL validation against the shapes of the credential's standard, beside completeness
    shacl: ShaclReport | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "credential": credential_to_json(self.credential),
            "completeness": completeness_to_json(self.completeness),
            "shacl": shacl_to_json(self.shacl) if self.shacl is not None else None,
            "warnings": [warning_to_json(w) for w in self.warnings],
        }


@dataclass(frozen=True, slots=True)
class StoredCredential:
    id: str
    created: bool
    created_at: dt.datetime
    source_format: str
    content_hash: str
    credential: dict[str, Any]
    completeness: dict[str, Any]
    warnings: list[dict[str, Any]]

    @classmethod
    def of(cls, row: CredentialRow, created: bool = False) -> StoredCredential:
        return cls(
            id=row.id,
            created=created,
            created_at=row.created_at,
            source_format=row.source_format,
            content_hash=row.content_hash,
            credential=row.credential,
            completeness=row.completeness,
            warnings=list(row.warnings),
        )

    @property
    def shacl(self) -> dict[str, Any] | None:
        # Stored in the assessment column beside completeness (no schema change needed).
        value = self.completeness.get("shacl")
        return value if isinstance(value, dict) else None


@dataclass(frozen=True, slots=True)
class CsvRowOutcome:
    """One CSV row: its report, or the problem that made it skipped."""

    row: int
    line: int
    report: CredentialReport | None = None
    error: DomainError | None = None


class CredentialService:
    def __init__(
        self,
        registry: Registry,
        limits: ImportLimits | None = None,
        trust: TrustStore | None = None,
    ) -> None:
        self.registry = registry
        self.limits = limits or ImportLimits()
        self.trust = trust or TrustStore()  # anchors for seals; none: trust not established

    @classmethod
    def from_settings(cls, registry: Registry, settings: object) -> CredentialService:
        """Limits and the trust store from the ``credentials`` settings group."""
        return cls(
            registry, ImportLimits.from_settings(settings), TrustStore.from_settings(settings)
        )

    # --- reading ---------------------------------------------------------------------------

    def assess(
        self, imported: ImportedCredential
    ) -> tuple[MicroCredential, Completeness, tuple[CredentialWarning, ...]]:
        """Resolve levels against the release, then completeness and every warning."""

        def label(key: Any) -> str | None:
            level = self.registry.release.level(key)
            return level.label if level is not None else None

        credential, level_warnings = resolve_levels(imported.credential, self.registry.index, label)
        warnings: list[CredentialWarning] = [*imported.warnings, *level_warnings]
        if credential.level.nqf is not None:
            referenced = [int(e.target.code) for e in self.registry.eqf_edges(credential.level.nqf)]
            mismatch = eqf_consistency(credential, referenced)
            if mismatch is not None:
                warnings.append(mismatch)
        warnings.extend(credential_warnings(credential))
        return credential, completeness(credential), tuple(warnings)

    def _report(self, read: ReadDocument) -> CredentialReport:
        credential, report, warnings = self.assess(read.imported)
        return CredentialReport(
            credential=credential,
            completeness=report,
            warnings=warnings,
            source_format=read.source_format,
            content_hash=read.content_hash,
            original=read.original,
            original_text=read.original_text,
            shacl=shacl_report(read),
        )

    def read(
        self,
        data: bytes | str,
        *,
        forced: SourceFormat | None = None,
        language: str | None = None,
    ) -> CredentialReport:
        """Read one JSON (or JWS) credential document; nothing is stored."""
        options = ImportOptions(language=language, limits=self.limits, trust=self.trust)
        return self._report(read_document(data, forced=forced, options=options))

    def read_csv(self, data: bytes, *, language: str | None = None) -> list[CsvRowOutcome]:
        """Read every row of a CSV file; a bad row is reported, the others still read."""
        options = ImportOptions(language=language, limits=self.limits)
        out: list[CsvRowOutcome] = []
        for row in read_csv(data, options):
            if row.result is None:
                out.append(CsvRowOutcome(row.number, row.line, error=row.error))
                continue
            credential, report, warnings = self.assess(row.result)
            out.append(
                CsvRowOutcome(
                    row.number,
                    row.line,
                    report=CredentialReport(
                        credential=credential,
                        completeness=report,
                        warnings=warnings,
                        source_format=SourceFormat.CSV,
                        content_hash=sha256(row.text),
                        original=dict(row.cells),
                        original_text=row.text,
                    ),
                )
            )
        return out

    # --- storage ---------------------------------------------------------------------------

    def store(self, session: Session, report: CredentialReport) -> StoredCredential:
        """Store a read credential; the same document again returns the stored one."""
        release_row = ReleaseRepository(session).by_hash(self.registry.release.content_hash)
        body = report.to_json()
        row, created = CredentialRepository(session).add(
            NewCredential(
                content_hash=report.content_hash,
                source_format=report.source_format.value,
                title=report.credential.title,
                credential=body["credential"],
                original=report.original if isinstance(report.original, dict) else None,
                original_text=report.original_text,
                completeness={**body["completeness"], "shacl": body["shacl"]},
                warnings=body["warnings"],
                data_release_id=release_row.id if release_row is not None else None,
            )
        )
        return StoredCredential.of(row, created)

    def _row(self, session: Session, credential_id: str) -> CredentialRow:
        # Ids are UUIDs; anything else (even a NUL byte, which PostgreSQL would refuse with an
        # error) is simply not found, without a query.
        if not _UUID.fullmatch(credential_id):
            raise CredentialNotFound(credential_id[:64])
        row = CredentialRepository(session).get(credential_id)
        if row is None:
            raise CredentialNotFound(credential_id)
        return row

    def get(self, session: Session, credential_id: str) -> StoredCredential:
        return StoredCredential.of(self._row(session, credential_id))

    def page(
        self, session: Session, *, limit: int, offset: int
    ) -> tuple[Sequence[StoredCredential], int]:
        rows, total = CredentialRepository(session).page(limit=limit, offset=offset)
        return [StoredCredential.of(r) for r in rows], total

    def original(self, session: Session, credential_id: str) -> tuple[Any, str | None, str]:
        """The document as received: JSON, and the text for tokens and CSV rows.

        Raises :class:`Gone` once the learner's personal data was erased (the document as
        received names the learner, so erasure removes it; what was read stays, without the
        learner)."""
        row = self._row(session, credential_id)
        if row.original is None and row.original_text is None:
            raise Gone(
                f"The document as received of credential {credential_id} was erased with the "
                "learner's personal data; what was read from it is kept without the learner."
            )
        return row.original, row.original_text, row.source_format


def shacl_report(read: ReadDocument) -> ShaclReport:
    """SHACL validation of an ELM/EDC document; other formats publish no SHACL shapes."""
    if read.source_format is SourceFormat.ELM and read.jsonld is not None:
        # Imported here, not at module level: pyshacl + rdflib cost 0.3–1.4 s of every
        # start-up (benchmarks/startup.py); tests/services/test_startup_imports.py holds it.
        from app.adapters.importers.shacl import validate_edc

        return validate_edc(read.jsonld)
    return ShaclReport(
        checked=False,
        note="SHACL shapes are published for ELM/EDC credentials only; "
        f"a {read.source_format.value} credential is not checked against shapes",
    )
