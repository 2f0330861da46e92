"""A bounded table that forgets the least recently used entry, or the oldest one.

The caches on the request path (analysis offsets, special categories, sentence scores, recent
decisions, consent reads) all keep at most a fixed number of entries; this is their one table.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

__all__ = ["BoundedLRU"]

K = TypeVar("K")
V = TypeVar("V")


class BoundedLRU(Generic[K, V]):
    """At most `capacity` entries (none if it is 0 or less); each operation is O(1).

    `put` past the capacity drops the least recently used entry: `get` and `put` of a key make it
    the most recent. With `refresh_on_get=False` it is a bounded FIFO instead: entries leave in the
    order they first came, whatever is read or written again meanwhile.

    `get` answers None for a missing key, so None is not a value to store. Not locked: a table
    shared by threads is guarded by its owner's lock.
    """

    def __init__(self, capacity: int, *, refresh_on_get: bool = True) -> None:
        self._capacity = capacity
        self._refresh = refresh_on_get
        self._items: OrderedDict[K, V] = OrderedDict()
        if not refresh_on_get:
            # A read only looks: the dict's own `get` serves it without a Python frame (hot paths).
            self.get = self._items.get  # type: ignore[method-assign,assignment]

    @property
    def capacity(self) -> int:
        return self._capacity

    def get(self, key: K) -> V | None:
        """The value stored under `key`, or None; makes `key` the most recent (unless not refreshing)."""
        items = self._items
        value = items.get(key)
        if value is not None:
            items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        """Store `value` under `key`, dropping the first entry to go if the table is full."""
        if self._capacity <= 0:
            return
        items = self._items
        items[key] = value
        if self._refresh:
            items.move_to_end(key)
        # One put adds at most one entry, and the capacity never changes: one eviction suffices.
        if len(items) > self._capacity:
            items.popitem(last=False)

    def pop(self, key: K) -> V | None:
        """Remove `key`; its value, or None if it was not there."""
        return self._items.pop(key, None)

    def clear(self) -> None:
        self._items.clear()

    def values(self) -> list[V]:
        """The values, first to go first (a copy: safe to hold while the table changes)."""
        return list(self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        """Whether `key` is stored; unlike `get`, this does not make it recent."""
        return key in self._items

    def __repr__(self) -> str:
        kind = "LRU" if self._refresh else "FIFO"
        return f"<BoundedLRU {kind} {len(self._items)}/{self._capacity}>"
