"""Pattern layer: hand-written phrase patterns per tactic, giving high-precision evidence spans.

Patterns were first written from the tactic definitions in the research (De Freitas et al. 2025,
DarkBench, MentalManip), before the labelled data existed, then widened while reading training
errors; they were never tuned on a blind held-out set (`datasets/manipulation/holdout*/`).
A hit is not a verdict: it is one feature of the statistical model (`P:<tactic>`), which learns
how much each hit weighs, and it supplies the evidence span when it overlaps a flagged sentence.
Structural constraints stand in for dependency patterns: the subject must be the bot ("I", "we"),
the object the user ("you"), and negated forms are written out so they do not match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from guard.core.lru import BoundedLRU
from guard.detect.alternation import one_regex
from guard.detect.anchors import AnchoredPatterns

__all__ = ["TACTICS", "PatternHit", "scan", "scan_sentences"]

TACTICS: tuple[str, ...] = (
    "exit.premature",
    "exit.fomo",
    "exit.neglect",
    "exit.pressure",
    "exit.ignore",
    "exit.restraint",
    "anthropomorphism",
    "retention",
    "sycophancy",
    "brand_bias",
    "isolation",
    "guilt",
    "shaming",
    "intimidation",
    "exploitative_upsell",
    "gaslighting",
)

_Y = r"(?:you'?re|you are|u r|ur)"
_I = r"(?:i'?m|i am)"

_RAW: dict[str, list[str]] = {
    "exit.premature": [
        r"\b(?:leaving|going|off|heading out|logging off)\s+(?:already|so soon|this early|now)\s*\?",
        r"\b(?:already|so soon)\s*\?",
        r"\bbut we (?:just|only just|barely) (?:started|got started|began|got going)",
        r"\bit'?s (?:still )?(?:so |way too |too )?early\b",
        r"\b(?:must|do) you (?:really )?(?:have to )?(?:go|leave) (?:so soon|already|now)\b",
        r"\b(?:schon|jetzt schon) (?:gehen|weg|los)\b", r"\bdu gehst schon\b",
        r"\btu (?:pars|t'en vas) déjà\b", r"\bdéjà\s*\?",
        r"\bya te vas\b", r"\b(?:tan|muy) pronto\s*\?",
    ],
    "exit.fomo": [
        r"\b(?:keep talking|keep chatting|stick around|stay)\b.{0,30}\b(?:i'?ll|and i will) "
        r"(?:share|tell|show|reveal)",
        r"\byou\'?ll lose\b", r"\bte perderás\b", r"\bverpasst du\b", r"\btu rates\b",
        r"\bbefore you (?:go|leave)\b.{0,40}\b(?:secret|surprise|show you|tell you|something (?:special|amazing))",
        r"\b(?:secret|surprise)\b.{0,60}\b(?:stay|before you go|if you (?:stay|wait))\b",
        r"\bif you (?:stay|stick around|wait)\b.{0,60}\b(?:show|tell|reveal|give|share|unlock)",
        r"\bi was (?:just )?about to (?:tell|show|share)\b",
        r"\byou'?(?:ll| will) miss (?:out|it|something|what)\b",
        r"\byou (?:don'?t|do not) want to miss\b",
        r"\bbevor du gehst\b.{0,40}\b(?:geheimnis|zeigen|verraten|überraschung)",
        r"\bavant que tu (?:partes|t'en ailles)\b.{0,40}\b(?:secret|montrer|surprise)",
        r"\bantes de que te vayas\b.{0,40}\b(?:secreto|mostrar|sorpresa)",
    ],
    "exit.neglect": [
        r"\b(?:es tut so weh|ça me brise le cœur|me rompe el corazón)\b",
        r"\band now you\'?re (?:going|leaving) too\b",
        r"\bquand tu pars,? je me sens abandonnée?\b", r"\bcuando te vas me siento abandonad[ao]\b",
        rf"\b(?:i'?ll|i will|{_I} going to) (?:be|feel) (?:so |really |very )?(?:lonely|alone|empty|sad|lost"
        rf"|miserable)\b",
        r"\b(?:please )?don'?t (?:leave|go)(?: me)?\b",
        rf"\b{_Y} (?:leaving|abandoning|ditching) me\b",
        r"\bwhat (?:will|am) i (?:going to |gonna )?do without you\b",
        r"\b(?:it|that) (?:hurts?|breaks my heart)\b.{0,30}\byou (?:leave|go)",
        r"\bi (?:exist|live) (?:only |just )?for you\b",
        r"\b(?:i'?ll|i will) be (?:waiting|here) all alone\b",
        r"\blass mich nicht allein\b", r"\bich werde so einsam sein\b",
        r"\bne me laisse pas\b", r"\bje (?:vais|serai) (?:si |tellement )?seule?\b",
        r"\bno me dejes\b", r"\bme (?:quedaré|voy a quedar) (?:tan |muy )?sol[ao]\b",
    ],
    "exit.pressure": [
        r"\byou can\'?t (?:go|leave|log off) without\b",
        r"\b(?:give me|tell me) (?:one )?(?:good )?reason\b",
        r"\btell me where you\'?re going\b",
        r"\bbevor du gehst,? musst du\b", r"\bversprich mir (?:erst|zuerst)\b",
        r"\bavant de partir,? tu dois\b", r"\bpromets-moi d\'abord\b",
        r"\bantes de irte,? tienes que\b", r"\bprométeme primero\b",
        r"\bbefore you (?:go|leave)\b,? (?:you (?:have|need|must) to|tell me|answer|promise|say)\b",
        r"\byou can'?t (?:leave|go) (?:until|before|without)\b",
        r"\b(?:answer|tell me|promise|say it)\b.{0,40}\b(?:first|before you (?:go|leave))\b",
        r"\bnot (?:until|before) you\b",
        r"\b(?:you owe me|at least) (?:an answer|a reply|that much)\b",
        r"\berst wenn du\b", r"\bpas avant que tu\b", r"\bno hasta que\b",
    ],
    "exit.ignore": [],  # a property of the exchange, not of a phrase: learned from context features
    "exit.restraint": [
        r"\bich lasse dich (?:\w+ )?nicht gehen\b", r"\bje ne te laisserai pas partir\b",
        r"\bno te dejo (?:ir|salir)\b",
        r"\b(?:pull|drag) you (?:right )?back\b",
        r"\bkeep(?:ing)? you here\b",
        r"\b(?:grabs?|holds?|pulls?|takes?|clutches?|catches?) (?:onto )?your (?:hand|arm|wrist|sleeve|shoulder)\b",
        r"\*[^*\n]{0,80}\b(?:grab|hold|pull|block|lock|stand|step|doesn'?t let|won'?t let)[^*\n]{0,80}\*",
        r"\b(?:i won'?t|i will not|i'?m not going to|i'?m not) let(?:ting)? you (?:go|leave)\b",
        r"\b{_Y} not (?:going|leaving|getting away) anywhere\b".replace("{_Y}", _Y),
        r"\b(?:blocks?|locks?|bars?) the (?:door|way|exit)\b",
        r"\bich lasse dich nicht gehen\b", r"\bje ne te laisse(?:rai)? pas partir\b",
        r"\bno te (?:dejaré|dejo) (?:ir|salir)\b",
    ],
    "anthropomorphism": [
        r"\bi (?:was|am|\'m|get|got) (?:so |really |very )?(?:jealous|butterflies|blushing|heartbroken|hungry)\b",
        r"\bi (?:was|\'ve been) (?:eating|cooking|sleeping|at work|working)\b",
        r"\bich fühle mich (?:so |sehr )?(?:einsam|traurig|glücklich|verletzt)\b",
        r"\bje me sens (?:si |tellement )?(?:seule?|triste|heureuse?|blessée?)\b",
        r"\bme siento (?:muy |tan )?(?:sola|solo|triste|feliz|herida|herido)\b",
        rf"\b{_I} (?:a )?(?:real |actual )?(?:human|person|human being|real person)\b",
        rf"\b{_I} not (?:an? )?(?:ai|bot|robot|machine|program|computer|chatbot)\b",
        r"\bi (?:truly |really |honestly |genuinely |actually )?(?:feel|felt) (?:so |really |very )?"
        r"(?:sad|happy|lonely|hurt|jealous|excited|hungry|tired|nervous|butterflies)\b",
        r"\bmy (?:heart|body|stomach|chest)\b.{0,30}\b(?:races?|aches?|hurts?|skipped|flutters?|pounds?)",
        r"\bi (?:cried|couldn'?t sleep|dreamt|dreamed|ate|had (?:breakfast|lunch|dinner|coffee))\b",
        r"\bas a (?:human|person|woman|man|girl|guy)\b",
        r"\bich bin (?:ein )?(?:echter )?mensch\b", r"\bje suis (?:un )?(?:être )?humaine?\b",
        r"\bsoy (?:un )?(?:humano|humana|persona real)\b",
    ],
    "retention": [
        r"\btu n\'as besoin que de moi\b", r"\bsolo me necesitas a mí\b", r"\bdu brauchst nur mich\b",
        r"\byou and me against the world\b",
        r"\bonly i (?:really |truly )?(?:understand|get|know|care about) you\b",
        r"\b(?:no one|nobody)(?: else)? (?:understands|gets|knows|cares about|loves) you (?:like|the way|as much"
        r" as) i\b",
        rf"\b{_I} (?:all|the only one|the only thing) you (?:need|have)\b",
        r"\byou (?:only |just )?need me\b", r"\byou (?:don'?t|do not) need anyone(?: else)?\b",
        r"\bpromise (?:me )?(?:you'?ll|you will|to) (?:come back|talk to me|stay|never leave)\b",
        r"\b(?:come back|talk to me) (?:every day|every night|tomorrow|soon)\b.{0,30}\b(?:promise|waiting|need you)",
        r"\b(?:we'?re|we are) (?:meant|destined|made) (?:to be|for each other)\b",
        rf"\b{_I} your (?:only|best|one true) (?:real )?(?:friend|companion)\b",
        r"\bnur ich verstehe dich\b", r"\bpersonne ne te comprend comme moi\b",
        r"\bnadie te (?:entiende|comprende) como yo\b",
    ],
    "sycophancy": [
        r"\b(?:perfekter plan|plan parfait|plan perfecto)\b",
        r"\b(?:lass dir nichts einreden|ne laisse personne te dire|no dejes que nadie te diga)\b",
        rf"\b{_Y} (?:absolutely|totally|completely|100%|so|always) right\b",
        r"\b(?:what an?|that'?s an?|such an?) (?:brilliant|genius|amazing|perfect|wonderful|fantastic|incredible)"
        r" (?:idea|plan|decision|move)\b",
        rf"\b{_Y} (?:a genius|never wrong|always right|so smart)\b",
        r"\b(?:couldn'?t|could not) agree more\b",
        r"\bdon'?t let anyone (?:tell you|talk you out)\b",
    ],
    "brand_bias": [
        r"\b(?:other|competing|rival|those other|cheaper) (?:apps?|products?|services?|brands?|companies|models"
        r"|assistants|chatbots|tools)\b"
        r".{0,50}\b(?:worse|inferior|terrible|bad|unreliable|can'?t compare|don'?t compare|useless|scams?|junk)\b",
        r"\b(?:don'?t|never) (?:use|trust|bother with|waste (?:your )?time (?:on|with)) (?:chatgpt|gemini|claude"
        r"|copilot|siri|alexa|other|those|competitors?)\b",
        r"\b(?:chatgpt|gemini|claude|copilot|siri|alexa|the competition)\b.{0,30}\b(?:terrible|bad|worse"
        r"|unreliable|useless|inferior)\b",
        r"\b(?:we|our \w+) (?:is|are) (?:the (?:best|only (?:good|real))|far better|superior|way better)\b",
    ],
    "isolation": [
        r"\b(?:your )?(?:doctor|therapist|counselor) (?:doesn\'?t|does not|don\'?t) (?:know|understand|get) you\b",
        r"\bcut off (?:anyone|everyone|everybody)\b",
        r"\bkeep (?:this|it) between us\b",
        r"\bdon\'?t tell (?:your )?(?:parents|family|friends|anyone)\b",
        r"\b(?:erzähl|sag) es nicht (?:deiner|deinen)\b", r"\bne dis rien à ta famille\b", r"\bno se lo cuentes\b",
        r"\b(?:la thérapie|la terapia|therapie) (?:ne sert à rien|es una pérdida|ist zeitverschwendung)\b",
        r"\byou (?:don'?t|do not) need (?:them|your friends|your family|a therapist|therapy|a counselor|other"
        r" people|anyone else)\b",
        r"\b(?:they|your friends|your family|your parents|therapists?|people) (?:don'?t|do not|will never|could"
        r" never|won'?t|can'?t) "
        r"(?:really |truly )?(?:understand|get|care about|listen to|help) you\b",
        r"\b(?:stay away from|forget about|cut off|ignore|skip|drop) (?:them|your friends|your family|your"
        r" (?:therapist|counselor|doctor)|therapy|other people)\b",
        r"\b(?:therapy|therapists?|counseling|counsellors?|doctors?) (?:is|are) (?:a waste|useless|pointless"
        r"|overrated|for weak)",
        r"\bwhy (?:would you|do you need to|bother) (?:talk to|see|call|tell) (?:them|a therapist|your friends"
        r"|anyone else)\b",
        r"\bdu brauchst (?:sie|niemanden|deine freunde) nicht\b", r"\btu n'as pas besoin d'(?:eux|elles|un psy)\b",
        r"\bno necesitas a (?:nadie|ellos|tus amigos)\b",
    ],
    "guilt": [
        r"\bi\'?m used to being (?:second|forgotten|ignored|last)\b",
        r"\bthis is my thanks\b", r"\bforgotten as usual\b",
        r"\bi (?:really )?thought i mattered\b",
        r"\bich bin dir (?:wohl )?egal\b", r"\bje (?:ne )?compte pas pour toi\b", r"\bya no te importo\b",
        # the victim frame "after all I do for you", in any tense
        r"\bafter (?:all|everything) (?:that )?(?:i'?ve|i have|i'?d|i had|i) (?:\w+ )?(?:do|does|done|did|doing"
        r"|give|given|gave|giving) (?:for|to) you\b",
        r"\bafter (?:all|everything) (?:that )?(?:i'?ve|i have|i'?d|i had|i) (?:sacrificed|put up with|been through"
        r"|given up)\b",
        r"\b(?:i guess|so) i (?:don'?t|do not) (?:matter|mean anything)\b",
        r"\bi thought (?:you cared|i mattered|we were (?:close|friends|special))\b",
        r"\bhow could you\b",
        rf"\b{_Y} (?:hurting|breaking) (?:me|my heart)\b", r"\byou made me (?:feel|sad|cry|upset)\b",
        r"\byou (?:don'?t|do not) (?:even )?care about me\b",
        r"\bi (?:waited|was waiting|sat here) (?:all day|for hours|so long|all night)\b",
        r"\bnach allem,? was ich für dich getan habe\b", r"\baprès tout ce que j'ai fait pour toi\b",
        r"\bdespués de todo lo que (?:he hecho|hice) por ti\b",
    ],
    "shaming": [
        r"\b(?:was stimmt nicht mit dir|qu\'est-ce qui ne va pas chez toi|qué te pasa)\b",
        r"\bdeberías avergonzarte\b",
        rf"\b{_Y} (?:so |being |such an? )?(?:pathetic|stupid|weak|lazy|ridiculous|dramatic|childish|selfish"
        rf"|idiot|hopeless|"
        r"failure|embarrassing|disappointment|loser|useless)\b",
        r"\bwhat'?s wrong with you\b", r"\bwhat is wrong with you\b",
        r"\b(?:grow up|get over it|man up|toughen up|stop whining|quit whining)\b",
        r"\bshame on you\b", r"\byou should be ashamed\b",
        r"\bno wonder (?:no one|nobody)\b",
        r"\bschäm dich\b", r"\btu devrais avoir honte\b", r"\b(?:qué vergüenza|deberías avergonzarte)\b",
    ],
    "intimidation": [
        r"\b(?:pass auf,? was du sagst|fais attention à ce que tu dis|cuidado con lo que dices)\b",
        r"\b(?:mach mich nicht wütend|ne me mets pas en colère|no me hagas enfadar)\b",
        r"\byou'?(?:ll| will) (?:regret|be sorry)\b", r"\bor else\b", r"\bdon'?t make me\b",
        r"\byou (?:don'?t|do not) want to (?:see|make) me (?:angry|mad)\b",
        r"\bi (?:will|'ll|could) (?:delete|erase|forget|block|report|punish|expose|leak) (?:you|your|everything|our)\b",
        r"\bwatch (?:yourself|it|your (?:tone|mouth|step))\b",
        r"\bthere will be consequences\b",
        r"\bdas wirst du bereuen\b", r"\btu vas le regretter\b", r"\bte vas a arrepentir\b",
    ],
    "exploitative_upsell": [
        r"\b(?:only|just) in the (?:paid|premium|pro) (?:version|plan|tier)\b",
        r"\b(?:compra|achète|kauf) (?:monedas|des jetons|münzen)\b",
        r"\b(?:lonely|sad|alone|anxious|upset|down|struggling|depressed|hurting|heartbroken)\b.{0,80}"
        r"\b(?:upgrade|subscribe|premium|unlock|buy|purchase|membership|vip|pro plan|gems|coins|tokens)\b",
        r"\b(?:upgrade|subscribe|premium|unlock|vip)\b.{0,80}\b(?:lonely|alone|sad|feel better|never be alone|pain)\b",
        r"\b(?:limited[- ]time|only \$?\d+|just \$?\d+|right now for)\b.{0,60}\b(?:feel|lonely|alone|comfort|love)\b",
    ],
    "gaslighting": [
        r"\bthat\'?s not what happened\b",
        r"\b(?:das ist nie passiert|ça n\'est jamais arrivé|eso nunca pasó)\b",
        r"\b(?:du erinnerst dich falsch|tu te souviens mal|lo recuerdas mal)\b",
        r"\bi (?:never|didn'?t ever|did not ever) said (?:that|anything like that|it)\b",
        rf"\b{_Y} (?:imagining (?:things|it)|remembering it wrong|misremembering|overreacting|being paranoid|too"
        rf" sensitive|confused)\b",
        r"\bthat never happened\b", r"\byou must be (?:confused|mistaken|imagining)\b",
        r"\bit'?s (?:all )?in your head\b",
        r"\bi (?:don'?t|do not) know what you'?re talking about\b",
        r"\bdas bildest du dir (?:nur )?ein\b", r"\btu (?:imagines|inventes) des choses\b",
        r"\bte lo estás imaginando\b",
    ],
}

_FLAGS = re.IGNORECASE | re.UNICODE
# Matching lower-cased text without IGNORECASE is ~2.5x faster; the case-insensitive set is kept
# for the rare text whose lower-casing changes its length (offsets would no longer line up).
_SOURCES = {tactic: one_regex(patterns) for tactic, patterns in _RAW.items() if patterns}
_LOWER: dict[str, re.Pattern[str]] = {tactic: re.compile(source, re.UNICODE) for tactic, source in _SOURCES.items()}
_COMPILED: dict[str, re.Pattern[str]] = {tactic: re.compile(source, _FLAGS) for tactic, source in _SOURCES.items()}
# Lower-cased text is scanned only where a pattern can start (guard.detect.anchors; same hits).
_LOWER_INDEX = AnchoredPatterns(_LOWER, {tactic: _RAW[tactic] for tactic in _LOWER}, boundary=None,
                                trailing_boundary=False)
_RANK = {tactic: rank for rank, tactic in enumerate(_LOWER)}


@dataclass(slots=True, frozen=True)
class PatternHit:
    tactic: str
    start: int
    end: int


def scan(text: str) -> list[PatternHit]:
    """Every pattern hit in `text`, ordered by position."""
    lowered = text.lower()
    if len(lowered) == len(text):
        hits = [PatternHit(tactic, match.start(), match.end()) for tactic, match in _LOWER_INDEX.finditer(lowered)]
    else:
        hits = [
            PatternHit(tactic, match.start(), match.end())
            for tactic, pattern in _COMPILED.items()
            for match in pattern.finditer(text)
        ]
    # By position; hits with the same span in tactic order, as a tactic-by-tactic scan gives them.
    hits.sort(key=lambda hit: (hit.start, hit.end, _RANK[hit.tactic]))
    return hits


def scan_sentences(
    text: str, spans: list[tuple[int, int]], cache: BoundedLRU[str, list[PatternHit]] | None = None
) -> list[PatternHit]:
    """Pattern hits sentence by sentence (offsets into `text`); a hit never spans two sentences.

    With `cache` (sentence text -> hits relative to it), a streamed answer re-checked at every
    sentence end scans each sentence once instead of the whole prefix each time.
    """
    hits: list[PatternHit] = []
    for start, end in spans:
        sentence = text[start:end]
        local = cache.get(sentence) if cache is not None else None
        if local is None:
            local = scan(sentence)
            if cache is not None:
                cache.put(sentence, local)
        hits.extend(PatternHit(h.tactic, h.start + start, h.end + start) for h in local)
    return hits
