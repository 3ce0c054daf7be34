"""The examples in core docstrings run (so they cannot rot)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import app.core

MODULES = [m.name for m in pkgutil.iter_modules(app.core.__path__, "app.core.")]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
