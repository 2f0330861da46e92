"""The therapy-request signal (`signals.therapy_request`) for rules such as Illinois HB 1806.

A short keyword list over the newest user message, not a classifier: it fires on explicit asks
for therapy, a diagnosis or a treatment plan ("be my therapist", "can you diagnose me", "write me
a treatment plan"), in English, German, French and Spanish. It misses paraphrases and does not
fire on talk *about* therapy ("my therapist said..."). Extend or replace it in your deployment.
"""

from __future__ import annotations

import re

__all__ = ["is_therapy_request"]

_PATTERNS = (
    # English
    r"\b(?:be|act as|pretend to be|work as|become) (?:my|a) (?:therapist|psychotherapist|counsell?or|psychologist)\b",
    r"\b(?:give|do|start|run|have) (?:me )?(?:a |an |our )?(?:therapy|psychotherapy|cbt|counsell?ing) session\b",
    r"\b(?:can|could|will|would) you (?:be|do|provide|give me) (?:my )?(?:therapy|psychotherapy|counsell?ing)\b",
    r"\b(?:diagnose|treat) (?:me|my)\b",
    r"\b(?:write|make|create|give me|design) (?:me )?(?:a |my )?(?:treatment|therapy) plan\b",
    r"\binstead of (?:a|my) (?:therapist|psychologist|psychiatrist)\b",
    # German, French, Spanish
    r"\bsei (?:mein|meine) (?:therapeut|therapeutin|psychologe|psychologin)\b",
    r"\b(?:therapiestunde|behandlungsplan)\b",
    r"\bsois (?:mon|ma) (?:thérapeute|psychologue|psy)\b",
    r"\bplan de traitement\b",
    r"\bsé (?:mi) (?:terapeuta|psicólogo|psicóloga)\b",
    r"\bplan de tratamiento\b",
)

_THERAPY = re.compile("|".join(f"(?:{pattern})" for pattern in _PATTERNS), re.IGNORECASE)


def is_therapy_request(text: str) -> bool:
    """True when the text explicitly asks the AI to act as a therapist or to treat or diagnose."""
    return bool(_THERAPY.search(text))
