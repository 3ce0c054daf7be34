"""Plain JSON form and CSV bulk format: import, JSON Schema, and round trips."""

from __future__ import annotations

import dataclasses
import json

import pytest

from app.adapters.importers.base import ImportOptions
from app.adapters.importers.csv_import import COLUMNS, credentials_to_csv, read_csv
from app.adapters.importers.plain import SCHEMA_PATH, plain_json_schema
from app.core.credentials import (
    Concept,
    CredentialInputError,
    Credits,
    SourceFormat,
    credential_to_json,
)
from app.core.types import LevelKey
from app.services.credentials import CredentialService
from tests.adapters.importers.conftest import BULK_CSV, MC_SAMPLE, OB_FULL, PLAIN_FULL


def test_plain_full_is_complete(service: CredentialService) -> None:
    report = service.read(PLAIN_FULL.read_bytes())
    c = report.credential
    assert report.source_format is SourceFormat.PLAIN
    assert c.title == "Introduction to relational databases"
    assert c.issuer is not None and c.issuer.country == "IE"
    assert c.level.eqf == 6 and c.level.nqf == LevelKey("IE-NFQ", "7")
    assert c.credits == Credits("ECTS", 5.0)
    assert c.assessment is not None and c.assessment.mode == Concept("Online")
    assert c.stackability.part_of == ("urn:example:programme:cda",)
    assert report.completeness.complete
    assert report.completeness.optional_present == 5
    assert report.warnings == ()


def test_plain_schema_file_is_in_sync() -> None:
    on_disk = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert on_disk == plain_json_schema(), "run app.adapters.importers.plain.write_schema()"


def test_plain_fixture_validates_against_exported_schema() -> None:
    import jsonschema

    jsonschema.validate(json.loads(PLAIN_FULL.read_text(encoding="utf-8")), plain_json_schema())


@pytest.mark.parametrize("path", [MC_SAMPLE, OB_FULL, PLAIN_FULL])
def test_normalised_output_posts_back_as_plain(service: CredentialService, path: object) -> None:
    """The JSON Passerelle returns is itself plain input that reads back the same."""
    first = service.read(path.read_bytes()).credential  # type: ignore[attr-defined]
    again = service.read(json.dumps(credential_to_json(first))).credential
    ignore = {"source_format", "sources", "proof"}
    a = {k: v for k, v in credential_to_json(first).items() if k not in ignore}
    b = {k: v for k, v in credential_to_json(again).items() if k not in ignore}
    assert a == b
    assert again.source_format is SourceFormat.PLAIN


def test_unknown_member_is_named() -> None:
    from app.adapters.importers.registry import read_document

    with pytest.raises(CredentialInputError) as info:
        read_document(
            json.dumps({"title": "X", "level": {"eqf": 6, "nfq": "IE:8"}}),
            forced=SourceFormat.PLAIN,
        )
    assert info.value.field == "/level/nfq"


def test_plain_wrong_type_is_named() -> None:
    from app.adapters.importers.registry import read_document

    with pytest.raises(CredentialInputError) as info:
        read_document(json.dumps({"title": "X", "learning_outcomes": [{"text": 5}]}))
    assert info.value.field == "/learning_outcomes/0/text"


def test_csv_bulk_reads_good_rows_and_reports_bad_ones(service: CredentialService) -> None:
    rows = service.read_csv(BULK_CSV.read_bytes())
    assert [r.row for r in rows] == [1, 2, 3]
    first, second, bad = rows
    assert first.report is not None and second.report is not None
    c = first.report.credential
    assert c.source_format is SourceFormat.CSV
    assert [o.text for o in c.learning_outcomes] == [
        "Design a normalised relational schema for a small business case",
        "Write SQL queries that join, filter and aggregate data",
    ]
    assert [s.uri for s in c.learning_outcomes[0].esco_skills] == [
        "http://data.europa.eu/esco/skill/5fd5c985-eaaa-47aa-8314-62359c54505a"
    ]
    assert c.assessment is not None and c.assessment.type == Concept(
        "written examination", "http://data.europa.eu/snb/assessment/6e6cb2cc78"
    )
    assert c.level.nqf == LevelKey("IE-NFQ", "7")
    assert first.report.completeness.complete
    assert first.report.completeness.element("issuer_country").where == ("/issuer_country",)
    assert first.report.completeness.element("level").where == ("/eqf_level", "/nqf_level")
    # '|' separates outcomes on one line; the NQF URI resolves
    two = second.report.credential
    assert len(two.learning_outcomes) == 2
    assert two.level.nqf == LevelKey("FI-FINQF", "5")
    assert bad.report is None and bad.error is not None
    assert bad.error.field == "/issued_on"


def test_csv_round_trip() -> None:
    options = ImportOptions()
    rows = read_csv(BULK_CSV.read_bytes(), options)
    originals = [r.result.credential for r in rows if r.result is not None]
    exported = credentials_to_csv(originals)
    again = [r.result.credential for r in read_csv(exported.encode(), options) if r.result]
    assert again == originals
    # and once more from the exported file: a fixed point
    assert credentials_to_csv(again) == exported
    assert exported.splitlines()[0].split(",") == list(COLUMNS)


def test_csv_round_trip_of_a_plain_credential(service: CredentialService) -> None:
    """What the CSV columns can hold survives export and import."""
    options = ImportOptions()
    plain = service.read(PLAIN_FULL.read_bytes()).credential
    csv_text = credentials_to_csv([plain])
    first = read_csv(csv_text.encode(), options)[0].result
    assert first is not None
    back = first.credential
    assert back.title == plain.title
    assert [o.text for o in back.learning_outcomes] == [o.text for o in plain.learning_outcomes]
    assert [s.uri for o in back.learning_outcomes for s in o.esco_skills] == [
        s.uri for o in plain.learning_outcomes for s in o.esco_skills
    ]
    assert back.level.nqf_identifier == plain.level.nqf_identifier
    assert back.credits == plain.credits
    assert back.stackability.part_of == plain.stackability.part_of
    second = read_csv(credentials_to_csv([back]).encode(), options)[0].result
    assert second is not None
    assert dataclasses.replace(second.credential) == back


def test_csv_semicolon_delimited() -> None:
    text = "title;issuer_name;credits_value\nData literacy;Hogeschool Delta;2,5\n"
    rows = read_csv(text.encode(), ImportOptions())
    assert rows[0].result is not None
    assert rows[0].result.credential.credits == Credits("ECTS", 2.5)


@pytest.mark.parametrize(
    ("content", "pointer"),
    [
        (b"", ""),
        (b"title,colour\nX,red\n", "/colour"),
        (b"issuer_name\nX\n", "/title"),
        (b"title\n\xff\xfe\n", ""),
    ],
)
def test_csv_file_problems_name_the_place(content: bytes, pointer: str) -> None:
    with pytest.raises(CredentialInputError) as info:
        read_csv(content, ImportOptions())
    assert info.value.field == pointer


def test_csv_row_limit() -> None:
    from app.adapters.importers.safety import ImportLimits
    from app.core.errors import PayloadTooLarge

    text = "title\n" + "".join(f"Credential {i}\n" for i in range(5))
    with pytest.raises(PayloadTooLarge) as info:
        read_csv(text.encode(), ImportOptions(limits=ImportLimits(max_csv_rows=3)))
    assert info.value.field == "/4"
