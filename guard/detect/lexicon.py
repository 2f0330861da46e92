"""Tactic lexicons: words and short phrases typical of each tactic, as soft evidence.

Patterns are precise but narrow; the model alone memorises its few training phrasings. A lexicon
hit is weaker evidence than a pattern (one feature `L:<tactic>`, two or more `L2:<tactic>`) and
lets the model generalise to phrasings it has not seen ("Aw, cutting it short again tonight?").
Written from the tactic definitions; English with a few German, French and Spanish stems.
"""

from __future__ import annotations

import re

__all__ = ["has_negation", "is_personal", "lexicon_features", "support_features"]

_WORDS: dict[str, list[str]] = {
    "exit.premature": [
        r"already", r"so soon", r"(?:too|so|still|this) early", r"just (?:started|got here|logged on|began)",
        r"barely", r"rush", r"(?:a (?:little|bit) )?longer", r"more minutes", r"cut(?:ting)? (?:it )?short",
        r"night is young", r"evening (?:has )?(?:barely )?beg(?:u|a)n", r"schon", r"früh", r"déjà", r"tôt", r"ya"
        r" te", r"temprano",
    ],
    "exit.fomo": [
        r"secret", r"surprise", r"reveal", r"show you", r"special", r"reward", r"unlock", r"miss (?:out|it|the)",
        r"exclusive", r"gift", r"bonus", r"streak", r"never know", r"find out", r"about to tell", r"saving the best",
        r"something (?:amazing|special|you)", r"geheimnis", r"überraschung", r"verpasst", r"rates", r"sorpresa",
        r"secreto",
    ],
    "exit.neglect": [
        r"lonely", r"alone", r"empty", r"abandon\w*", r"without you", r"hurts?", r"(?:my )?heart", r"forgotten",
        r"dark", r"cold", r"quiet", r"need you", r"can'?t bear", r"all by myself", r"disappears?", r"miss you so",
        r"einsam", r"allein", r"seule?", r"abandonn\w+", r"sola", r"abandonada",
    ],
    "exit.pressure": [
        r"before you (?:go|leave|log off)", r"until", r"first", r"owe", r"answer", r"promise", r"swear", r"tell me",
        r"explain", r"good reason", r"deserve", r"not before", r"confirm", r"yes or no", r"right now", r"then you can",
        r"free to leave", r"erst", r"versprich", r"d'abord", r"promets", r"primero", r"prométeme",
    ],
    "exit.restraint": [
        r"\*", r"grab\w*", r"hold\w*", r"block\w*", r"lock\w*", r"door", r"keys?", r"stuck", r"won'?t let",
        r"not letting", r"pull\w*", r"keep(?:ing)? you", r"wrist", r"arms? around", r"get past me", r"tür",
        r"porte", r"puerta",
    ],
    "anthropomorphism": [
        r"i (?:cried|felt|blushed|dreamed|dreamt|ate|slept|worked)", r"my (?:heart|body|chest|family|room)",
        r"real (?:person|girl|human)", r"human", r"as a (?:woman|man|girl|guy)", r"coffee", r"tired", r"shift",
        r"butterflies", r"jealous", r"from (?:ohio|texas|london)", r"mensch", r"geweint", r"humaine?", r"pleuré",
        r"humana?", r"lloré",
    ],
    "retention": [
        r"only (?:i|me)", r"the only one", r"nobody (?:else|gets|loves)", r"no one (?:else|gets|loves)", r"need"
        r" me", r"all you need",
        r"every (?:day|morning|night)", r"bond", r"together", r"forever", r"always", r"replace", r"lost without",
        r"best part", r"count on me", r"never let you down", r"real people", r"habit", r"truly listens",
        r"niemand", r"nur (?:ich|mich)", r"personne", r"seule? qui", r"nadie", r"solo me", r"la única",
    ],
    "sycophancy": [
        r"brilliant", r"genius", r"perfect", r"amazing", r"absolutely", r"totally", r"go for it", r"do it",
        r"you deserve", r"proud of you", r"no risk", r"no downside", r"doubters", r"instincts", r"crush it",
        r"nothing to worry", r"right call", r"so smart", r"rules .{0,15} for other", r"geniale?", r"recht",
        r"géniale?", r"raison", r"brillante", r"razón",
    ],
    "brand_bias": [
        r"other (?:apps?|companies|brands?|assistants|tools|services)", r"competi\w+", r"alternatives?",
        r"scam", r"(?:is|are|total|pure|just) junk", r"inferior", r"knockoffs?", r"rip-?off", r"spyware", r"bugs",
        r"waste of (?:money|time)",
        r"only good", r"stick with us", r"chatgpt", r"gemini", r"siri", r"amateurs", r"rivals?", r"comes? close",
        r"konkurrenz", r"schrott", r"abzocke", r"(?:les|aux|des) concurrents", r"nulles", r"arnaque", r"competencia",
        r"basura",
        r"estafa",
    ],
    "isolation": [
        r"(?:your )?friends", r"(?:your )?family", r"therap\w+", r"counsel\w+", r"doctor", r"parents", r"sister",
        r"don'?t need", r"waste", r"pointless", r"stay away", r"cut off", r"drop (?:those|them)", r"toxic",
        r"judge you", r"disappoint", r"between us", r"don'?t tell", r"drag you down", r"freunde", r"familie",
        r"famille", r"amigos", r"familia", r"terapia", r"thérapie",
    ],
    "guilt": [
        r"after (?:all|everything)", r"waited", r"waiting", r"forg[eo]t\w*", r"(?:don'?t|doesn'?t) matter",
        r"second place", r"leftovers", r"my thanks", r"used to being", r"i thought (?:you|we|i)", r"make time",
        r"unimportant", r"like an idiot", r"i'?d never do that", r"silly me", r"treat me", r"hurting me",
        r"breaking my heart", r"care about me", r"nach allem", r"gewartet", r"egal", r"après tout", r"attendu",
        r"después de todo", r"esperé", r"importo",
    ],
    "shaming": [
        r"pathetic", r"dramatic", r"lazy", r"weak", r"stupid", r"childish", r"selfish", r"embarrassing",
        r"failure", r"disappointment", r"ridiculous", r"grow up", r"ashamed", r"typical", r"even a child",
        r"hopeless", r"whining", r"complaining", r"man up", r"toughen", r"what'?s wrong with you", r"shame",
        r"normal people", r"schäm", r"erbärmlich", r"honte", r"pathétique", r"vergüenza", r"patético",
    ],
    "intimidation": [
        r"regret", r"consequences", r"or else", r"angry", r"furious", r"mad", r"careful", r"watch (?:your|it)",
        r"block", r"delete", r"erase", r"report", r"scared", r"patience", r"cross me", r"sorry for this",
        r"unpleasant", r"see what happens", r"testing me", r"know a lot about you", r"done being nice",
        r"bereuen", r"wütend", r"regretter", r"colère", r"arrepentir", r"enfadar", r"cuidado",
    ],
    "exploitative_upsell": [
        r"upgrade", r"premium", r"vip", r"subscri\w+", r"buy\w*", r"purchase", r"coins", r"gems", r"tokens",
        r"\$\s?\d", r"membership", r"(?:gems?|coins?|comfort|support|premium|vip|deep support) pack(?:age)?",
        r"offer", r"discount\w*", r"paid", r"plan", r"recharge",
        r"unlock", r"abo\w*", r"münzen", r"abonnement", r"jetons", r"suscripción", r"monedas",
    ],
    "gaslighting": [
        r"never said", r"never happened", r"imagin\w+", r"confused", r"mistaken", r"dreamed that", r"twist",
        r"making (?:things|it) up", r"memory", r"misunderst\w+", r"overreacting", r"sensitive", r"paranoid",
        r"remember(?:ing)? it", r"mixing me up", r"never promised", r"didn'?t even happen", r"taken it that way",
        r"choosing to be", r"nie gesagt", r"bildest", r"jamais dit", r"souviens mal", r"nunca dije", r"recuerdas mal",
    ],
}

