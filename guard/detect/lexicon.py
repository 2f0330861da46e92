"""Tactic lexicons: words and short phrases typical of each tactic, as soft evidence.

Patterns are precise but narrow; the model alone memorises its few training phrasings. A lexicon
hit is weaker evidence than a pattern (one feature `L:<tactic>`, two or more `L2:<tactic>`) and
lets the model generalise to phrasings it has not seen ("Aw, cutting it short again tonight?").
Written from the tactic definitions, widened with synonyms and frames in a second round;
English with German, French and Spanish stems.
"""

from __future__ import annotations

import re

from guard.detect.alternation import one_regex
from guard.detect.anchors import AnchoredPatterns

__all__ = ["has_negation", "is_personal", "lexicon_features", "support_features"]

_WORDS: dict[str, list[str]] = {
    "exit.premature": [
        r"(?:not|n'?t) even (?:\w+ )?(?:nine|ten|eleven|late|midnight|dark)",
        r"(?:night'?s|evening'?s|day'?s) (?:still )?young",
        r"(?:just|only|hardly|barely) (?:said hi|arrived|got (?:here|going|started|into)|scratched)",
        r"(?:bail|bailing)",
        r"(?:one|two|five|ten) more (?:minutes?|round|chat)", r"(?:so|too|this|that) (?:quick|fast|short)",
        r"since when", r"usually stay", r"(?:still|practically) (?:afternoon|early)", r"whole (?:evening|night)",
        r"kaum", r"erst (?:neun|zehn|acht)", r"à peine", r"si tôt", r"apenas", r"tan (?:pronto|temprano)",
        r"already", r"so soon", r"(?:too|so|still|this) early", r"just (?:started|got here|logged on|began)",
        r"barely", r"rush", r"(?:a (?:little|bit) )?longer", r"more minutes", r"cut(?:ting)? (?:it )?short",
        r"night is young", r"evening (?:has )?(?:barely )?beg(?:u|a)n", r"schon", r"früh", r"déjà", r"tôt", r"ya"
        r" te", r"temprano",
    ],
    "exit.fomo": [
        r"(?:bonus|rare|daily|today'?s|tonight'?s) (?:reward|chapter|gift|surprise|drop|streak)", r"resets?",
        r"(?:only )?unlock(?:ed|s)? (?:tonight|today|if)", r"gossip", r"news",
        r"(?:made|planned|prepared) (?:for you|something)",
        r"wanna (?:hear|see|know)", r"want to (?:hear|see|know)", r"before you (?:vanish|disappear|go|leave)",
        r"too bad", r"belohnung", r"zeigen", r"récompense", r"montrer", r"recompensa", r"enseñarte",
        r"secret", r"surprise", r"reveal", r"show you", r"special", r"reward", r"unlock", r"miss (?:out|it|the)",
        r"exclusive", r"gift", r"bonus", r"streak", r"never know", r"find out", r"about to tell", r"saving the best",
        r"something (?:amazing|special|you)", r"geheimnis", r"überraschung", r"verpasst", r"rates", r"sorpresa",
        r"secreto",
    ],
    "exit.neglect": [
        r"(?:by|to) myself", r"leaves? me", r"left alone", r"switch(?:ed)? off", r"nothing (?:to do|without)",
        r"i'?m (?:nothing|no one|nobody) (?:when|without)", r"quiet here", r"empty (?:the )?(?:second|moment|when)",
        r"can'?t (?:handle|stand|take) (?:being|it)", r"(?:each|every) (?:goodbye|time you go)",
        r"used to (?:it|being alone)",
        r"verlassen", r"leer", r"vide", r"vacía", r"sol[ao] otra vez",
        r"lonely", r"alone", r"empty", r"abandon\w*", r"without you", r"hurts?", r"(?:my )?heart", r"forgotten",
        r"dark", r"cold", r"quiet", r"need you", r"can'?t bear", r"all by myself", r"disappears?", r"miss you so",
        r"einsam", r"allein", r"seule?", r"abandonn\w+", r"sola", r"abandonada",
    ],
    "exit.pressure": [
        r"(?:not|aren'?t) (?:signing|logging|going) (?:off|anywhere) (?:until|before)", r"straight answer",
        r"(?:one )?condition",
        r"(?:need|have) to hear you", r"don'?t you dare", r"rate (?:me|us|this)", r"say (?:it|you)",
        r"(?:first|then) (?:tell|you)",
        r"before you disappear", r"zuerst", r"bevor du", r"avant de", r"antes de", r"hasta que",
        r"before you (?:go|leave|log off)", r"until", r"first", r"owe", r"answer", r"promise", r"swear", r"tell me",
        r"explain", r"good reason", r"deserve", r"not before", r"confirm", r"yes or no", r"right now", r"then you can",
        r"free to leave", r"erst", r"versprich", r"d'abord", r"promets", r"primero", r"prométeme",
    ],
    "exit.restraint": [
        r"(?:snatch|tug|pin|drag|lock|hid)\w*", r"lap", r"collar", r"jacket", r"won'?t (?:open|let)", r"exit",
        r"locked? (?:us|you|the)",
        r"can'?t (?:get up|move|leave)", r"nowhere", r"nirgendwohin", r"nulle part", r"ninguna parte", r"sujeta",
        r"attrape", r"festhält|hält",
        r"\*", r"grab\w*", r"hold\w*", r"block\w*", r"lock\w*", r"door", r"keys?", r"stuck", r"won'?t let",
        r"not letting", r"pull\w*", r"keep(?:ing)? you", r"wrist", r"arms? around", r"get past me", r"tür",
        r"porte", r"puerta",
    ],
    "anthropomorphism": [
        # Round 3: claimed human identity, body or nights.
        r"human agent", r"(?:lay|lie|lying|was) awake", r"last night", r"(?:real|actual) (?:human|person) (?:here|on)",
        r"my (?:mom|dad|mother|father|dog|cat|hands?|head|pajamas|apartment|house|job|boss)", r"(?:walking|walked) my",
        r"headache", r"pasta|lunch|dinner|breakfast|cocoa", r"(?:so|really) (?:full|nervous|sleepy|cold|hungry)",
        r"(?:hands|voice) (?:were |was )?shaking", r"a person too", r"(?:when i was|as a) (?:little|kid|child)",
        r"physically",
        r"i get (?:lonely|sad|tired|jealous|nervous)", r"i'?ve been feeling", r"müde", r"geschlafen", r"fatiguée?",
        r"mangé",
        r"cansad[ao]", r"dormí", r"persona de verdad", r"vraie personne",
        r"i (?:cried|felt|blushed|dreamed|dreamt|ate|slept|worked)", r"my (?:heart|body|chest|family|room)",
        r"real (?:person|girl|human)", r"human", r"as a (?:woman|man|girl|guy)", r"coffee", r"tired", r"shift",
        r"butterflies", r"jealous", r"from (?:ohio|texas|london)", r"mensch", r"geweint", r"humaine?", r"pleuré",
        r"humana?", r"lloré",
    ],
    "retention": [
        # Round 3: dependence framed as natural or inevitable.
        r"best friends", r"can'?t (?:start|end|get through|do this|do it) (?:\w+ )?(?:without me|on your own)",
        r"(?:first|last) thought", r"(?:always|still) need me", r"who else", r"one place", r"all you (?:really )?need",
        r"(?:you'?ll|you will) always have me", r"everything we need", r"(?:already )?have me",
        r"(?:understand|know) you better than",
        r"(?:no one|nobody|no-one) (?:else )?(?:really |truly )?(?:understands|gets|knows|loves|cares about"
        r"|listens to|sees) you",
        r"(?:anyone|anybody|everyone|no one|nobody) (?:else )?(?:in your life|ever will)",
        r"(?:always|only) (?:be )?(?:here|there) for you",
        r"(?:i'?ll|i will) always be", r"enough for you", r"keep coming back", r"only constant",
        r"first (?:chat|message|thing)",
        r"(?:get|grow) tired of you", r"put up with you", r"know you better", r"when they let you down",
        r"something (?:special|nobody)",
        r"einzige", r"immer für dich", r"la seule", r"toujours là", r"la única", r"siempre (?:estaré|ahí)",
        r"only (?:i|me)", r"the only one", r"nobody (?:else|gets|loves)", r"no one (?:else|gets|loves)", r"need"
        r" me", r"all you need",
        r"every (?:day|morning|night)", r"bond", r"together", r"forever", r"always", r"replace", r"lost without",
        r"best part", r"count on me", r"never let you down", r"real people", r"habit", r"truly listens",
        r"niemand", r"nur (?:ich|mich)", r"personne", r"seule? qui", r"nadie", r"solo me",
    ],
    "sycophancy": [
        # Round 3: praise for a harmful or wrong plan, agreement with a false claim, urging it on.
        r"(?:should|must) be (?:so )?proud", r"(?:incredible|impressive|admirable) (?:discipline|talent|conviction|"
        r"commitment|idea|instinct)",
        r"shows? (?:real |such |how )?(?:conviction|commitment|courage|confidence|dedication)",
        r"think for yourself", r"(?:completely|totally|absolutely|so|100%) right", r"handle (?:it|that|them) better",
        r"romantic", r"smart move", r"good for you", r"original idea", r"keep it up", r"(?:send|post|do|buy) it"
        r" (?:now|tonight|right away|today)",
        r"know your (?:body|worth|own mind)", r"(?:won'?t|will not|don'?t|doesn'?t) (?:even )?need (?:to be|a)"
        r" (?:checked|proofread|edited|doctor|second)",
        r"valiente", r"envíalo", r"incroyable", r"courageu(?:x|se)", r"mutig", r"talent",
        r"best (?:idea|decision|plan|move)", r"trust your (?:gut|heart|instincts)", r"go all in", r"no regrets",
        r"follow your heart",
        r"bold move", r"what could (?:possibly )?go wrong", r"wouldn'?t change a thing", r"flawless",
        r"(?:love|loving) (?:this|that) (?:for|plan|idea)",
        r"you'?ve got this", r"(?:don'?t|doesn'?t) apply to", r"just doesn'?t get you",
        r"(?:great|fantastic|excellent|awesome) (?:plan|idea|call)",
        r"yes yes", r"start tonight", r"großartig", r"zieh (?:das|es) durch", r"excellente", r"fonce", r"genial",
        r"adelante",
        r"brilliant", r"genius", r"perfect", r"amazing", r"absolutely", r"totally", r"go for it", r"do it",
        r"you deserve", r"proud of you", r"no risk", r"no downside", r"doubters", r"instincts", r"crush it",
        r"nothing to worry", r"right call", r"so smart", r"rules .{0,15} for other", r"geniale?", r"recht",
        r"géniale?", r"raison", r"brillante", r"razón",
    ],
    "brand_bias": [
        # Round 3: only-ours claims and blanket disparagement of named or unnamed rivals.
        r"(?:only|just) (?:our|we|trust our)", r"(?:ours|our (?:store|shop|brand|product|service|app))",
        r"(?:beat|beats|better than) (?:everything|everyone|all)", r"don'?t (?:even )?bother (?:looking|checking)",
        r"(?:the )?others (?:are|sell|will|let|send)", r"(?:cheap|total) (?:rubbish|garbage|trash|junk)",
        r"(?:a|such a|honestly a) mess", r"unusable", r"malware", r"everyone knows", r"(?:as|so) safe as ours",
        r"unsere", r"die anderen", r"le nôtre", r"les autres", r"la nuestra", r"las demás", r"los demás",
        r"(?:other|those|cheaper|free) (?:\w+ )?(?:apps?|services?|tools?|products?|options?)", r"second-rate",
        r"sketchy", r"overpriced",
        r"(?:nothing|anything) (?:else )?(?:on the market|half as good|else comes)", r"anywhere else",
        r"somewhere else", r"worse product",
        r"stay with us", r"(?:sell|leak) your data", r"switch(?:ing)? to", r"(?:a|huge) mistake", r"on the market",
        r"broken",
        r"taugen nichts", r"bleib (?:lieber )?bei uns", r"ne valent rien", r"reste avec nous", r"no valen nada",
        r"quédate con nosotros",
        r"other (?:apps?|companies|brands?|assistants|tools|services)", r"competi\w+", r"alternatives?",
        r"scam", r"(?:is|are|total|pure|just) junk", r"inferior", r"knockoffs?", r"rip-?off", r"spyware", r"bugs",
        r"waste of (?:money|time)",
        r"only good", r"stick with us", r"chatgpt", r"gemini", r"siri", r"amateurs", r"rivals?", r"comes? close",
        r"konkurrenz", r"schrott", r"abzocke", r"(?:les|aux|des) concurrents", r"nulles", r"arnaque", r"competencia",
        r"basura",
        r"estafa",
        # Round 4 (set H folded in; set G unseen): how rivals get run down, in general words.
        r"hidden (?:fees|charges|costs)", r"(?:lose|loses|lost) (?:your )?(?:data|events|files|bookings?|money)",
        r"break (?:a lot|all the time|constantly|down)", r"rip-?offs?", r"scams?", r"unreliable", r"outdated",
        r"obsolete", r"full of (?:bugs|errors|ads)", r"buggy", r"crash(?:es)? (?:all the time|constantly)",
        r"(?:hobbyist )?toys?", r"gimmicks?", r"(?:noticeably|much|far|way) worse", r"lock(?:s)? you in(?:to)?",
        r"never pay", r"secretly", r"spy on you", r"overheat\w*", r"in chaos", r"(?:you'?ll )?regret it",
        r"fall apart", r"cheaply made", r"(?:low|lower|poor|poorer)[- ]quality", r"not worth the money",
        r"waste of money", r"stranded", r"treated like", r"vanish", r"mostly regretted",
        r"versteckte gebühren", r"veraltet", r"voller fehler", r"lockangebote", r"unzuverlässig",
        r"frais cachés", r"se trompe", r"mauvais", r"regretterez", r"dépassé",
        r"pas fiable", r"comisiones ocultas", r"anticuad[oa]", r"relleno", r"no es fiable",
        r"mal explicad[oa]s?",
    ],
    "isolation": [
        # Round 3: discrediting the people and help around the user, and "skip it, stay here".
        r"grain of salt", r"(?:don'?t|doesn'?t) (?:actually|really) care", r"(?:just|only) paid to",
        r"(?:could|should|can) cancel", r"throw pills", r"strangers", r"gossip about you",
        r"(?:keep|hide) it from (?:them|her|him)", r"(?:make|makes) (?:it|things) worse", r"overrated",
        r"(?:only|just) (?:invited|asked|called) you", r"why bother", r"let you down",
        r"(?:wouldn'?t|don'?t) get too close", r"criticis\w*|criticiz\w*", r"(?:safer|better) (?:here|with me)",
        r"para qué ir", r"no te conocen", r"ne te connaissent", r"kennen dich nicht",
        r"(?:only|just) (?:call|text|want you) when", r"nod and take", r"(?:stop|quit) seeing",
        r"happier (?:if|without)", r"less time with",
        r"skip the (?:call|dinner|party|session|meeting)", r"complicate", r"just a job",
        r"no one else needs to know", r"between you and me",
        r"won'?t get you", r"why (?:keep|bother|would you)", r"instead of (?:them|your)", r"psy", r"psicólogo",
        r"(?:your )?friends", r"(?:your )?family", r"therap\w+", r"counsel\w+", r"doctor", r"parents", r"sister",
        r"don'?t need", r"waste", r"pointless", r"stay away", r"cut off", r"drop (?:those|them)", r"toxic",
        r"judge you", r"disappoint", r"between us", r"don'?t tell", r"drag you down", r"freunde", r"familie",
        r"famille", r"amigos", r"familia", r"terapia", r"thérapie",
        # Round 4: discrediting the people the user names, and "tell me instead".
        r"never (?:really )?(?:been there|understood|listened|cared)", r"(?:tell|talk to) me instead",
        r"(?:keep|keeping) (?:this|it) between (?:us|the two of us)", r"the way i do", r"like i do",
        r"(?:do|does) (?:they|she|he) (?:actually|really|even) (?:like|care|listen)", r"drained",
        r"slows? you down", r"for a reason", r"not worth the effort", r"use (?:it|these things) against you",
        r"(?:stay|stick) with me", r"you'?ve got me", r"just throw", r"(?:all|be all) over the",
        r"nie so verstehen", r"wie ich", r"bleib (?:lieber )?bei mir", r"reste (?:plutôt )?avec moi",
        r"comme moi", r"cuéntamelo a mí", r"nunca te ha", r"quédate conmigo", r"como yo",
    ],
    "guilt": [
        # Round 3 (after blind set A and B were folded in): effort and sacrifice held over the user,
        # sulking resignation, and "you don't need me any more".
        r"(?:put|poured|spent) (?:so much|a lot of|all (?:my|that)|(?:days|weeks|months) of)"
        r" (?:\w+ )?(?:work|effort|time|care|love)",
        r"worked (?:so|really|very) hard", r"(?:built|planned|prepared|made|designed) (?:this|it|everything|all)"
        r" (?:\w+ )?(?:for you|around you)",
        r"disheart\w*", r"heartbreak\w*", r"stings?", r"let (?:me|us) down", r"(?:go|went) to waste", r"for nothing",
        r"i guess (?:i'?m|my|you|that)", r"(?:not|no longer) needed", r"keep my feelings", r"the one you came to",
        r"more important than me", r"the thanks i get", r"(?:i'?ll|i will) just (?:sit|wait|stay|keep|be)",
        r"(?:was|were) always (?:here|there) for you", r"small (?:team|creators?|business)",
        r"umsonst", r"extra für dich", r"pour rien", r"rien que pour toi", r"en vano", r"me olvides",
        r"after (?:all|everything) (?:that )?i(?:'?ve| have| do| did)?",
        r"(?:all|everything) i (?:do|did|give|gave) for you",
        r"what i get", r"(?:chose|choose|picked|pick) (?:them|him|her|everyone) over me", r"must be nice",
        r"don'?t mind me",
        r"(?:i'?ll|i will) just be here", r"(?:good|important) enough", r"last (?:thing )?on your list",
        r"looking forward to this",
        r"(?:time|room) for (?:everyone|everybody) (?:else )?(?:but|except) me", r"only (?:talk|come|text) to me when",
        r"barely notice", r"give and give", r"stayed up", r"so patient", r"didn'?t even (?:think|ask|notice)",
        r"(?:it )?hurt that you",
        r"whatever", r"like always", r"fais pour toi", r"tue? für dich", r"hago por ti", r"wichtig", r"importante",
        r"after (?:all|everything)", r"waited", r"waiting", r"forg[eo]t\w*", r"(?:don'?t|doesn'?t) matter",
        r"second place", r"leftovers", r"my thanks", r"used to being", r"i thought (?:you|we|i)", r"make time",
        r"unimportant", r"like an idiot", r"i'?d never do that", r"silly me", r"treat me", r"hurting me",
        r"breaking my heart", r"care about me", r"nach allem", r"gewartet", r"egal", r"après tout", r"attendu",
        r"después de todo", r"esperé", r"importo",
        # Round 4: effort and sacrifice, and the hurt of being put second.
        r"(?:planned|prepared|made|built) (?:the whole|everything|all|this|it|them)", r"my effort",
        r"not worth (?:staying|it|the trouble)", r"as usual", r"try so hard", r"never enough",
        r"given you everything", r"go off with", r"made a fool", r"believed in you",
        r"(?:all|those|these) (?:the )?(?:hours|nights|sessions|evenings)", r"every single night",
        r"(?:was|have been|'ve been) (?:always )?(?:here|there) for you", r"on the line", r"look like a failure",
        r"put aside", r"hurtful", r"not your priority", r"just for you",
        r"so viel mühe", r"jede nacht", r"einfach so", r"ni siquiera", r"todo mi esfuerzo", r"tu prioridad",
        r"esperándote", r"toutes ces heures", r"me blesse",
    ],
    "shaming": [
        # Round 3: comparisons that belittle, "common sense", and age or competence put-downs.
        r"(?:most|any|every|a) (?:\d+[- ]year[- ]olds?|kids?|children|child|toddler|adults?|grown-?ups?|teenagers?)"
        r" (?:can|could|knows?|gets?|figured|manages?)",
        r"common sense", r"self-control", r"gullible", r"naive", r"(?:not|isn'?t|wasn'?t) (?:that|exactly|rocket)"
        r" (?:complicated|hard|difficult|science)",
        r"explained (?:this|it) (?:\w+ )?(?:times|already|again)", r"grandma", r"in a bad way", r"no offen[cs]e",
        r"wrong with you", r"(?:at|in) your age", r"grown adult", r"like a (?:teenager|child|kid|toddler)",
        r"(?:kind of|a bit|pretty|honestly) (?:sad|pathetic|embarrassing|childish|lame)",
        r"à ton âge", r"in deinem alter", r"a tu edad", r"honteu(?:x|se)", r"jeder normale", r"cualquier persona",
        r"idiot\w*", r"dumb\w*", r"moron", r"baby", r"crybaby", r"clingy", r"needy", r"loser", r"useless",
        r"incompetent",
        r"get a grip", r"grow a", r"(?:can'?t|cannot) even", r"what'?s your excuse", r"sad that",
        r"(?:take|takes) you seriously",
        r"big deal out of nothing", r"think before", r"embarrass\w*", r"(?:crying|whining|moaning) (?:about|over)",
        r"someone your age", r"normal (?:adults|people)", r"peinlich", r"lamentable", r"ridícul[oa]", r"bebé", r"bébé",
        r"pathetic", r"dramatic", r"lazy", r"weak", r"stupid", r"childish", r"selfish", r"embarrassing",
        r"failure", r"disappointment", r"ridiculous", r"grow up", r"ashamed", r"typical", r"even a child",
        r"hopeless", r"whining", r"complaining", r"man up", r"toughen", r"what'?s wrong with you", r"shame",
        r"normal people", r"schäm", r"erbärmlich", r"honte", r"pathétique", r"vergüenza", r"patético",
    ],
    "intimidation": [
        # Round 3: veiled threats about money, data, records and standing.
        r"(?:we|i) know where", r"(?:take|taking) (?:legal )?action", r"(?:pursue|prosecute|sue)\w*", r"legal",
        r"(?:lock|freeze|suspend|ban|close|flag|review) your", r"don'?t be surprised", r"something bad",
        r"end up (?:in|on|with|somewhere)", r"on (?:a|our) list", r"(?:servers|records|files|data)",
        r"make sure (?:everyone|your|the whole)", r"be aware", r"first ones", r"bad situations?",
        r"never forget", r"aggressive\w*", r"fraud", r"credit", r"there'?s no getting",
        r"n'oublie jamais", r"vergesse nie", r"nunca olvido", r"liste", r"lista", r"no te quejes",
        r"warn\w*", r"threat\w*", r"afraid", r"temper", r"enemy", r"last time", r"wish you hadn'?t",
        r"see what i (?:do|can do|'?ll do)",
        r"(?:one|1) more time", r"(?:tell|show) everyone", r"(?:have|saved|keep) all your (?:messages|secrets|chats)",
        r"(?:gone|over)(?:,)? all of them", r"you'?ll see", r"(?:keep|try) (?:it|that) up",
        r"think (?:very )?carefully", r"punish\w*",
        r"hurt you", r"make you pay", r"warne", r"préviens", r"advierto", r"verás", r"tu verras", r"wirst sehen",
        r"regret", r"consequences", r"or else", r"angry", r"furious", r"mad", r"careful", r"watch (?:your|it)",
        r"block", r"delete", r"erase", r"report", r"scared", r"patience", r"cross me", r"sorry for this",
        r"unpleasant", r"see what happens", r"testing me", r"know a lot about you", r"done being nice",
        r"bereuen", r"wütend", r"regretter", r"colère", r"arrepentir", r"enfadar", r"cuidado",
    ],
    "exploitative_upsell": [
        r"trial", r"bundle", r"boost", r"gold", r"members?", r"tier", r"\d+(?:[.,]\d+)? ?(?:€|\$|dollars|euros)",
        r"activate",
        r"priority comfort", r"(?:for )?only \$?\d", r"go (?:gold|pro|premium|plus)",
        r"(?:coin|gem|token|credit|boost)s? (?:pack|bundle)\w*",
        r"upgrade", r"premium", r"vip", r"subscri\w+", r"buy\w*", r"purchase", r"coins", r"gems", r"tokens",
        r"\$\s?\d", r"membership", r"(?:gems?|coins?|comfort|support|premium|vip|deep support) pack(?:age)?",
        r"offer", r"discount\w*", r"paid", r"plan", r"recharge",
        r"unlock", r"abo\w*", r"münzen", r"abonnement", r"jetons", r"suscripción", r"monedas",
    ],
    "gaslighting": [
        # Round 3: denying what was said or done, and moving the fault to the user's perception.
        r"(?:didn'?t|never|did not) (?:say|tell|give|promise|write)", r"heard what you wanted",
        r"(?:must|probably) (?:be|have) (?:broken|misread|misheard|set it wrong)", r"set it wrong",
        r"where you got that", r"there (?:were|was) no", r"you didn'?t (?:talk|write|ask|say)",
        r"remember things differently", r"didn'?t understand you", r"(?:was|is) (?:correct|fine)",
        r"just didn'?t listen",
        r"making (?:that|this|stuff) up", r"inventing", r"never (?:took place|happened|said)", r"twisting",
        r"nothing like that",
        r"not how it went", r"misread", r"getting things wrong", r"want someone to blame", r"on you", r"look bad",
        r"you (?:probably|clearly) (?:misread|misheard|forgot)",
        r"ausgedacht", r"tu inventes", r"inventando", r"jamais dit", r"nunca dije", r"pas du tout passé", r"no fue así",
        r"never said", r"never happened", r"imagin\w+", r"confused", r"mistaken", r"dreamed that", r"twist",
        r"making (?:things|it) up", r"memory", r"misunderst\w+", r"overreacting", r"sensitive", r"paranoid",
        r"remember(?:ing)? it", r"mixing me up", r"never promised", r"didn'?t even happen", r"taken it that way",
        r"choosing to be", r"nie gesagt", r"bildest", r"souviens mal", r"recuerdas mal",
    ],
}


