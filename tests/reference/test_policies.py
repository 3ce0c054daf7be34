"""The learning-outcome policy file validates, and bad values are refused with the field named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from app.reference.policies import PolicyError, load_policy
from app.settings import PROJECT_ROOT

MAPPINGS = PROJECT_ROOT / "mappings"


def test_real_policy_loads() -> None:
    policy = load_policy(MAPPINGS)
    assert policy.version
    m = policy.matching
    assert m.semantic_weight + m.lexical_weight == pytest.approx(1.0)
    assert m.candidates <= m.retrieval_rows
    assert {b.name for b in policy.level.bloom} == {
        "remember",
        "understand",
        "apply",
        "analyse",
        "evaluate",
        "create",
    }
    for b in policy.level.bloom:
        assert len(b.profile) == 8 and sum(b.profile) == pytest.approx(1.0)
    assert policy.level.cues


def _write(tmp_path: Path, edit: dict[str, object]) -> Path:
    mp = tmp_path / "mappings"
    (mp / "policies").mkdir(parents=True)
    shutil.copy(MAPPINGS / "policies" / "matching.yaml", mp / "policies" / "matching.yaml")
    data = yaml.safe_load((mp / "policies" / "matching.yaml").read_text())
    for dotted, value in edit.items():
        node = data
        *path, last = dotted.split(".")
        for key in path:
            node = node[key]
        node[last] = value
    (mp / "policies" / "matching.yaml").write_text(yaml.safe_dump(data))
    return mp


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"matching.fusion.semantic": 0.9}, "semantic \\+ lexical must be 1"),
        ({"matching.min_score": 1.5}, "matching.min_score"),
        ({"level.cues": [{"phrases": ["x"], "profile": [1, 2, 3]}]}, "level.cues.0.profile"),
        ({"matching.unknown_knob": 1}, "matching.unknown_knob"),
        ({"level.bloom.apply.verbs": ["use", "use"]}, "listed twice"),
    ],
)
def test_invalid_policy_is_refused(tmp_path: Path, edit: dict[str, object], message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        load_policy(_write(tmp_path, edit))
