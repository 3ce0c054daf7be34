"""Level comparison on toy frameworks (no database, no real data)."""

from __future__ import annotations

import datetime as dt

import pytest

from app.core.levels import compare_level, compare_matrix, compose
from app.core.types import EdgeKind, LevelKey, MatchType, NotComparableReason
from tests.core.toy import SWITCH, toy_graph

G = toy_graph()


def codes(source: str, target: str, as_of: dt.date | None = None) -> list[tuple[str, str]]:
    fid, code = source.split(":")
    result = compare_level(G, LevelKey(fid, code), target, as_of=as_of)
    return [(m.level.code, m.match_type.value) for m in result.matches]


class TestCompose:
    @pytest.mark.parametrize(
        ("first", "second", "expected"),
        [
            (MatchType.EXACT, MatchType.EXACT, MatchType.EXACT),
            (MatchType.EXACT, MatchType.NARROW, MatchType.NARROW),
            (MatchType.BROAD, MatchType.EXACT, MatchType.BROAD),
            (MatchType.BROAD, MatchType.BROAD, MatchType.BROAD),
            (MatchType.NARROW, MatchType.NARROW, MatchType.NARROW),
            (MatchType.BROAD, MatchType.NARROW, MatchType.RELATED),
            (MatchType.NARROW, MatchType.BROAD, MatchType.RELATED),
            (MatchType.CLOSE, MatchType.BROAD, MatchType.BROAD),
            (MatchType.CLOSE, MatchType.CLOSE, MatchType.CLOSE),
            (MatchType.RELATED, MatchType.EXACT, MatchType.RELATED),
            (MatchType.CLOSE, MatchType.RELATED, MatchType.RELATED),
        ],
    )
    def test_table(self, first: MatchType, second: MatchType, expected: MatchType) -> None:
        assert compose(first, second) is expected

    def test_inverse_round_trip(self) -> None:
        for mt in MatchType:
            assert mt.inverse().inverse() is mt


class TestCompareLevel:
    def test_two_national_levels_share_one_eqf_level(self) -> None:
        assert codes("IE-NFQ:7", "EQF") == [("6", "broad")]
        assert codes("IE-NFQ:8", "EQF") == [("6", "broad")]
        assert codes("EQF:6", "IE-NFQ") == [("7", "narrow"), ("8", "narrow")]

    def test_one_to_one_is_exact_and_path_goes_through_eqf(self) -> None:
        result = compare_level(G, LevelKey("DE-DQR", "6"), "MT-MQF")
        (match,) = result.matches
        assert (match.level.code, match.match_type) == ("6", MatchType.EXACT)
        assert [str(k) for k in match.path] == ["DE-DQR:6", "EQF:6", "MT-MQF:6"]
        assert match.confidence == pytest.approx(0.81)
        assert all(step.sources for step in match.steps)

    def test_sibling_sublevels_are_related_not_exact(self) -> None:
        # NFQ 8 and SCQF 9 both sit inside EQF 6: the graph only knows they overlap.
        result = compare_level(G, LevelKey("IE-NFQ", "8"), "UK-SCT-SCQF")
        by_code = {m.level.code: m for m in result.matches}
        assert by_code["9"].match_type is MatchType.RELATED

    def test_direct_crosswalk_ranks_first_and_keeps_its_provenance(self) -> None:
        result = compare_level(G, LevelKey("IE-NFQ", "8"), "UK-SCT-SCQF")
        best = result.matches[0]
        assert best.level.code == "10"
        assert best.match_type is MatchType.CLOSE
        assert [s.kind for s in best.steps] == [EdgeKind.CROSSWALK]
        assert any("also reached via" in n for n in best.notes)

    def test_higher_confidence_ranks_first_among_equal_relations(self) -> None:
        result = compare_level(G, LevelKey("UK-SCT-SCQF", "9"), "IE-NFQ")
        confidences = [m.confidence for m in result.matches if m.match_type is MatchType.RELATED]
        assert confidences == sorted(confidences, reverse=True)

    def test_unreferenced_level_says_so(self) -> None:
        result = compare_level(G, LevelKey("MT-MQF", "A"), "DE-DQR")
        assert result.matches == ()
        assert result.reason is NotComparableReason.NOT_REFERENCED
        assert "below EQF level 1" in result.notes[0]

    def test_unreferenced_target_framework_says_so(self) -> None:
        result = compare_level(G, LevelKey("DE-DQR", "6"), "AU-AQF")
        assert result.reason is NotComparableReason.NOT_REFERENCED
        assert "AU-AQF" in result.notes[0]

    def test_no_level_at_that_eqf_level(self) -> None:
        result = compare_level(G, LevelKey("DE-DQR", "8"), "SK-SKKR")
        assert result.reason is NotComparableReason.NO_COMPARABLE_LEVEL
        assert "EQF 8" in result.notes[0]

    def test_identity_within_one_framework(self) -> None:
        result = compare_level(G, LevelKey("IE-NFQ", "8"), "IE-NFQ")
        assert [(m.level.code, m.confidence) for m in result.matches] == [("8", 1.0)]


class TestAsOf:
    def test_old_level_valid_before_the_switch(self) -> None:
        assert codes("FR-CNCP:V", "DE-DQR", dt.date(2015, 6, 1)) == [("3", "exact")]

    def test_old_level_not_valid_after_the_switch_names_its_successor(self) -> None:
        result = compare_level(G, LevelKey("FR-CNCP", "V"), "DE-DQR", as_of=SWITCH)
        assert result.reason is NotComparableReason.NOT_VALID_AT_DATE
        assert any("succeeded by FR-CNCP:3" in n for n in result.notes)

    def test_target_versions_follow_the_date(self) -> None:
        assert codes("DE-DQR:3", "FR-CNCP", dt.date(2024, 1, 1)) == [("3", "exact")]
        assert codes("DE-DQR:3", "FR-CNCP", dt.date(2010, 1, 1)) == [("V", "exact")]

    def test_without_date_current_levels_rank_before_historical_ones(self) -> None:
        result = compare_level(G, LevelKey("DE-DQR", "3"), "FR-CNCP")
        assert [m.level.code for m in result.matches] == ["3", "V"]
        assert any("historical" in n for n in result.matches[1].notes)


def test_matrix_covers_every_level_against_eqf_and_the_others() -> None:
    matrix = compare_matrix(G, ["IE-NFQ", "DE-DQR"])
    assert len(matrix) == 10 + 8
    row = matrix[LevelKey("IE-NFQ", "8")]
    assert set(row) == {"EQF", "DE-DQR"}
    assert [m.level.code for m in row["DE-DQR"].matches] == ["6"]