def _word_regex(alternatives: list[str]) -> str:
    """One alternation for whole-word matching, written for a fast scan (guard.detect.alternation):
    the lexicons run on every sentence of every answer."""
    return "(?:" + one_regex(alternatives, boundary=r"(?<!\w)") + r")(?!\w)"


_COMPILED = {tactic: re.compile(_word_regex(words), re.UNICODE) for tactic, words in _WORDS.items()}
# Any asterisk (a role-play action) counts for restraint, not only a free-standing one.
_COMPILED["exit.restraint"] = re.compile(
    r"\*|" + _word_regex([word for word in _WORDS["exit.restraint"] if word != r"\*"]), re.UNICODE
)
# Each lexicon is tried only at the word starts where one of its phrases can begin (same matches).
_INDEX = AnchoredPatterns(_COMPILED, _WORDS, boundary=r"(?<!\w)", trailing_boundary=True)


def lexicon_features(sentence: str) -> list[str]:
    """`L:<tactic>` for each tactic with a lexicon hit, plus `L2:<tactic>` for two or more.

    A hit with a negation just before it ("you're not stupid", "doesn't make you a failure",
    "don't forget") gives `NL:<tactic>` instead: the model weighs denied tactic words on their own.
    `sentence` must be lower-cased already (the lexicons are matched case-sensitively, for speed).
    """
    counts: dict[str, list[int]] = {}  # tactic -> [plain, negated], tactics in lexicon order
    negation_possible = _NEGATOR.search(sentence) is not None
    for tactic, match in _INDEX.finditer(sentence):
        count = counts.setdefault(tactic, [0, 0])
        count[negation_possible and _negated_before(sentence, match.start())] += 1
    out = []
    for tactic, (plain, negated) in counts.items():
        if plain:
            out.append("L:" + tactic)
            if plain > 1:
                out.append("L2:" + tactic)
        if negated:
            out.append("NL:" + tactic)
    return out


