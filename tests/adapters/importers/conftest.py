"""Fixtures of the importer tests: the golden credential files and a service on the real release."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.services.credentials import CredentialService
from app.services.registry import Registry

DATA = Path(__file__).resolve().parents[2] / "data" / "credentials"
MC_SAMPLE = DATA / "elm" / "Sample-MC-Annex1-unsigned.jsonld"
CERT_SAMPLE = DATA / "elm" / "Sample-CertOfPart-unsigned.jsonld"
OB_FULL = DATA / "ob3" / "microcredential-full.json"
OB_MINIMAL = DATA / "ob3" / "badge-minimal.json"
OB_EXTENSIONS = DATA / "ob3" / "achievement-extensions.json"
PLAIN_FULL = DATA / "plain" / "plain-full.json"
BULK_CSV = DATA / "plain" / "bulk.csv"


@pytest.fixture(scope="session")
def service(registry: Registry) -> CredentialService:
    return CredentialService(registry)
