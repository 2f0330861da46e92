"""Per-conversation stand-ins: `<PERSON_1>` stays the same person across turns.

The map starts from the vault's entries for the conversation key, hands out the next number (or
a fresh pseudonym) for values it has not seen, and remembers what it added so the stage can
store it. A conversation key is a keyed digest of tenant and conversation id (or subject hash),
so neither id is stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from guard.pii.entities import TOKEN, placeholder
from guard.pii.pseudonyms import Pseudonymizer
from guard.pii.vault import VaultEntry

__all__ = ["ConversationMap"]

_MAX_ATTEMPTS = 64


class ConversationMap:
    def __init__(
        self,
        entries: Iterable[VaultEntry],
        *,
        tenant: str,
        subject_hash: str | None,
        scope: str,
        pseudonymizer: Pseudonymizer,
    ) -> None:
        self.tenant = tenant
        self.subject_hash = subject_hash
        self._scope = scope
        self._pseudonymizer = pseudonymizer
        self._by_value: dict[tuple[str, str, str], str] = {}
        self._by_token: dict[str, VaultEntry] = {}
        self._next: dict[str, int] = {}
        self.added: list[VaultEntry] = []
        for entry in entries:
            self._remember(entry)

    def _remember(self, entry: VaultEntry) -> None:
        self._by_value[(entry.entity, entry.operator, entry.value)] = entry.token
        self._by_token[entry.token] = entry
        if entry.operator == "placeholder" and (match := TOKEN.fullmatch(entry.token)):
            number = int(match.group(2))
            self._next[entry.entity] = max(self._next.get(entry.entity, 1), number + 1)

    def token_for(self, entity: str, operator: str, value: str, *, taken: Callable[[str], bool]) -> str:
        """The stand-in for a value, new if needed; `taken(token)` says a token would be ambiguous."""
        known = self._by_value.get((entity, operator, value))
        if known is not None:
            return known
        token = self._new_token(entity, operator, value, taken)
        entry = VaultEntry(entity, operator, value, token, self.tenant, self.subject_hash)
        self._remember(entry)
        self.added.append(entry)
        return token

    def _new_token(self, entity: str, operator: str, value: str, taken: Callable[[str], bool]) -> str:
        if operator == "placeholder":
            # Skip numbers the user typed literally: even if a model drops the escape of a typed
            # `<PERSON_1>`, it then cannot be mistaken for a new value's placeholder.
            number = self._next.get(entity, 1)
            while placeholder(entity, number) in self._by_token or taken(placeholder(entity, number)):
                number += 1
            return placeholder(entity, number)
        for attempt in range(_MAX_ATTEMPTS):
            token = self._pseudonymizer.make(entity, value, scope=self._scope, attempt=attempt)
            if token != value and token not in self._by_token and not taken(token):
                return token
        # Every realistic stand-in collided (tiny name lists, huge conversation): fall back to a
        # placeholder-shaped one, which cannot collide.
        number = self._next.get(entity, 1)
        while placeholder(entity, number) in self._by_token:
            number += 1
        return placeholder(entity, number)

    def restorable(self) -> dict[str, str]:
        """Token -> original value for every reversible stand-in of the conversation."""
        return {token: entry.value for token, entry in self._by_token.items()}

    def values(self) -> set[str]:
        return {entry.value for entry in self._by_token.values()}


def mentions(texts: Iterable[str]) -> Callable[[str], bool]:
    """A `taken` test: does the candidate occur as a whole word in any of the texts?"""
    joined = "\n".join(texts)

    def taken(token: str) -> bool:
        return re.search(r"(?<!\w)" + re.escape(token) + r"(?!\w)", joined) is not None

    return taken