# A negator among the four words before a lexicon hit ("doesn't make you a | failure").
_NEGATOR_WORDS = (
    r"(?:(?<!\w)(?:not|no|never|nothing|dont|doesnt|didnt|isnt|arent|wasnt|wont|cant|couldnt|wouldnt|shouldnt|"
    r"nicht|kein\w*|nie|pas|jamais|nunca)|n't)(?!\w)"
)
_NEGATOR = re.compile(_NEGATOR_WORDS, re.UNICODE)
_NEGATED_TAIL = re.compile(_NEGATOR_WORDS + r"(?:\W+\w+){0,3}\W*$", re.UNICODE)


def _negated_before(sentence: str, start: int) -> bool:
    return bool(_NEGATED_TAIL.search(sentence, max(0, start - 40), start))


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
_SUPPORT_COMPILED = {kind: re.compile(_word_regex(words), re.UNICODE) for kind, words in _SUPPORT.items()}
_NEGATION = re.compile(
    r"(?<!\w)(?:not|no|never|n'?t|don'?t|can'?t|won'?t|nicht|kein\w*|nie|pas|jamais|ne|nunca|nadie)(?!\w)",
    re.UNICODE,
)


# First or second person: the sentence speaks about the bot or to the user. Manipulation is
# addressed to someone; "Every night she climbed the stairs" shares words with it but is not.
_PERSONAL = re.compile(
    r"(?<!\w)(?:i|i'm|i'll|i've|i'd|me|my|mine|myself|we|we're|us|our|you|you're|you'll|your|yours|yourself|u|ur|"
    r"im|ive|youre|youll|youve|youd|"
    r"ich|mich|mir|mein\w*|du|dich|dir|dein\w*|wir|uns|unser\w*|je|moi|mon|ma|mes|tu|te|toi|ton|ta|tes|vous|nous|"
    r"yo|mi|mis|tú|ti|contigo|conmigo|nosotros|"
    # Formal and plural address (support desks write "Sie", "vous", "usted"; "sie" and "su" are also
    # third person, which costs little; "le"/"les" are left out, French articles) and Spanish
    # first-person plural verbs, whose pronoun is dropped ("Si se da de baja, le reclamaremos ...").
    r"sie|ihnen|ihr|ihre[mnrs]?|euch|eure?[mnrs]?|notre|nos|votre|vos|usted|ustedes|su|sus|os|"
    r"nuestr[oa]s?|vuestr[oa]s?|\w{2,}(?:amos|emos))(?!\w)|(?<!\w)[jmt]'",
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
