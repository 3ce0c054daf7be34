"""A bounded LRU cache of serialised responses, scoped to one registry (one data release)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from app.services.registry import Registry


class ResponseCache:
    """Maps a request key to response bytes; entries of another data release never match."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[tuple[str, Hashable], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, registry: Registry) -> bytes | None:
        full = (registry.release.content_hash, key)
        with self._lock:
            body = self._data.get(full)
            if body is not None:
                self._data.move_to_end(full)
            return body

    def put(self, key: Hashable, registry: Registry, body: bytes) -> None:
        with self._lock:
            self._data[(registry.release.content_hash, key)] = body
            if len(self._data) > self.maxsize:
                self._data.popitem(last=False)
