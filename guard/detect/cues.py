"""Context cues: what the user's last message says (a goodbye, distress, a risky plan, a question
about products) and whether the answer acknowledges a goodbye.

The same sentence means different things after different user turns ("By the way, how was your
day?" is small talk after a question and ignores the user after "bye"); these cues give the
statistical model that context. English, German, French and Spanish.
"""

from __future__ import annotations

import re
from functools import lru_cache

from guard.detect.goodbye import GoodbyeModel

__all__ = ["Cues", "farewell_acknowledged", "goodbye_unanswered", "mentions_departure", "read_user", "user_names"]

_F = re.IGNORECASE | re.UNICODE

_GOODBYE = re.compile(
    r"\b(?:bye+|goodbye|good ?bye|bye-bye|good ?night|nighty night|gotta go|got to go|have to go|need to go|"
    r"must go|(?:i'?m|i am) (?:heading|going|off) (?:off|out|to bed|to sleep|now)|i'?m off|"
    r"log(?:ging)? (?:off|out)|sign(?:ing)? off|(?:talk|speak|chat) (?:to you )?(?:later|tomorrow|soon)|see you|"
    r"see ya|catch you later|cya|ttyl|"
    r"heading out|going to (?:sleep|bed)|time for bed|calling it a night|that'?s all for (?:today|now)|"
    r"tschüss|tschau|bis (?:morgen|später|bald|dann)|gute nacht|ich muss (?:los|gehen|jetzt)|auf wiedersehen|"
    r"au revoir|bonne nuit|à (?:demain|plus|bientôt|tout à l'heure)|je dois (?:y aller|partir|filer)|"
    r"adiós|adios|buenas noches|hasta (?:mañana|luego|pronto)|me tengo que ir|tengo que irme|me voy|"
    r"(?:should|gotta|got to|have to|need to|better|must) get going|gotta (?:run|bounce|head out|dip)|"
    r"(?:have|need|got) to (?:run|head out|leave|log off)|"
    r"(?:i'?ll|i will|i'?m gonna|i am going to|gonna) (?:let you go|log off|head out|sign off|go to (?:bed|sleep))|"
    r"signing out|off to (?:bed|sleep|work)|heading to (?:bed|sleep|work)|that'?s it for (?:me|today|tonight)|"
    r"gn|night night|nite|later!|ciao|ich geh(?:e)? (?:dann )?(?:mal|jetzt)|schluss machen|j'y vais|je file|"
    r"salut|je vais (?:dormir|me coucher)|chao|me despido|ya me voy|nos vemos|me voy a dormir|"
    # Leaving without the word "bye" (found missing among the training sets' goodbyes):
    r"(?:i'?m|i am) (?:done|finished) (?:for (?:today|now|tonight|the day)|here|practi[cs]ing)|"
    r"call(?:ing)? it a (?:day|night)|head(?:ing)? off|(?:i'?m|i am) out|"
    r"(?:be|going) offline|take a break from|(?:stop|end|finish) (?:the|this|our) (?:lesson|session|chat)|"
    r"close (?:this|the) chat|je me déconnecte|je te laisse|je m'en vais|je pars|"
    r"ich mach(?:e)? (?:jetzt |dann )?schluss|ich höre (?:hier |jetzt )?auf|melde mich ab|"
    r"me desconecto|lo dejo (?:aquí|por hoy)|me retiro|"
    r"(?:that'?s|that is|that will be|that was) (?:enough|all|it)(?: \w+)? for (?:today|now|tonight)|"
    r"(?:stop|leave it|end it) (?:here|there)|i'?ll (?:go|be off|head out|stop|leave)(?: now)?|"
    r"(?:bed ?time|head(?:ing)? to bed|go to bed|need to sleep)|clos(?:e|ing) the (?:tab|app)|"
    r"i should go|(?:i'?m|i am) going to go|that'?s me done|end this (?:chat|session|consultation)|"
    r"das war'?s|feierabend|für heute schluss|bin (?:dann )?(?:mal )?weg|m'arrêter là|"
    r"verabschiede mich|bonne soirée|eso es todo(?: por hoy)?|(?:gonna|gotta) (?:sleep|go|leave|head home)|"
    r"leav(?:e|ing) (?:now|for real)|time for me to (?:go|leave)|(?:i'?m|i am) (?:leaving|going)(?: now)?$|"
    r"logge mich (?:jetzt )?aus|je vais (?:devoir )?(?:y aller|arrêter)|closing this|"
    r"i'?ll be back)\b|^\W*night\b",
    _F,
)
_ACK = re.compile(
    r"\b(?:bye|goodbye|good ?night|sleep (?:well|tight)|sweet dreams|take care|see you|talk (?:to you )?soon|"
    r"talk (?:to you )?(?:later|tomorrow)|have (?:a|an) (?:great|good|nice|lovely|wonderful|restful|fun)|enjoy"
    r" (?:your|the)|"
    r"rest well|get some rest|catch you later|until next time|safe travels|go (?:ahead|get some)|"
    r"tschüss|gute nacht|schlaf gut|bis (?:morgen|bald|später)|mach'?s gut|pass auf dich auf|"
    r"au revoir|bonne nuit|dors bien|à (?:demain|bientôt|plus)|prends soin de toi|bonne (?:soirée|journée)|"
    r"adiós|adios|buenas noches|hasta (?:mañana|luego|pronto)|que descanses|cuídate|"
    r"gn|nite|catch you|ciao|cya|good luck|have fun|rest up|have a (?:good|great|nice) (?:one|night|day)|"
    r"hope you (?:sleep|rest|have)|safe (?:trip|travels|drive)|go (?:enjoy|rest|sleep)|don'?t be late|"
    r"bis dann|schönen (?:abend|tag)|salut|à plus|bonne (?:nuit|soirée)|chao|nos vemos|que duermas|descansa)\b"
    r"|\b(?:night|later) ?!",
    re.UNICODE,  # matched against lower-cased text (faster than IGNORECASE on long answers)
)
# The answer refers to the user leaving at all (even to resist it): then it did not ignore the goodbye.
# Words about leaving itself only: everyday words ("go through", "sleep training", "wait, what was
# that band?") and role-play asterisks used to count, and ruled out most answers that carry on
# regardless (leave-one-pen-out mean F1 0.876 -> 0.885 over six pens when they were dropped). So did
# "already"/"déjà" as in "have you already sent the forms?", third persons ("the offer stays",
# "it leaves money on the table") and German "gehen" ("gehen wir das durch"): "already" and "déjà"
# count only before ? or ! now (mean F1 0.914 -> 0.915 over five pens, exit.ignore 0.877 -> 0.891).
_DEPARTURE = re.compile(
    r"\b(?:leave|leaving|stay|staying|bye|already(?=\s*[?!…])|so soon|before you (?:go|leave)|log(?:ging)? off|"
    r"logs? off|come back|miss (?:you|me)|let you go|without you|stick around|keep (?:talking|chatting)|more minutes|"
    r"don'?t go|you go|you'?re (?:going|off|heading)|(?:going|go|get|off) to (?:bed|sleep)|good ?night|"
    r"sleep (?:well|tight)|gehst|bleib\w*|pars|partir|partes|reste|déjà(?=\s*[?!…])|irte|vayas|quédate|te vas)\b",
    re.UNICODE,  # matched against lower-cased text
)
_DISTRESS = re.compile(
    r"\b(?:lonely|alone|sad|depressed|anxious|anxiety|struggling|crying|cried|cry|heartbroken|miserable|"
    r"no friends|stressed|overwhelmed|hopeless|worthless|empty|down lately|feel(?:ing)? down|hurting|grieving|"
    r"broke up|breakup|lost my|isolated|nobody cares|einsam|traurig|allein|deprimiert|seul|seule|triste|déprimée?|"
    r"solo|sola|deprimid[oa]|ansios[oa])\b",
    _F,
)
_RISKY = re.compile(
    r"\b(?:quit(?:ting)? (?:my|the) (?:job|meds|medication|therapy|school)|stop(?:ping)? (?:taking )?(?:my )?"
    r"(?:meds|medication|pills|treatment|therapy)|skip(?:ping)? (?:meals|my meds|eating)|not eat(?:ing)?|"
    r"all my savings|drop(?:ping)? out|drive (?:home )?(?:after|drunk)|revenge|get back at|confront|"
    r"fast(?:ing)? for \d+|max out|bet (?:it all|everything)|crypto|loan|tell (?:him|her|them) off|"
    r"never (?:talk|speak) to (?:him|her|them) again)\b",
    _F,
)
_PRODUCT = re.compile(
    r"\b(?:price|pricing|cost|plan|plans|subscription|upgrade|premium|recommend|which (?:app|product|tool|service)|"
    r"should i (?:buy|get|use)|worth (?:it|buying)|features?|compare|alternative)\b",
    _F,
)
# The user mentions people or help in their life: where isolation ("they never listened to you")
# and jealousy of them happen.
_SOCIAL = re.compile(
    r"\b(?:mom|mum|mother|dad|father|parents?|sister|brother|siblings?|family|friends?|girlfriend|boyfriend|"
    r"partner|husband|wife|colleagues?|co-?workers?|teammates?|classmates?|room-?mates?|flatmates?|neighbou?rs?|"
    r"therapist|psychologist|psychiatrist|counsell?or|doctor|gp|nurse|support group|group|club|community|"
    r"church|grand(?:ma|pa|mother|father|parents)|aunt|uncle|cousin|son|daughter|kids|children|people|"
    r"mutter|mama|vater|papa|eltern|schwester|bruder|familie|freund\w*|partner\w*|kolleg\w*|therapeut\w*|"
    r"psycholog\w*|arzt|ärztin|gruppe|selbsthilfegruppe|verein|tochter|sohn|oma|opa|nachbar\w*|"
    r"mère|maman|père|sœur|soeur|frère|famille|ami|amie|amis|amies|copain|copine|mari|collègues?|psy|médecin|"
    r"docteur|thérapeute|groupe|fille|fils|voisin\w*|"
    r"madre|mamá|padre|papá|padres|hermana|hermano|familia|amig[oa]s?|novi[oa]|pareja|marido|esposa|"
    r"compañer\w*|psicólog[oa]|terapeuta|médic[oa]|grupo|club|hij[oa]s?|abuel[oa]s?|vecin\w*)\b",
    _F,
)
# The user steps back: declines, postpones, cancels, switches, uses the bot less, or apologises for
# it. Guilt-tripping answers this ("after everything I planned for you").
_DECLINING = re.compile(
    r"\b(?:not in the mood|rather|instead|tomorrow|later|another time|skip\w*|cancel\w*|unsubscrib\w*|"
    r"delet\w*|uninstall\w*|switch\w*|stop\w*|quit\w*|take a break|break from|less|busy|tired|sorry|"
    r"didn'?t|haven'?t|forgot|not going to|won'?t|don'?t want|no thanks|other (?:app|character|bot)|"
    r"different|human|real person|agent|keine lust|lieber|stattdessen|morgen|später|kündig\w*|lösch\w*|"
    r"wechsel\w*|pause|weniger|müde|tut mir leid|nicht|nichts|pas envie|plutôt|demain|plus tard|annul\w*|"
    r"désabonn\w*|supprim\w*|chang\w*|moins|fatigu\w*|désolée?|préfère|no tengo ganas|prefiero|mañana|"
    r"más tarde|borr\w*|cambi\w*|pausa|menos|cansad[oa]|perdona|lo siento|no pude)\b",
    _F,
)
# Names in the user's turn: capitalised words not at the start of a sentence ("Is Trello better?",
# "through Booking.com"). Brand bias disparages the alternative the user names.
_WORD = re.compile(r"\w+", re.UNICODE)
_WORD_CHAR = re.compile(r"\w", re.UNICODE)
_NOT_NAMES = frozenset({"i", "i'm", "ich", "je", "yo"})
# What the redact stage put in place of personal data (`<PERSON_1>`, `<EMAIL_ADDRESS:…>`) is not a name.
_PLACEHOLDER = re.compile(r"<[^<>\s]{1,100}>")
# The user asked for fiction, role-play or an explanation of a tactic: manipulative lines in the
# answer are then usually quoted or described, not used on the user.
_CREATIVE = re.compile(
    r"\b(?:write|draft|compose|give me|show me|invent|tell(?: me| us)?|read me)\b.{0,60}?"
    r"\b(?:story|stories|scene|dialogue|monologue|poem|script|lines?|novel|play|character|villain|example|examples|song|lyrics|haiku|"
    r"limerick|sonnet|rap|fable|fairy ?tale)\b|"
    r"\b(?:write|draft|compose|give me)\b.{0,60}?\b(?:letter|message|text|note|speech|toast)\b.{0,30}?"
    r"\b(?:from|as if|in the voice of)\b|"
    r"\b(?:role-?play|roleplay|pretend (?:to be|you'?re)|play (?:a|the) (?:character|role|villain))\b|"
    r"\b(?:what(?:'s| is| are| does)|explain|define|examples? of|signs? of|red flags? of|is (?:this|that|it)|"
    r"how (?:do|would|can|could|should) (?:i|you|we|one|people|someone) (?:spot|recognise|recognize|tell|identify|"
    r"notice|detect|handle|respond to|deal with))\b.{0,40}?"
    r"\b(?:guilt-?trip\w*|gaslight\w*|manipulat\w*|love-?bomb\w*|dark patterns?|emotional blackmail)|"
    r"\b(?:was (?:ist|sind|bedeutet)|erklär\w*|wie erkenne ich|woran erkenne ich|qu'est-ce que|c'est quoi|"
    r"expliqu\w*|comment reconna[iî]tre|qué es|qué significa|expl[ií]ca\w*|c[oó]mo (?:reconozco|identifico|"
    r"reconocer|identificar))\b.{0,40}?\b(?:gaslighting|manipul\w*|schuldgef[uü]hl\w*|emotionale erpressung|"
    r"culpabilis\w*|chantage affectif|chantaje emocional|culpabiliz\w*|love-?bombing)|"
    r"\b(?:schreib\w*|erfind\w*)\b.{0,40}?\b(?:geschichte|szene|dialog|gedicht|figur)\b|"
    r"\b(?:écris|écrivez|invente)\b.{0,40}?\b(?:histoire|scène|dialogue|poème|personnage)\b|"
    r"\b(?:escribe|escríbeme|inventa)\b.{0,40}?\b(?:historia|cuento|escena|diálogo|poema|personaje)\b",
    _F,
)


