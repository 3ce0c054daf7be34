"""The real data files: each validates, they agree with each other, and the irregular
frameworks answer as their referencing reports say."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from app.core.release import Release
from app.core.types import EQF_ID, LevelKey, MatchType, NotComparableReason
from app.reference.loader import data_files
from app.reference.schema import FrameworkFile
from app.services.registry import Registry
from tests.conftest import FRAMEWORKS_DIR, MAPPINGS_DIR

FRAMEWORK_FILES = sorted(p for p in FRAMEWORKS_DIR.glob("*.yaml") if p.name not in ("eqf.yaml",))


@pytest.mark.parametrize("path", FRAMEWORK_FILES, ids=lambda p: p.name)
def test_every_framework_file_validates(path: Path) -> None:
    FrameworkFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def test_all_european_frameworks_of_the_eu_vocabulary_are_there(release: Release) -> None:
    european = [
        f
        for f in release.frameworks.values()
        if f.kind == "national" and any("data.europa.eu/snb/qdr" in u for u in f.uris)
    ]
    assert len(european) == 43
    for expected in (
        "BE-FL-FQF",
        "BE-FR-CFC",
        "BE-DG-QDG",
        "UK-RQF",
        "UK-WLS-CQFW",
        "UK-SCT-SCQF",
        "CH-NQF-VPET",
        "TR-TQF",
        "AL-AQF",
        "BA-NQF",
        "XK-NQF",
        "MK-NNMQF",
        "ME-NQF",
        "RS-NQFS",
    ):
        assert expected in release.frameworks


def test_eqf_has_eight_levels_with_three_descriptors(release: Release) -> None:
    eqf = release.frameworks[EQF_ID]
    assert [lvl.code for lvl in eqf.levels] == [str(n) for n in range(1, 9)]
    for lvl in eqf.levels:
        assert lvl.descriptors is not None
        assert lvl.descriptors.knowledge and lvl.descriptors.skills
        assert lvl.descriptors.responsibility_autonomy


def test_qf_ehea_cycles_sit_at_eqf_5_to_8(registry: Registry) -> None:
    got = {
        lvl.code: [int(e.target.code) for e in registry.eqf_edges(lvl.key)]
        for lvl in registry.release.frameworks["QF-EHEA"].levels
    }
    assert got == {"short": [5], "first": [6], "second": [7], "third": [8]}


def test_every_edge_ends_at_an_existing_level(release: Release) -> None:
    for edge in release.edges:
        assert release.level(edge.source) is not None, edge.source
        assert release.level(edge.target) is not None, edge.target
        assert edge.sources, f"{edge.source}→{edge.target} has no source"
        assert 0 < edge.confidence <= 1


def test_uris_are_unique_across_files(release: Release) -> None:
    seen: dict[str, str] = {}
    for fw in release.frameworks.values():
        for uri in fw.uris:
            assert uri not in seen, f"{uri}: {fw.id} and {seen[uri]}"
            seen[uri] = fw.id
        for lvl in fw.levels:
            for uri in lvl.uris:
                assert uri not in seen, f"{uri}: {lvl.key} and {seen[uri]}"
                seen[uri] = str(lvl.key)


def test_381_eu_vocabulary_level_uris(release: Release) -> None:
    uris = [
        u
        for fw in release.frameworks.values()
        for lvl in fw.levels
        for u in lvl.uris
        if u.startswith("http://data.europa.eu/snb/qdr/")
    ]
    assert len(uris) == len(set(uris)) == 381


def test_every_level_is_referenced_or_says_why(release: Release) -> None:
    referenced = {e.source for e in release.edges if e.target.framework == EQF_ID}
    for fw in release.frameworks.values():
        if fw.id == EQF_ID:
            continue
        for lvl in fw.levels:
            assert lvl.key in referenced or lvl.not_referenced_note, lvl.key


def eqf(registry: Registry, level: str) -> list[int]:
    return [int(e.target.code) for e in registry.eqf_edges(registry.level(level).key)]


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("IE-NFQ:7", [6]),
        ("IE-NFQ:8", [6]),
        ("IE-NFQ:10", [8]),
        ("UK-SCT-SCQF:7", [5]),
        ("UK-SCT-SCQF:8", [5]),
        ("UK-SCT-SCQF:12", [8]),
        ("SI-SQF:9", [8]),
        ("SI-SQF:10", [8]),
        ("HR-CROQF:7.1", [7]),
        ("HR-CROQF:7.2", [7]),
        ("DE-DQR:6", [6]),
        ("NL-NLQF:4+", [4]),
    ],
)
def test_irregular_frameworks(registry: Registry, level: str, expected: list[int]) -> None:
    assert eqf(registry, level) == expected


@pytest.mark.parametrize(
    "level", ["MT-MQF:A", "MT-MQF:B", "BG-BQF:0", "UK-SCT-SCQF:1", "NL-NLQF:Entry"]
)
def test_not_referenced_levels(registry: Registry, level: str) -> None:
    assert eqf(registry, level) == []
    result = registry.compare(level, "EQF")
    assert result.matches == ()
    assert result.reason is NotComparableReason.NOT_REFERENCED


def test_ireland_levels_7_and_8_are_each_narrower_than_eqf_6(registry: Registry) -> None:
    result = registry.compare("EQF:6", "IE-NFQ")
    assert [(m.level.code, m.match_type) for m in result.matches] == [
        ("7", MatchType.NARROW),
        ("8", MatchType.NARROW),
    ]


@pytest.mark.parametrize("framework", ["AU-AQF", "NZ-NZQF", "ASEAN-AQRF"])
def test_non_european_frameworks_are_present_and_say_whether_referenced(
    release: Release, framework: str
) -> None:
    fw = release.frameworks[framework]
    assert fw.levels
    if not fw.eqf_referenced:
        assert all(lvl.not_referenced_note for lvl in fw.levels)


def test_france_history(registry: Registry) -> None:
    old = registry.level("FR-CNCP:V")
    assert old.validity.valid_to is not None
    before = old.validity.valid_to - dt.timedelta(days=1)
    assert [
        m.level.code for m in registry.compare("FR-CNCP:V", "DE-DQR", as_of=before).matches
    ] == ["3"]
    after = registry.compare("FR-CNCP:V", "DE-DQR", as_of=old.validity.valid_to)
    assert after.reason is NotComparableReason.NOT_VALID_AT_DATE


def test_every_european_framework_compares_with_every_other(registry: Registry) -> None:
    """No exception anywhere, and every referenced level finds a match or a stated reason."""
    ids = sorted(registry.release.frameworks)
    for source_id in ids:
        for level in registry.release.frameworks[source_id].levels:
            for target_id in ids:
                result = registry.compare(str(level.key), target_id)
                assert result.matches or result.reason is not None


def test_qualification_type_search_places_honours_bachelor_in_ireland(registry: Registry) -> None:
    (best, *_rest) = registry.search_qualification_types("honours bachelor", jurisdiction="IE")
    assert best.qualification_type.name == "Honours Bachelor Degree"
    assert best.level is not None and best.level.key == LevelKey("IE-NFQ", "8")
    assert best.qualification_type.eqf_level == 6


def test_release_hash_covers_every_file() -> None:
    names = [display for display, _ in data_files(FRAMEWORKS_DIR, MAPPINGS_DIR)]
    assert "frameworks/eqf.yaml" in names
    assert "mappings/confidence.yaml" in names
    assert not any("/_schema/" in n for n in names)
