"""Catalogue import: JSON and CSV, level resolution through the real registry, round trips, and
bad input reported where it is (JSON pointer, CSV row and column)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.adapters.importers.catalogue import (
    CSV_COLUMNS,
    programmes_to_csv,
    read_csv,
    read_document,
    read_file,
    read_json,
    render_schema,
    split_cell,
)
from app.core.catalogue import CatalogueInputError, content_hash, module_to_dict
from app.core.errors import PayloadTooLarge
from app.core.types import LevelKey
from app.services.catalogue import RegistryLevels
from app.services.registry import Registry
from app.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def levels(registry: Registry) -> RegistryLevels:
    return RegistryLevels(registry)


def programme(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "title": "MSc in Toy Analytics",
        "institution": {"name": "Toy College", "country": "ie"},
        "code": "TOY9",
        "award": "Master of Science",
        "level": "IE:9",
        "credits": {"value": 30, "system": "ECTS"},
        "isced_f": "http://data.europa.eu/snb/isced-f/0613",
        "language": "EN",
        "sources": [{"url": "https://example.org/toy", "retrieved": "2026-11-29"}],
        "modules": [
            {
                "code": "T1",
                "title": "Programming",
                "credits": {"value": 10, "system": "ects"},
                "level": "9",
                "status": "compulsory",
                "learning_outcomes": ["Write programs.", "Test programs."],
            },
            {
                "code": "T2",
                "title": "Statistics",
                "credits": {"value": 10, "system": "ects"},
                "prerequisites": ["t1"],
                "learning_outcomes": ["Fit models."],
            },
            {
                "code": "T3",
                "title": "Project",
                "credits": {"value": 10, "system": "ects"},
                "prerequisites": ["T1", "T2"],
                "cost": {"amount": 450, "currency": "eur", "note": "2025/26"},
                "learning_outcomes": ["Deliver a project."],
            },
        ],
    }
    doc.update(overrides)
    return doc


def errors_of(exc: CatalogueInputError) -> set[tuple[str, str]]:
    return {(i.where, i.code) for i in exc.errors}


# --- JSON ---------------------------------------------------------------------------------------


def test_json_programme_is_normalised_and_levels_resolved(levels: RegistryLevels) -> None:
    [item] = read_document(programme(), levels)
    p = item.programme
    assert p.level == LevelKey("IE-NFQ", "9")
    assert p.eqf_level == 7  # derived from the NFQ's EQF referencing
    assert p.credits is not None and p.credits.system == "ects"
    assert p.isced_f == "0613"
    assert p.institution.country == "IE"
    assert p.language == "en"
    assert p.modules[0].level == LevelKey("IE-NFQ", "9")  # a bare code, in the programme's NFQ
    assert p.modules[1].prerequisites == ("T1",)  # spelled as the module writes its code
    assert p.modules[2].cost is not None and p.modules[2].cost.currency == "EUR"
    assert item.warnings == ()
    assert item.where == "/"


@pytest.mark.parametrize(
    "level",
    ["IE-NFQ:9", "IE:9", "ie-nfq:9", "http://data.europa.eu/snb/qdr/c_01169e3f:9"],
)
def test_every_level_identifier_form_gives_the_same_content(
    levels: RegistryLevels, level: str
) -> None:
    [base] = read_document(programme(), levels)
    [other] = read_document(programme(level=level), levels)
    assert content_hash(other.programme) == content_hash(base.programme)


def test_list_and_wrapped_documents(levels: RegistryLevels) -> None:
    two = [programme(), programme(title="Other")]
    assert [i.where for i in read_document(two, levels)] == ["/0", "/1"]
    wrapped = read_document({"$schema": "x", "programmes": two}, levels)
    assert [i.where for i in wrapped] == ["/programmes/0", "/programmes/1"]


def test_eqf_level_that_disagrees_with_the_referencing_is_a_warning(
    levels: RegistryLevels,
) -> None:
    [item] = read_document(programme(eqf_level=8), levels)
    assert item.programme.eqf_level == 8
    assert [w.code for w in item.warnings] == ["eqf_level_differs"]


def test_every_json_error_is_reported_with_its_pointer(levels: RegistryLevels) -> None:
    doc = programme(level="IE:99", colour="blue", isced_f="0699")
    doc["modules"][0]["credits"] = {"value": -1, "system": "ects"}
    doc["modules"][1]["credits"] = {"value": 5, "system": "credit points"}
    doc["modules"][2]["prerequisites"] = ["T9"]
    with pytest.raises(CatalogueInputError) as info:
        read_document([programme(), doc], levels)
    # Schema errors first: the programme is not built until its form is valid.
    assert errors_of(info.value) == {
        ("/1/colour", "invalid"),
        ("/1/modules/0/credits/value", "invalid"),
    }
    doc.pop("colour")
    doc["modules"][0]["credits"] = {"value": 1, "system": "ects"}
    with pytest.raises(CatalogueInputError) as info:
        read_document([programme(), doc], levels)
    assert errors_of(info.value) == {
        ("/1/level", "unknown_level"),
        ("/1/isced_f", "unknown_isced_f"),
        ("/1/modules/1/credits/system", "unknown_credit_system"),
        ("/1/modules/2/prerequisites/0", "unknown_prerequisite"),
    }
    assert info.value.field == "/1/level"
    assert "(and 3 more)" in info.value.message


def test_cycles_and_duplicates_in_json(levels: RegistryLevels) -> None:
    doc = programme()
    doc["modules"][0]["prerequisites"] = ["T3"]
    doc["modules"].append(dict(doc["modules"][1]))
    with pytest.raises(CatalogueInputError) as info:
        read_document(doc, levels)
    codes = {i.code for i in info.value.errors}
    assert codes == {"prerequisite_cycle", "duplicate_module_code"}


@pytest.mark.parametrize(
    ("text", "where"),
    [("{not json", ""), ("42", ""), ("[]", ""), ('{"programmes": 3}', "/programmes")],
)
def test_unreadable_documents(levels: RegistryLevels, text: str, where: str) -> None:
    with pytest.raises(CatalogueInputError) as info:
        read_json(text, levels)
    assert info.value.errors[0].where == where


def test_ambiguous_framework_is_reported_at_the_level(levels: RegistryLevels) -> None:
    with pytest.raises(CatalogueInputError) as info:
        read_document(programme(level="BE:6"), levels)
    [issue] = info.value.errors
    assert issue.where == "/level"
    assert "more than one framework" in issue.message


# --- CSV ----------------------------------------------------------------------------------------


def test_csv_round_trip_gives_the_same_programmes(levels: RegistryLevels) -> None:
    json_items = read_document([programme(), programme(title="Second", code="TOY2")], levels)
    text = programmes_to_csv(i.programme for i in json_items)
    assert text.splitlines()[0] == ",".join(CSV_COLUMNS)
    csv_items = read_csv(text, levels)
    assert [content_hash(i.programme) for i in csv_items] == [
        content_hash(i.programme) for i in json_items
    ]
    assert [i.where for i in csv_items] == ["rows 2-4", "rows 5-7"]


def test_module_description_read_from_json_and_csv_and_hashed(levels: RegistryLevels) -> None:
    # A real module description (UofT St. George ANT334H1, 2016-17 calendar; see
    # benchmarks/data/course_pairs/PROVENANCE.md).
    aims = (
        "Exploration of the development and maintenance of the human skeleton and dentition, "
        "with emphasis on application to archaeological, forensic and biomedical sciences."
    )
    doc = programme()
    doc["modules"][0]["description"] = "  " + aims + "  "
    [item] = read_document(doc, levels)
    assert item.programme.modules[0].description == aims  # stripped like every text
    assert item.programme.modules[1].description is None
    [plain] = read_document(programme(), levels)
    # Part of the content (a changed description is a new version) ...
    assert content_hash(item.programme) != content_hash(plain.programme)
    # ... while a module without one serialises (and so hashes) as before the field existed.
    assert "description" not in module_to_dict(plain.programme.modules[0])
    text = programmes_to_csv([item.programme])
    assert "module_description" in text.splitlines()[0]
    [again] = read_csv(text, levels)
    assert again.programme.modules[0].description == aims
    assert content_hash(again.programme) == content_hash(item.programme)
    too_long = programme()
    too_long["modules"][0]["description"] = "x" * 20001
    with pytest.raises(CatalogueInputError) as exc:
        read_document(too_long, levels)
    assert ("/modules/0/description", "invalid") in errors_of(exc.value)


def test_csv_with_pipes_and_programme_cells_left_empty(levels: RegistryLevels) -> None:
    text = (
        "institution_name,programme_title,programme_level,programme_credits,"
        "programme_credit_system,module_code,module_title,module_credits,module_credit_system,"
        "module_outcomes,module_prerequisites\n"
        "Toy College,Cert,IE:8,10,ects,A,Alpha,5,ects,Explain a.|Apply a.,\n"
        "Toy College,Cert,,,,B,Beta,5,ects,Explain b.,A\n"
    )
    [item] = read_csv(text.encode("utf-8-sig"), levels)
    p = item.programme
    assert p.level == LevelKey("IE-NFQ", "8")
    assert [m.learning_outcomes for m in p.modules] == [("Explain a.", "Apply a."), ("Explain b.",)]
    assert p.modules[1].prerequisites == ("A",)


def test_csv_errors_name_row_and_column(levels: RegistryLevels) -> None:
    text = (
        "institution_name,programme_title,programme_credits,programme_credit_system,"
        "module_code,module_title,module_credits,module_credit_system,module_prerequisites,"
        "module_outcomes\n"
        "Toy College,Cert,10,ects,A,Alpha,five,ects,,Explain a.\n"
        "Toy College,Cert,20,ects,B,Beta,5,ects,,Explain b.\n"
        "Toy College,Cert,,,C,Gamma,5,ects,Z,Explain c.\n"
    )
    with pytest.raises(CatalogueInputError) as info:
        read_csv(text, levels)
    assert {i.where for i in info.value.errors} == {
        "row 3, column programme_credits",
        "row 2, column module_credits",
    }
    text = text.replace(",five,", ",5,").replace("Cert,20,ects", "Cert,,")
    with pytest.raises(CatalogueInputError) as info:
        read_csv(text, levels)
    assert [(i.where, i.code) for i in info.value.errors] == [
        ("row 4, column module_prerequisites (value 1)", "unknown_prerequisite"),
    ]
    # Modules over the total, their status unknown: stored, with a warning located in the file.
    [item] = read_csv(text.replace(",Z,", ",A,"), levels)
    assert [(w.where, w.code) for w in item.warnings] == [
        ("row 2, column module_credits", "modules_exceed_total")
    ]


def test_csv_header_problems(levels: RegistryLevels) -> None:
    with pytest.raises(CatalogueInputError) as info:
        read_csv("institution_name,title,modul_code\nX,Y,Z\n", levels)
    messages = " ".join(i.message for i in info.value.errors)
    assert "unknown column(s): title, modul_code" in messages
    assert "missing column(s): programme_title" in messages
    with pytest.raises(CatalogueInputError):
        read_csv(b"\xff\xfe not utf-8", levels)


def test_split_cell() -> None:
    assert split_cell("A|B") == ["A", "B"]
    assert split_cell("A | B\nC") == ["A | B", "C"]
    assert split_cell(" ") == []


# --- files and schema ---------------------------------------------------------------------------


def test_read_file_by_suffix_and_content(levels: RegistryLevels, tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps(programme()), encoding="utf-8")
    [item] = read_file(tmp_path / "a.json", levels)
    (tmp_path / "b.csv").write_text(programmes_to_csv([item.programme]), encoding="utf-8")
    (tmp_path / "c.txt").write_text(json.dumps([programme()]), encoding="utf-8")
    assert read_file(tmp_path / "b.csv", levels)[0].programme == item.programme
    assert read_file(tmp_path / "c.txt", levels)[0].programme == item.programme
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    with pytest.raises(CatalogueInputError) as info:
        read_file(tmp_path / "bad.json", levels)
    assert str(tmp_path / "bad.json") in info.value.message


def test_oversized_file_is_refused(
    levels: RegistryLevels, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.adapters.importers.catalogue as module

    monkeypatch.setattr(module, "MAX_FILE_BYTES", 10)
    (tmp_path / "big.json").write_text(json.dumps(programme()), encoding="utf-8")
    with pytest.raises(PayloadTooLarge):
        read_file(tmp_path / "big.json", levels)


def test_the_published_schema_is_up_to_date() -> None:
    published = (PROJECT_ROOT / "docs" / "catalogue.schema.json").read_text(encoding="utf-8")
    assert published == render_schema(), (
        "run: passerelle catalogue schema -o docs/catalogue.schema.json"
    )


def test_the_schema_accepts_what_the_importer_accepts() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(render_schema())
    jsonschema.Draft202012Validator(schema).validate(programme())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(programme(colour="blue"))
