"""Shared helpers of the CLI: settings, a ready registry, JSON output."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console

from app.services.registry import Registry
from app.settings import Settings, get_settings

console = Console()
err_console = Console(stderr=True)


def settings() -> Settings:
    return get_settings()


def registry_from_files() -> Registry:
    """A registry straight from the data files: fast, and needs no database."""
    from app.services.startup import load_files

    return Registry(load_files(settings()))


def print_json(data: Any) -> None:
    console.print_json(json.dumps(data, default=str, ensure_ascii=False))
