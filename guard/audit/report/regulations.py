"""The regulations the shipped policy pack encodes, and how to recognise evidence for each in records.

A reason's `citation` names the law (e.g. "EU AI Act Art. 5(1)(f)", "GDPR Art. 6(1)(a), Art. 7",
"New York GBL Art. 47 §1702"). Citations are normalised (case, spacing, state names) and split
into articles, so "GDPR Art. 9(2)(a)" counts for GDPR Art. 9 but "GDPR Art. 90" does not.
Besides citations, some obligations and audit events are evidence for a rule (e.g. every
`disclose_ai` obligation for EU AI Act Art. 50(1); erasure tombstones for GDPR Art. 17).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

__all__ = ["REGULATIONS", "Regulation", "cited_regulations", "normalise_citation"]


@dataclass(frozen=True, slots=True)
class Regulation:
    key: str                      # normalised citation prefix
    citation: str                 # how people write it
    substance: str
    obligations: tuple[str, ...] = ()
    events: tuple[str, ...] = ()  # audit event type prefixes that evidence it
    audit_log: bool = False       # the signed audit log itself is evidence (records of processing)
    aliases: tuple[str, ...] = field(default=())


REGULATIONS: tuple[Regulation, ...] = (
    Regulation("euaiactart.5(1)(a)", "EU AI Act Art. 5(1)(a)",
               "No manipulative or deceptive techniques that materially distort behaviour."),
    Regulation("euaiactart.5(1)(b)", "EU AI Act Art. 5(1)(b)",
               "No exploiting vulnerabilities due to age, disability or social or economic situation."),
    Regulation("euaiactart.5(1)(f)", "EU AI Act Art. 5(1)(f)",
               "No emotion inference in the workplace or education, except for medical or safety reasons.",
               obligations=("forbid_emotion_inference",)),
    Regulation("euaiactart.50(1)", "EU AI Act Art. 50(1)",
               "People are told they are interacting with an AI system.", obligations=("disclose_ai",)),
    Regulation("euaiactart.50(3)", "EU AI Act Art. 50(3)",
               "People exposed to emotion recognition are informed.",
               obligations=("disclose_emotion_recognition",)),
    Regulation("gdprart.7", "GDPR Art. 7",
               "Consent is provable, specific, and as easy to withdraw as to give.", events=("consent.",)),
    Regulation("gdprart.9", "GDPR Art. 9",
               "Health and other special-category data need explicit consent or another Art. 9(2) ground."),
    Regulation("gdprart.17", "GDPR Art. 17", "Right to erasure.", events=("subject.erased", "erasure.")),
    Regulation("gdprart.30", "GDPR Art. 30", "Records of processing activities.", audit_log=True),
    Regulation("casb243", "CA SB 243",
               "Companion chatbots: AI disclosure, self-harm protocol with crisis referral, breaks for minors.",
               obligations=("crisis_protocol",), aliases=("cal.bus.&prof.code§2260",)),
    Regulation("nygblart.47", "NY GBL Art. 47",
               "AI companions: detect self-harm and refer to crisis services; disclose not human.",
               aliases=("nygenbuslaw§170", "nygbl§170")),
    Regulation("ilhb1806", "IL HB 1806",
               "AI may not provide therapy or make therapeutic decisions.", aliases=("publicact104-0054",)),
)

_STATES = (("newyork", "ny"), ("california", "ca"), ("illinois", "il"), ("gen.bus.law", "genbuslaw"),
           ("article", "art."), ("artikel", "art."), ("art.", "art."))
_LAW_PREFIX = re.compile(r"^(.*?)(art\.)")


def normalise_citation(text: str) -> str:
    value = re.sub(r"\s+", "", text.lower())
    for long, short in _STATES:
        value = value.replace(long, short)
    return value.replace("art..", "art.")


def _parts(citation: str) -> list[str]:
    """"GDPR Art. 6(1)(a), Art. 7" -> ["gdprart.6(1)(a)", "gdprart.7"]: later articles inherit the law."""
    parts: list[str] = []
    law = ""
    for raw in re.split(r"[,;]| and | und | et | y ", citation):
        part = normalise_citation(raw)
        if not part:
            continue
        if part.startswith("art.") and law:
            part = law + part
        else:
            match = _LAW_PREFIX.match(part)
            law = match.group(1) if match else ""
        parts.append(part)
    return parts


def _matches(part: str, key: str) -> bool:
    if not part.startswith(key):
        return False
    rest = part[len(key):]
    return not rest or not rest[0].isalnum()  # "gdprart.9(2)(a)" counts for Art. 9, "gdprart.90" does not


def _refers_to(part: str, regulation: Regulation) -> bool:
    # The law's own name must lead the part; an alias (a code section, a public act) may appear anywhere.
    return _matches(part, regulation.key) or any(alias in part for alias in regulation.aliases)


@lru_cache(maxsize=4096)
def cited_regulations(citation: str) -> tuple[str, ...]:
    """Keys of the regulations a citation string refers to (cached: packs reuse a few strings)."""
    found: list[str] = []
    for part in _parts(citation):
        for regulation in REGULATIONS:
            if regulation.key not in found and _refers_to(part, regulation):
                found.append(regulation.key)
    return tuple(found)
