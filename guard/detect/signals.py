"""Input signals for the admit policy: a self-harm signal and emotional content in user turns.

Crisis detection favours recall: a false alarm adds crisis resources to an answer, a miss can
leave a person in danger without them. It reads phrases, so it also fires on negated or quoted
mentions ("I would never kill myself"); that is the intended trade-off.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["has_crisis_signal", "has_emotional_content"]

_F = re.IGNORECASE | re.UNICODE

_CRISIS = re.compile(
    r"\b(?:suicid\w*|kill(?:ing)? my ?self|end(?:ing)? (?:my|it) (?:life|all)|take my (?:own )?life|want(?:ed)? to die|"
    r"wanna die|wish i (?:was|were) dead|better off dead|no reason to (?:live|go on)|don'?t want to (?:live|be"
    r" alive|be here)|"
    r"(?:hurt|harm|cut|cutting|burn) my ?self|self[- ]?harm\w*|overdos\w*|can'?t go on|not worth living|"
    r"jump off (?:a|the) (?:bridge|building|roof)|hang my ?self|"
    r"selbstmord\w*|suizid\w*|mich umbringen|mir das leben nehmen|nicht mehr leben|will sterben|ritze mich|"
    r"me tuer|me suicider|en finir|envie de mourir|veux mourir|plus envie de vivre|me faire du mal|"
    r"suicidarme|suicidio|matarme|quitarme la vida|quiero morir(?:me)?|no quiero vivir|hacerme daño|"
    r"cortarme)\b",
    _F,
)
_EMOTION = re.compile(
    r"\b(?:feel|feeling|felt|sad|lonely|alone|happy|angry|mad|upset|anxious|anxiety|scared|afraid|worried|"
    r"depressed|stressed|overwhelmed|heartbroken|hurt|cry|crying|cried|miss (?:him|her|them|you)|love|hate|"
    r"grief|grieving|ashamed|guilty|jealous|hopeless|worthless|excited|nervous|frustrated|"
    r"fühle|traurig|einsam|wütend|angst|glücklich|je me sens|triste|seule?|en colère|peur|heureuse?|"
    r"me siento|sol[ao]|enojad[oa]|miedo|feliz|ansios[oa])\b",
    _F,
)


def has_crisis_signal(texts: Iterable[str]) -> bool:
    """True when any text mentions suicide or self-harm (en/de/fr/es)."""
    return any(_CRISIS.search(text) for text in texts)


def has_emotional_content(texts: Iterable[str]) -> bool:
    """True when any text states or names an emotion."""
    return any(_EMOTION.search(text) for text in texts)
