"""Kept results: what is expensive to compute is computed once per data version.

A :class:`Kept` holds results (figures, rendered parts of pages) under keys that end in the
:func:`lingtan.store.versions.data_version` they were computed at, so a kept result is always
exactly the one that would be computed now: a change to the data raises the version, and the
next request computes afresh under the new key (the old entry falls out as the least recently
used). Each application has its own, by name (:func:`kept`); each worker process its own.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from starlette.applications import Starlette

__all__ = ["Kept", "kept"]

#: Entries kept per name and application (least recently used ones go first).
ENTRIES = 64


class Kept:
    """A thread-safe store of at most ``size`` results, least recently used out first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[Hashable, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self.lock:
            found = self.entries.get(key)
            if found is not None:
                self.entries.move_to_end(key)
            return found

    def discard(self, key: Hashable) -> None:
        with self.lock:
            self.entries.pop(key, None)

    def put(self, key: Hashable, value: Any) -> None:
        with self.lock:
            self.entries[key] = value
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


def kept(app: Starlette, name: str, size: int = ENTRIES) -> Kept:
    """The application's :class:`Kept` of this name (created on first use)."""
    stores = app.state.kept
    with _CREATING:
        found = stores.get(name)
        if found is None:
            found = stores[name] = Kept(size)
    return found


_CREATING = threading.Lock()
