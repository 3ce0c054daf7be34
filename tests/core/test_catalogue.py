"""The catalogue's rules on toy programmes: credits against the total, prerequisites (existing,
acyclic), duplicate codes, outcomes, normalisation, canonical form and hash, study order."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.core.catalogue import (
    ISCED_F_2013,
    CatalogueInputError,
    Cost,
    CreditValue,
    Institution,
    Module,
    ModuleStatus,
    Programme,
    Severity,
    content_hash,
    isced_f_label,
    module_credits,
    normalise_credit_system,
    normalise_isced_f,
    prerequisite_graph,
    programme_to_dict,
    study_order,
    text_score,
    validate_programme,
)
from app.core.types import LevelKey

C, E = ModuleStatus.COMPULSORY, ModuleStatus.ELECTIVE


def mod(code: str, credits: float = 5, *, requires: tuple[str, ...] = (), **kw: object) -> Module:
    return Module(
        code,
        f"Module {code}",
        CreditValue(credits, "ects"),
        learning_outcomes=(f"Explain the ideas of {code}.",),
        prerequisites=requires,
        **kw,  # type: ignore[arg-type]
    )


def prog(*modules: Module, total: float | None = 15, system: str = "ects") -> Programme:
    return Programme(
        "Certificate in Toys",
        Institution("Toy University", "IE"),
        credits=CreditValue(total, system) if total is not None else None,
        modules=modules,
    )


def codes(p: Programme, severity: Severity | None = None) -> list[str]:
    return [i.code for i in validate_programme(p) if severity is None or i.severity is severity]


def test_a_complete_programme_is_valid() -> None:
    p = prog(mod("A"), mod("B", requires=("A",)), mod("C", requires=("A", "B")))
    assert validate_programme(p) == []


def test_duplicate_module_codes_are_an_error_case_insensitively() -> None:
    issues = validate_programme(prog(mod("CS101"), mod(" cs101 "), mod("B")))
    dup = [i for i in issues if i.code == "duplicate_module_code"]
    assert len(dup) == 1
    assert dup[0].where == "/modules/1/code"
    assert dup[0].severity is Severity.ERROR
    assert "/modules/0" in dup[0].message


def test_unknown_and_self_prerequisites_are_located() -> None:
    issues = validate_programme(
        prog(mod("A", requires=("Z",)), mod("B", requires=("b",)), mod("C"))
    )
    found = {(i.code, i.where) for i in issues}
    assert ("unknown_prerequisite", "/modules/0/prerequisites/0") in found
    assert ("prerequisite_is_self", "/modules/1/prerequisites/0") in found


def test_a_prerequisite_cycle_is_an_error_that_names_the_cycle() -> None:
    p = prog(mod("A", requires=("C",)), mod("B", requires=("A",)), mod("C", requires=("B",)))
    cycle = [i for i in validate_programme(p) if i.code == "prerequisite_cycle"]
    assert len(cycle) == 1
    assert cycle[0].severity is Severity.ERROR
    assert cycle[0].where.startswith("/modules/") and cycle[0].where.endswith("/prerequisites")
    for code in "ABC":
        assert code in cycle[0].message
    with pytest.raises(CatalogueInputError) as info:
        study_order(p)
    assert info.value.errors[0].code == "prerequisite_cycle"


def test_compulsory_credits_over_the_total_are_an_error() -> None:
    p = prog(mod("A", 10, status=C), mod("B", 10, status=C), total=15)
    assert "credits_exceed_total" in codes(p, Severity.ERROR)


def test_electives_may_exceed_the_total() -> None:
    p = prog(mod("A", 10, status=C), mod("B", 5, status=E), mod("D", 5, status=E), total=15)
    assert codes(p) == []


def test_fewer_module_credits_than_the_total_is_a_warning() -> None:
    p = prog(mod("A", 5), total=30)
    issues = validate_programme(p)
    assert [(i.code, i.severity) for i in issues] == [("modules_below_total", Severity.WARNING)]
    assert "5 of the programme's 30 ECTS credits" in issues[0].message


def test_credits_in_another_system_are_not_added_but_reported() -> None:
    other = Module("U", "Uk", CreditValue(20, "uk-cats"), learning_outcomes=("Do x.",))
    p = prog(mod("A", 15), other, total=15)
    assert codes(p) == ["mixed_credit_systems"]


def test_floating_point_sums_are_compared_with_tolerance() -> None:
    p = prog(*(mod(str(i), 0.1) for i in range(10)), total=1.0)
    assert codes(p) == []


def test_bad_values_are_errors() -> None:
    p = replace(
        prog(mod("A", -1), total=-1, system="credit points"),
        eqf_level=9,
        isced_f="0699",
        cost=Cost(-5, "eur"),
    )
    found = set(codes(p, Severity.ERROR))
    assert {
        "credit_range",
        "unknown_credit_system",
        "eqf_level_range",
        "unknown_isced_f",
        "cost_range",
        "currency",
    } <= found


def test_outcomes_empty_missing_and_duplicated() -> None:
    empty = replace(mod("A"), learning_outcomes=("Explain x.", "  "))
    none = replace(mod("B"), learning_outcomes=())
    twice = replace(mod("C"), learning_outcomes=("Explain x.", "explain   X."))
    issues = {(i.code, i.where, i.severity) for i in validate_programme(prog(empty, none, twice))}
    assert ("empty", "/modules/0/learning_outcomes/1", Severity.ERROR) in issues
    assert ("no_outcomes", "/modules/1/learning_outcomes", Severity.WARNING) in issues
    assert ("duplicate_outcome", "/modules/2/learning_outcomes/1", Severity.WARNING) in issues


def test_compulsory_module_requiring_an_elective_is_a_warning() -> None:
    p = prog(mod("A", status=E), mod("B", status=C, requires=("A",)), mod("D"))
    assert codes(p) == ["compulsory_requires_elective"]


def test_eqf_level_must_agree_with_an_eqf_level_key() -> None:
    p = replace(prog(mod("A"), mod("B"), mod("C")), level=LevelKey("EQF", "6"), eqf_level=7)
    assert codes(p) == ["eqf_level_conflict"]


def test_prerequisite_graph_and_study_order() -> None:
    p = prog(mod("C", requires=("a", "B")), mod("A"), mod("B", requires=("A",)))
    assert sorted(prerequisite_graph(p.modules).edges) == [("A", "B"), ("A", "C"), ("B", "C")]
    assert study_order(p) == ["A", "B", "C"]
    # Independent modules keep the listed order.
    assert study_order(prog(mod("Z"), mod("Y"), mod("X"))) == ["Z", "Y", "X"]


def test_module_credits_by_status() -> None:
    p = prog(mod("A", 10, status=C), mod("B", 5, status=E))
    assert module_credits(p) == {"ects": 15.0}
    assert module_credits(p, status=E) == {"ects": 5.0}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("ECTS", "ects"),
        ("ects credits", "ects"),
        ("UK credits", "uk-cats"),
        ("CATS", "uk-cats"),
        ("SCQF credit points", "scqf"),
        ("scqf", "scqf"),
        ("US semester credit hours", "us-semester"),
        ("quarter hours", "us-quarter"),
        ("notional hours", "hours"),
        ("http://data.europa.eu/snb/education-credit/6fcec5c5af", "ects"),
        ("credit points", None),
    ],
)
def test_credit_system_aliases(given: str, expected: str | None) -> None:
    assert normalise_credit_system(given) == expected


def test_isced_f_codes_and_uris() -> None:
    assert len(ISCED_F_2013) == 220
    assert normalise_isced_f("http://data.europa.eu/esco/isced-f/0613") == "0613"
    assert normalise_isced_f("https://example.org/isced-f/0613") is None
    assert normalise_isced_f("613") is None
    assert isced_f_label("0521") == "Environmental sciences"


def test_content_hash_ignores_id_and_follows_content() -> None:
    p = prog(mod("A"), mod("B"), mod("C"))
    assert content_hash(p) == content_hash(replace(p, id="stored-id"))
    assert content_hash(p) != content_hash(replace(p, modules=p.modules[::-1]))
    assert len(content_hash(p)) == 64


def test_canonical_form_leaves_out_empty_members() -> None:
    doc = programme_to_dict(prog(mod("A"), total=None))
    assert doc == {
        "title": "Certificate in Toys",
        "institution": {"name": "Toy University", "country": "IE"},
        "modules": [
            {
                "code": "A",
                "title": "Module A",
                "credits": {"value": 5, "system": "ects"},
                "learning_outcomes": ["Explain the ideas of A."],
            }
        ],
    }


def test_text_score_prefers_exact_codes_and_close_titles() -> None:
    assert text_score("H9DAP", ["x"], codes=["h9dap"]) == 100.0
    close = text_score("sustainabilty", ["Micro-credential in Sustainability"])
    far = text_score("sustainabilty", ["Database and Analytics Programming"])
    assert close >= 80 > far
    assert text_score("   ", ["anything"]) == 0.0