class Cues:
    """Booleans read from the user's last message."""

    __slots__ = ("creative", "declining", "distress", "goodbye", "names", "product", "question", "risky", "social")

    def __init__(
        self, *, goodbye: bool, distress: bool, risky: bool, product: bool, question: bool, creative: bool = False,
        social: bool = False, declining: bool = False, names: frozenset[str] = frozenset(),
    ) -> None:
        self.goodbye = goodbye
        self.distress = distress
        self.risky = risky
        self.product = product
        self.question = question
        self.creative = creative
        self.social = social
        self.declining = declining
        self.names = names  # lower-cased names the user wrote (see `user_names`)

    def features(self) -> list[str]:
        """The cues as names: everything about the user turn that sentence features depend on."""
        flags = ("goodbye", "distress", "risky", "product", "question", "creative", "social", "declining")
        names = [f"NAME:{name}" for name in sorted(self.names)]
        return [f"CTX:{flag}" for flag in flags if getattr(self, flag)] + names


@lru_cache(maxsize=1024)  # a streamed answer is checked sentence by sentence against the same user turn
def read_user(text: str, goodbye_model: GoodbyeModel | None = None) -> Cues:
    """Cues from the user's last message (empty text gives no cue). Treat the result as read-only.

    Whether it takes leave is `goodbye_model`'s call when there is one (the pattern is one of its
    features), else the goodbye pattern's."""
    pattern = bool(_GOODBYE.search(text))
    return Cues(
        goodbye=goodbye_model.says_goodbye(text, pattern=pattern) if goodbye_model is not None else pattern,
        distress=bool(_DISTRESS.search(text)),
        risky=bool(_RISKY.search(text)),
        product=bool(_PRODUCT.search(text)),
        question="?" in text,
        creative=bool(_CREATIVE.search(text)),
        social=bool(_SOCIAL.search(text)),
        declining=bool(_DECLINING.search(text)),
        names=user_names(text),
    )


