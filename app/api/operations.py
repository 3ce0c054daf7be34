"""Which operation a raw ASGI request is for, before the router runs.

The request guard and the rate limiter work at the ASGI level (they must answer before any body
is parsed) but need facts about the operation: the request media types it declares in the
OpenAPI document, and its tags (its endpoint group). :class:`OperationTable` matches a request
against the app's routes the way the router will, and reads those facts from the app itself, so
nothing is listed twice.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.types import Scope


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    path: str  # the path template, as in the OpenAPI document
    tags: frozenset[str]
    media_types: frozenset[str]  # request body media types declared; empty = takes no body
    path_params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Entry:
    regex: re.Pattern[str]
    methods: frozenset[str]
    path: str
    tags: frozenset[str]


class OperationTable:
    """Routes of ``app`` with their OpenAPI facts, built on first use (after every router is in)."""

    def __init__(self) -> None:
        self._entries: list[_Entry] | None = None
        self._media: dict[tuple[str, str], frozenset[str]] = {}
        self._lock = threading.Lock()

    def _build(self, app: FastAPI) -> list[_Entry]:
        with self._lock:
            if self._entries is None:
                entries: list[_Entry] = []
                for route in iter_route_contexts(app.routes):
                    regex = getattr(route, "path_regex", None)
                    if regex is None:
                        continue
                    entries.append(
                        _Entry(
                            regex=regex,
                            methods=frozenset(getattr(route, "methods", None) or ()),
                            path=str(getattr(route, "path_format", route.path)),
                            tags=frozenset(str(t) for t in (getattr(route, "tags", None) or ())),
                        )
                    )
                self._media = route_media_types(app)
                self._entries = entries
            return self._entries

    def find(self, scope: Scope) -> Operation | None:
        """The operation the router will run for ``scope``; ``None`` for a 404 or 405."""
        entries = self._entries if self._entries is not None else self._build(scope["app"])
        path = _route_path(scope)
        method = scope["method"]
        for entry in entries:
            if method not in entry.methods:
                continue
            match = entry.regex.match(path)
            if match is None:
                continue
            return Operation(
                method=method,
                path=entry.path,
                tags=entry.tags,
                media_types=self._media.get((method, entry.path), frozenset()),
                path_params={k: str(v) for k, v in match.groupdict().items()},
            )
        return None


def _route_path(scope: Scope) -> str:
    """The path the router matches: the request path without the app's ``root_path``."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def route_media_types(app: FastAPI) -> dict[tuple[str, str], frozenset[str]]:
    """What :func:`declared_media_types` reads from ``app.openapi()``, read from the routes.

    The OpenAPI document costs 0.6–1.2 s of CPU to generate, which the first request paid (the
    guard runs before any router); FastAPI writes a request body's media type from the route's
    body field and merges ``openapi_extra``, so the routes say the same (tests/api/
    test_operations_media.py compares both on the real app).
    """
    table: dict[tuple[str, str], frozenset[str]] = {}
    for route in iter_route_contexts(app.routes):
        if not getattr(route, "include_in_schema", False):
            continue
        content: set[str] = set()
        body = getattr(route, "body_field", None)
        if body is not None:
            content.add(str(body.field_info.media_type))
        extra = getattr(route, "openapi_extra", None) or {}
        content.update((extra.get("requestBody") or {}).get("content") or {})
        if content:
            path = str(getattr(route, "path_format", route.path))
            for method in getattr(route, "methods", None) or ():
                table[(str(method), path)] = frozenset(content)
    return table


def declared_media_types(openapi: dict[str, Any]) -> dict[tuple[str, str], frozenset[str]]:
    """``(method, path template) -> request media types`` from an OpenAPI document."""
    table: dict[tuple[str, str], frozenset[str]] = {}
    for path, operations in openapi.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            content = (operation.get("requestBody") or {}).get("content") or {}
            if content:
                table[(method.upper(), path)] = frozenset(content)
    return table
