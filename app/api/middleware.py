"""ASGI middleware that checks raw input before any router or parser sees it (issue 12, item 7).

:class:`RequestGuard` is the one place for these rules, on every operation:

* **size**: a body over ``max_body_bytes`` answers 413, with or without ``Content-Length``
  (a chunked upload is counted as it arrives and refused as soon as it passes the limit; the
  router never sees it, so no body parser can turn the refusal into a 400);
* **media type**: a write (POST, PUT, PATCH) must send a ``Content-Type`` the operation declares
  in the OpenAPI document, by family (:func:`app.api.body_limits.accepts`); a missing type or a
  CORS "simple" one (``text/plain``, forms) answers 415, so a cross-site form or ``fetch``
  without preflight stores nothing;
* **encoding**: a JSON body that is not UTF-8 (RFC 8259) answers 422;
* **nesting**: a JSON body nested deeper than ``max_json_depth`` answers 413 before Python's
  recursive JSON parser can raise ``RecursionError``;
* **NUL**: a NUL character in a path or query parameter, or in any string of a JSON body, or a
  NUL byte in a CSV or token body, answers 422 naming the parameter or pointer. PostgreSQL
  cannot store NUL in text, so without this check each of those places was a 500 there.

Operations are found by :class:`app.api.operations.OperationTable`; a request no route takes goes
through untouched, for the app to answer 404 or 405.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.adapters.importers.safety import check_depth
from app.api.body_limits import (
    accepts,
    json_depth,
    media_family,
    media_type,
    nul_parameter,
    nul_pointer,
)
from app.api.operations import OperationTable
from app.api.problems import (
    PAYLOAD_TOO_LARGE,
    PROBLEM_JSON,
    UNSUPPORTED_MEDIA,
    VALIDATION,
    ProblemType,
)
from app.core.errors import PayloadTooLarge

_WRITES = frozenset({"POST", "PUT", "PATCH"})


class _TooLarge(Exception):
    pass


async def send_problem(
    scope: Scope,
    send: Send,
    problem: ProblemType,
    detail: str,
    errors: list[dict[str, Any]],
    headers: list[tuple[bytes, bytes]] | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Answer an RFC 9457 problem straight from ASGI (no app, no router involved)."""
    document: dict[str, Any] = {
        "type": problem.uri,
        "title": problem.title,
        "status": problem.status,
        "detail": detail,
        "instance": scope.get("path", ""),
    }
    if errors:
        document["errors"] = errors
    document.update(extra or {})
    body = json.dumps(document).encode()
    await send(
        {
            "type": "http.response.start",
            "status": problem.status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RequestGuard:
    """Size, media type, JSON depth and NUL checks (module docstring) before the app runs."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_json_depth: int = 64) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_json_depth = max_json_depth
        self.operations = OperationTable()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = self._content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._too_large(scope, send)
            return
        operation = self.operations.find(scope)
        path_params = operation.path_params if operation is not None else {}
        if await self._nul_in_parameters(scope, send, path_params):
            return
        declared_types = (
            operation.media_types
            if operation is not None and scope["method"] in _WRITES
            else frozenset()
        )
        if not declared_types:
            await self._limited(scope, receive, send)
            return
        media = media_type(_header(scope, b"content-type"))
        if not accepts(declared_types, media):
            shown = "A body without Content-Type" if media is None else f"Content-Type {media!r}"
            await send_problem(
                scope,
                send,
                UNSUPPORTED_MEDIA,
                f"{shown} is not accepted here: send {', '.join(sorted(declared_types))}.",
                [{"parameter": "Content-Type", "in": "header", "detail": "unsupported"}],
            )
            return
        try:
            body = await self._read(receive)
        except _TooLarge:
            await self._too_large(scope, send)
            return
        if await self._bad_body(scope, send, media_family(media or ""), body):
            return
        await self.app(scope, _replay(body, receive), send)

    @staticmethod
    def _content_length(scope: Scope) -> int | None:
        raw = _header(scope, b"content-length")
        try:
            return int(raw) if raw is not None else None
        except ValueError:
            return None

    async def _nul_in_parameters(
        self, scope: Scope, send: Send, path_params: dict[str, Any]
    ) -> bool:
        where: dict[str, str] | None = None
        if "\x00" in scope.get("path", ""):
            name = next(
                (k for k, v in path_params.items() if "\x00" in str(v)),
                "path",
            )
            where = {"parameter": name, "in": "path"}
        else:
            query = scope.get("query_string", b"")
            if b"%00" in query or b"\x00" in query:
                pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
                name_or_none = nul_parameter(pairs)
                if name_or_none is not None:
                    where = {"parameter": name_or_none, "in": "query"}
        if where is None:
            return False
        await send_problem(
            scope,
            send,
            VALIDATION,
            f"{where['parameter']}: NUL characters are not allowed",
            [{**where, "detail": "NUL characters are not allowed"}],
        )
        return True

    async def _bad_body(self, scope: Scope, send: Send, family: str, body: bytes) -> bool:
        if family == "json":
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as exc:
                # RFC 8259 section 8.1: JSON exchanged between systems is UTF-8. Without this,
                # the body parser's decoding error surfaces as a bare 400.
                await send_problem(
                    scope,
                    send,
                    VALIDATION,
                    f"The JSON body is not UTF-8 (byte {exc.start}).",
                    [{"pointer": "", "detail": "not UTF-8"}],
                )
                return True
            depth = json_depth(body)
            if depth > self.max_json_depth:
                deep_at = _too_deep_at(body, self.max_json_depth)
                await send_problem(
                    scope,
                    send,
                    PAYLOAD_TOO_LARGE,
                    f"The JSON body is nested {depth} levels deep; at most "
                    f"{self.max_json_depth} are accepted.",
                    [{"pointer": deep_at, "detail": f"at most {self.max_json_depth} levels"}],
                )
                return True
            pointer = nul_pointer(body)
        else:
            pointer = "" if b"\x00" in body else None
        if pointer is None:
            return False
        await send_problem(
            scope,
            send,
            VALIDATION,
            f"{pointer or '/'}: NUL characters are not allowed",
            [{"pointer": pointer, "detail": "NUL characters are not allowed"}],
        )
        return True

    async def _read(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away; the app sees an empty body
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    async def _limited(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run an operation that takes no body, still refusing an oversized one."""
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._too_large(scope, send)

    async def _too_large(self, scope: Scope, send: Send) -> None:
        await send_problem(
            scope,
            send,
            PAYLOAD_TOO_LARGE,
            f"The request body is larger than {self.max_bytes} bytes.",
            [{"pointer": "", "detail": f"at most {self.max_bytes} bytes"}],
        )


def _too_deep_at(body: bytes, max_depth: int) -> str:
    """The JSON pointer of the first container past ``max_depth`` (the credential importers'
    own check names it; run only on a body already known to be too deep)."""
    try:
        check_depth(body.decode("utf-8"), max_depth)
    except PayloadTooLarge as exc:
        return exc.field or ""
    return ""


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then defers to the server."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