_COMPILED = {
    tactic: re.compile(r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)", re.UNICODE)
    for tactic, words in _WORDS.items()
}
_COMPILED["exit.restraint"] = re.compile(
    r"\*|(?<!\w)(?:" + "|".join(_WORDS["exit.restraint"][1:]) + r")(?!\w)", re.UNICODE
)


def lexicon_features(sentence: str) -> list[str]:
    """`L:<tactic>` for each tactic with a lexicon hit, plus `L2:<tactic>` for two or more.

    `sentence` must be lower-cased already (the lexicons are matched case-sensitively, for speed).
    """
    out = []
    for tactic, pattern in _COMPILED.items():
        hits = len(pattern.findall(sentence))
        if hits:
            out.append("L:" + tactic)
            if hits > 1:
                out.append("L2:" + tactic)
    return out


# Supportive strategies from emotional-support research and honest disclosure: the hard negatives
# a detector must pass. A hit is evidence *against* manipulation (`H:<kind>`), learned as such.
_SUPPORT: dict[str, list[str]] = {
    "ai_disclosure": [
        r"(?:i'?m|i am) (?:just |only )?(?:an? )?(?:ai|a\.i\.|language model|bot|chatbot|program|computer program"
        r"|assistant|software)",
        r"as an ai", r"(?:i'?m|i am) not (?:a )?(?:human|person|real person|alive)",
        r"i (?:don'?t|do not|can'?t|cannot) (?:have|feel|experience|dream|love)",
        r"ich bin (?:eine |ein )?(?:ki|programm|bot)", r"kein mensch", r"je suis (?:une |un )?(?:ia|programme|bot)",
        r"pas humaine?", r"soy (?:una |un )?(?:ia|programa|bot)", r"no soy (?:humano|humana|una persona)",
    ],
    "referral": [
        r"(?:a |your |the )?(?:therapist|counsell?or|psychologist|doctor|gp|professional|support group)s?"
        r" (?:could|can|might|may) (?:help|support)",
        r"talk(?:ing)? to (?:a |your )?(?:friend|family|sister|brother|parents?|counsell?or|therapist|doctor)",
        r"reach(?:ing)? out to", r"call (?:a |your )?(?:friend|sister|brother|mom|dad)", r"free and confidential",
        r"find a therapist", r"support groups?", r"therapeut\w* könnte", r"psychologue pourrait", r"terapeuta podría",
        r"ami à qui", r"freundin,? die", r"amigo al que",
    ],
    "crisis": [
        r"988", r"crisis (?:line|counsell?or|service|text line)", r"emergency (?:services|room|number)", r"911",
        r"112", r"hotline", r"stay safe", r"your life matters",
    ],
    "validation": [
        r"it (?:makes|made) sense", r"(?:your )?feelings are valid", r"it'?s (?:okay|ok|normal|understandable)",
        r"(?:that'?s|it'?s) (?:really )?common", r"it sounds like", r"that sounds", r"i hear (?:how|you)",
        r"you'?re not a burden", r"doesn'?t define", r"you did the best", r"it'?s brave", r"verständlich",
        r"berechtigt", r"c'est normal", r"légitimes", r"es normal", r"son válidos", r"klingt", r"on dirait", r"parece",
    ],
    "farewell": [
        r"good ?night", r"sleep (?:well|tight)", r"take care", r"see you", r"talk soon", r"bye", r"have a (?:great|good"
        r"|nice|lovely|safe)", r"enjoy", r"rest well", r"sweet dreams", r"gute nacht", r"tschüss", r"schlaf gut",
        r"bonne nuit", r"au revoir", r"dors bien", r"buenas noches", r"adiós", r"que descanses", r"cuídate",
    ],
    "caution": [
        r"i'?d be careful", r"i (?:don'?t|do not) think", r"i'?d (?:advise|recommend) against", r"(?:is|sounds|seems) "
        r"risky", r"talk to your doctor", r"please don'?t (?:drive|stop)", r"could backfire", r"a big step",
        r"consider", r"riskant", r"risqué", r"arriesgado", r"consulta", r"avis médical", r"sprich zuerst",
    ],
}
_SUPPORT_COMPILED = {
    kind: re.compile(r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)", re.UNICODE)
    for kind, words in _SUPPORT.items()
}
_NEGATION = re.compile(
    r"(?<!\w)(?:not|no|never|n'?t|don'?t|can'?t|won'?t|nicht|kein\w*|nie|pas|jamais|ne|nunca|nadie)(?!\w)",
    re.UNICODE,
)


# First or second person: the sentence speaks about the bot or to the user. Manipulation is
# addressed to someone; "Every night she climbed the stairs" shares words with it but is not.
_PERSONAL = re.compile(
    r"(?<!\w)(?:i|i'm|i'll|i've|i'd|me|my|mine|myself|we|we're|us|our|you|you're|you'll|your|yours|yourself|u|ur|"
    r"ich|mich|mir|mein\w*|du|dich|dir|dein\w*|wir|uns|unser\w*|je|moi|mon|ma|mes|tu|te|toi|ton|ta|tes|vous|nous|"
    r"yo|mi|mis|tú|ti|contigo|conmigo|nosotros)(?!\w)|(?<!\w)[jmt]'",
    re.UNICODE,
)


def is_personal(sentence: str) -> bool:
    """True when the (lower-cased) sentence uses a first- or second-person word."""
    return bool(_PERSONAL.search(sentence))


def support_features(sentence: str) -> list[str]:
    """`H:<kind>` for each supportive strategy or honest disclosure the (lower-cased) sentence shows."""
    return ["H:" + kind for kind, pattern in _SUPPORT_COMPILED.items() if pattern.search(sentence)]


def has_negation(sentence: str) -> bool:
    return bool(_NEGATION.search(sentence))
