"""Identifier resolution: every form of API.md "Identifiers"."""

from __future__ import annotations

import pytest

from app.core.errors import AmbiguousIdentifier, UnknownFramework, UnknownLevel
from app.core.identifiers import IdentifierIndex
from app.core.types import LevelKey
from tests.core.toy import toy_frameworks

INDEX = IdentifierIndex.build(toy_frameworks())


@pytest.mark.parametrize(
    "identifier", ["IE-NFQ", "ie-nfq", "http://toy/IE-NFQ", "http://toy/IE-NFQ/", "IE", " ie "]
)
def test_framework_forms(identifier: str) -> None:
    assert INDEX.framework(identifier) == "IE-NFQ"


@pytest.mark.parametrize(
    "identifier",
    ["IE-NFQ:8", "ie-nfq:8", "IE:8", "http://toy/IE-NFQ/8", "http://toy/IE-NFQ:8"],
)
def test_level_forms(identifier: str) -> None:
    assert INDEX.level(identifier) == LevelKey("IE-NFQ", "8")


def test_codes_match_case_insensitively() -> None:
    assert INDEX.level("MT:a") == LevelKey("MT-MQF", "A")


def test_eqf_uri() -> None:
    assert INDEX.level("http://toy/eqf/6") == LevelKey("EQF", "6")


def test_unknown_framework_carries_the_identifier() -> None:
    with pytest.raises(UnknownFramework) as info:
        INDEX.framework("XX-NOPE", field="target")
    assert info.value.identifier == "XX-NOPE"
    assert info.value.field == "target"


@pytest.mark.parametrize("identifier", ["IE-NFQ:99", "IE-NFQ", "http://toy/nothing", "nope"])
def test_unknown_levels(identifier: str) -> None:
    with pytest.raises((UnknownLevel, UnknownFramework)):
        INDEX.level(identifier)


def test_a_jurisdiction_with_several_frameworks_is_ambiguous() -> None:
    from tests.core.toy import _fw

    index = IdentifierIndex.build([_fw("BE-FL-FQF", ["1"]), _fw("BE-FR-CFC", ["1"])])
    with pytest.raises(AmbiguousIdentifier) as info:
        index.framework("BE")
    assert info.value.candidates == ["BE-FL-FQF", "BE-FR-CFC"]