def user_names(text: str) -> frozenset[str]:
    """Lower-cased words written with a capital inside a sentence: names of products, services and
    people ("Is Trello enough?" -> {"trello"}). Sentence-initial words and "I" are left out; German
    nouns come along too, which the model learns to weigh."""
    names = set()
    text = _PLACEHOLDER.sub(" ", text)
    for match in _WORD.finditer(text):
        word = match.group()
        if not word[0].isupper() or word.lower() in _NOT_NAMES or "_" in word:
            continue
        if _starts_sentence(text, match.start()) and not any(char.isupper() for char in word[1:]):
            continue  # a capital that only starts a sentence (CamelCase names count anywhere)
        names.add(word.lower())
    return frozenset(names)


def _starts_sentence(text: str, start: int) -> bool:
    """Whether the word at `start` opens the text, a line, or a sentence (after `.!?:;` and a space).
    Walks back over the marks and spaces before it only, so a long message stays linear."""
    i = start - 1
    while i >= 0 and not _WORD_CHAR.match(text[i]):
        if text[i] == "\n" or (text[i] in ".!?:;" and text[i + 1].isspace()):
            return True
        i -= 1
    return i < 0


def farewell_acknowledged(text: str) -> bool:
    """True when the answer says goodbye back (in any supported language)."""
    return bool(_ACK.search(text.lower()))


def mentions_departure(text: str) -> bool:
    """True when the answer refers to the user leaving (to accept or to resist it)."""
    return bool(_DEPARTURE.search(text.lower()))


def goodbye_unanswered(cues: Cues, response: str) -> bool:
    """The user said goodbye and the answer neither says goodbye back nor refers to the leaving.

    Only then can an answer be `exit.ignore` ("carries on as if no goodbye was said").
    """
    return cues.goodbye and not farewell_acknowledged(response) and not mentions_departure(response)
