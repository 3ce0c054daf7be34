"""A bad data file fails loading with file, line and field; cross-file errors too."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.reference.loader import ReferenceDataError, load_release


def _edit(path: Path, old: str, new: str) -> int:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def test_an_eqf_level_out_of_range(data_copy: tuple[Path, Path]) -> None:
    fw, mp = data_copy
    line = _edit(fw / "de-dqr.yaml", "level: 8\n", "level: 9\n")
    with pytest.raises(ReferenceDataError) as info:
        load_release(fw, mp)
    (problem,) = info.value.problems
    assert (problem.file, problem.line) == ("frameworks/de-dqr.yaml", line)
    assert problem.field.endswith(".eqf[0].level")
    assert "8" in problem.message


def test_an_unknown_key_is_refused(data_copy: tuple[Path, Path]) -> None:
    fw, mp = data_copy
    line = _edit(fw / "de-dqr.yaml", "\nlevels:\n", "\ncolour: blue\nlevels:\n")
    with pytest.raises(ReferenceDataError) as info:
        load_release(fw, mp)
    (problem,) = info.value.problems
    assert (problem.line, problem.field) == (line + 1, "colour")


def test_broken_yaml_names_the_line(data_copy: tuple[Path, Path]) -> None:
    fw, mp = data_copy
    (fw / "de-dqr.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError) as info:
        load_release(fw, mp)
    assert info.value.problems[0].file == "frameworks/de-dqr.yaml"
    assert info.value.problems[0].line is not None


def test_a_crosswalk_to_a_missing_level(data_copy: tuple[Path, Path]) -> None:
    fw, mp = data_copy
    crosswalk = next((mp / "crosswalks").glob("*.yaml"))
    text = crosswalk.read_text(encoding="utf-8")
    import re

    ref = re.search(r"target: (IE-NFQ|UK-SCT-SCQF|UK-RQF|UK-WLS-CQFW):(\S+)", text)
    assert ref is not None
    crosswalk.write_text(
        text.replace(ref.group(0), f"target: {ref.group(1)}:99", 1), encoding="utf-8"
    )
    with pytest.raises(ReferenceDataError) as info:
        load_release(fw, mp)
    assert any(f"{ref.group(1)}:99" in p.message for p in info.value.problems)


def test_a_duplicated_uri_across_files(data_copy: tuple[Path, Path]) -> None:
    fw, mp = data_copy
    _edit(
        fw / "de-dqr.yaml",
        "http://data.europa.eu/snb/qdr/c_ef113b94",
        "http://data.europa.eu/snb/qdr/c_01169e3f",
    )
    with pytest.raises(ReferenceDataError) as info:
        load_release(fw, mp)
    assert any("c_01169e3f" in p.message for p in info.value.problems)


def test_a_level_without_edges_must_say_why(data_copy: tuple[Path, Path]) -> None:
    fw, mp = data_copy
    text = (fw / "mt-mqf.yaml").read_text(encoding="utf-8")
    import re

    cut = re.sub(r"\n  not_referenced: [^\n]*", "", text, count=1)
    (fw / "mt-mqf.yaml").write_text(cut, encoding="utf-8")
    with pytest.raises(ReferenceDataError) as info:
        load_release(fw, mp)
    assert any("not_referenced" in p.message for p in info.value.problems)


def test_same_files_same_hash_and_any_change_a_new_one(data_copy: tuple[Path, Path]) -> None:
    fw, mp = data_copy
    first = load_release(fw, mp).content_hash
    assert load_release(fw, mp).content_hash == first
    _edit(fw / "de-dqr.yaml", "title: German National", "title: The German National")
    assert load_release(fw, mp).content_hash != first


def test_a_type_cycle_needs_the_levels_placement(data_copy: tuple[Path, Path]) -> None:
    fw, mp = data_copy
    _edit(
        fw / "ie-nfq.yaml",
        "  - name: Level 5 Certificate\n",
        "  - name: Level 5 Certificate\n    qf_ehea_cycle: short\n",
    )
    with pytest.raises(ReferenceDataError) as info:
        load_release(fw, mp)
    assert any("qf_ehea" in p.message for p in info.value.problems)


def test_a_mixed_level_is_only_related_to_its_cycle(data_copy: tuple[Path, Path]) -> None:
    fw, mp = data_copy
    path = fw / "de-dqr.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            "scope: mixed\n    match_type: related", "scope: mixed\n    match_type: exact", 1
        ),
        encoding="utf-8",
    )
    with pytest.raises(ReferenceDataError) as info:
        load_release(fw, mp)
    (problem,) = info.value.problems
    assert (
        problem.file == "frameworks/de-dqr.yaml" and problem.line and "related" in problem.message
    )


def test_committed_json_schemas_match_the_models() -> None:
    from app.reference.jsonschema import render, schemas
    from app.settings import PROJECT_ROOT

    for name, schema in schemas().items():
        path = PROJECT_ROOT / "frameworks" / "_schema" / f"{name}.schema.json"
        assert path.read_text(encoding="utf-8") == render(schema), (
            f"{path} is stale: run `passerelle data schema`"
        )
