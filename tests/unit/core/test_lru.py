"""The bounded table behind the request-path caches: LRU (or FIFO) eviction, O(1), never over capacity."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guard.core.lru import BoundedLRU


def test_a_full_table_drops_the_least_recently_used() -> None:
    """Reading a key makes it recent, so the next put drops the one read longest ago."""
    lru: BoundedLRU[str, int] = BoundedLRU(2)
    lru.put("a", 1)
    lru.put("b", 2)
    assert lru.get("a") == 1
    lru.put("c", 3)
    assert "b" not in lru
    assert (lru.get("a"), lru.get("c"), len(lru)) == (1, 3, 2)


def test_putting_a_present_key_replaces_its_value_and_makes_it_recent() -> None:
    """A second put of a key keeps one entry, with the new value, as the most recent."""
    lru: BoundedLRU[str, int] = BoundedLRU(2)
    lru.put("a", 1)
    lru.put("b", 2)
    lru.put("a", 10)
    lru.put("c", 3)
    assert lru.values() == [10, 3]


def test_without_refresh_the_first_in_is_the_first_out() -> None:
    """With refresh_on_get=False neither reads nor rewrites change the order entries leave in."""
    fifo: BoundedLRU[str, int] = BoundedLRU(2, refresh_on_get=False)
    fifo.put("a", 1)
    fifo.put("b", 2)
    assert fifo.get("a") == 1
    fifo.put("a", 10)
    fifo.put("c", 3)
    assert fifo.values() == [2, 3]


@pytest.mark.parametrize("capacity", [0, -1])
@pytest.mark.parametrize("refresh", [True, False])
def test_a_capacity_of_zero_or_less_keeps_nothing(capacity: int, refresh: bool) -> None:
    """Such a table accepts puts and answers every get with None."""
    lru: BoundedLRU[str, int] = BoundedLRU(capacity, refresh_on_get=refresh)
    lru.put("a", 1)
    assert (lru.get("a"), len(lru), "a" in lru) == (None, 0, False)


def test_pop_and_clear_remove_entries() -> None:
    """`pop` answers the removed value (None if absent); `clear` empties the table."""
    lru: BoundedLRU[str, int] = BoundedLRU(3)
    lru.put("a", 1)
    lru.put("b", 2)
    assert (lru.pop("a"), lru.pop("a"), len(lru)) == (1, None, 1)
    lru.clear()
    assert (len(lru), lru.get("b")) == (0, None)


def test_membership_does_not_make_a_key_recent() -> None:
    """`in` only looks: the key it asked about still leaves first."""
    lru: BoundedLRU[str, int] = BoundedLRU(2)
    lru.put("a", 1)
    lru.put("b", 2)
    assert "a" in lru
    lru.put("c", 3)
    assert "a" not in lru


def test_values_is_a_copy() -> None:
    """The list `values` answers does not change with the table."""
    lru: BoundedLRU[str, int] = BoundedLRU(1)
    lru.put("a", 1)
    seen = lru.values()
    lru.put("b", 2)
    assert (seen, lru.values()) == ([1], [2])


@dataclass
class ListModel:
    """The reference: a list of (key, value), first to leave first, searched linearly."""

    capacity: int
    refresh: bool
    entries: list[tuple[int, int]] = field(default_factory=list)

    def find(self, key: int) -> int | None:
        return next((n for n, (k, _) in enumerate(self.entries) if k == key), None)

    def get(self, key: int) -> int | None:
        n = self.find(key)
        if n is None:
            return None
        entry = self.entries[n]
        if self.refresh:
            self.entries.append(self.entries.pop(n))
        return entry[1]

    def put(self, key: int, value: int) -> None:
        if self.capacity <= 0:
            return
        n = self.find(key)
        if n is None:
            self.entries.append((key, value))
        elif self.refresh:
            del self.entries[n]
            self.entries.append((key, value))
        else:
            self.entries[n] = (key, value)
        if len(self.entries) > self.capacity:
            del self.entries[0]

    def pop(self, key: int) -> int | None:
        n = self.find(key)
        return None if n is None else self.entries.pop(n)[1]


# (operation, key, value): the value only counts for "put". Few keys, so they meet often.
OPERATIONS = st.lists(
    st.tuples(st.sampled_from(["put", "put", "put", "get", "get", "pop", "contains", "clear"]),
              st.integers(0, 4), st.integers(0, 99)),
    max_size=60,
)


@settings(max_examples=400)  # cheap examples; fewer miss order bugs that need three puts in a row
@given(capacity=st.integers(-1, 4), refresh=st.booleans(), operations=OPERATIONS)
def test_behaves_like_a_list_of_entries(capacity: int, refresh: bool, operations: list[tuple[str, int, int]]) -> None:
    """Over any sequence of operations, answers, size and eviction order match the list model."""
    lru: BoundedLRU[int, int] = BoundedLRU(capacity, refresh_on_get=refresh)
    model = ListModel(capacity, refresh)
    for name, key, value in operations:
        if name == "get":
            assert lru.get(key) == model.get(key)
        elif name == "put":
            lru.put(key, value)
            model.put(key, value)
        elif name == "pop":
            assert lru.pop(key) == model.pop(key)
        elif name == "contains":
            assert (key in lru) == (model.find(key) is not None)
        else:
            lru.clear()
            model.entries.clear()
        assert lru.values() == [v for _, v in model.entries]
        assert len(lru) == len(model.entries) <= max(capacity, 0)
