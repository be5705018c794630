"""A labelled evaluation set for denied-party screening, generated from the real SDN list.

Deterministic for a seed. Positives are realistic variants of one name (the primary
name or, three times in ten, an alias) of a real listed individual or entity, each
labelled with the party it must find and its kind:

- ``exact`` — the name as listed; ``natural_order`` — an individual's given names first,
  title case (how a person's display name reads); ``order_swap`` — family name first,
  no comma;
- ``translit`` — one transliteration alternation in one token (Mohammed/Muhammad,
  kh/h, ou/u, y/i, j/dzh, -ov/-off, ...); ``cyrillic`` — a Russian-looking name written
  in Cyrillic (read back by the matcher's own transliteration);
- ``typo_insert``, ``typo_delete``, ``typo_substitute``, ``typo_transpose`` — one edit
  at any position of any token (first and last letters, given names, particles);
- ``drop_middle`` — an individual's middle name or second family name left out;
  ``initials`` — one given name written as an initial;
- ``hyphen_space`` — a hyphen or apostrophe typed as a space; ``joined`` — a hyphen,
  apostrophe or the space after a particle (al, abu, bin, de, van, ...) left out;
  ``space_hyphen`` — the space after a particle typed as a hyphen;
- ``diacritics`` — accents added to one or two letters;
- ``legal_form`` — an entity's legal form spelled another way (LLC, L.L.C., Llc,
  Limited Liability Company, OOO; Ltd/Limited; S.A./Sa/Sociedad Anonima; ...), dropped,
  or added where the list has none; ``generic_dropped`` — a generic word (trading,
  international, group, company, ...) left out of an entity's name.

Negatives are names that are not on the list:

- ``neg_person`` — given and family names from a multinational pool;
- ``neg_recombined`` — the given name of one listed individual with the family name of
  another (real tokens, the hardest negatives);
- ``neg_org`` — plausible company names (pool words and a legal form);
- ``neg_org_recombined`` — distinctive words of two different listed entities with a
  legal form.

A generated negative is kept only if it is not a variant of a listed name: it is
rejected when some listed name has, for every distinctive token of the candidate, a
token within one edit (optimal string alignment) of it, either as written or after the
transliteration folding below. Legal forms, generic words and particles are not
distinctive. The check is this module's own code, independent of the matcher.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from anyascii import anyascii
from rapidfuzz.distance import OSA

from caveat.domain.screening import ListedParty, PartyKind, parse_ofac_sdn

SDN = Path(__file__).parents[1] / "tests" / "data" / "screening" / "sdn-2024-05-03.csv"

POSITIVE_KINDS = (
    "exact",
    "natural_order",
    "order_swap",
    "translit",
    "cyrillic",
    "typo_insert",
    "typo_delete",
    "typo_substitute",
    "typo_transpose",
    "drop_middle",
    "initials",
    "hyphen_space",
    "joined",
    "space_hyphen",
    "diacritics",
    "legal_form",
    "generic_dropped",
)
NEGATIVE_KINDS = ("neg_person", "neg_recombined", "neg_org", "neg_org_recombined")


@dataclass(frozen=True, slots=True)
class Query:
    """One labelled query: the text, its kind, and the party it must find (None: none)."""

    text: str
    kind: str
    party: ListedParty | None = None
    source_name: str = ""


def sdn_parties() -> list[ListedParty]:
    """The real OFAC SDN list of 2024-05-03."""
    return parse_ofac_sdn(SDN.read_text(encoding="latin-1"))


# --- vocabulary ---------------------------------------------------------------------------

PARTICLES = frozenset(
    "al el ul ad as ash at az ar an abu abd abdel abdul bin ibn bint ben bou "
    "van von der den de del della di da du dos das la le los o mc mac st".split()
)

# Equivalent spellings of a legal form; the first of each class is the canonical one.
LEGAL_FORMS: tuple[tuple[str, ...], ...] = (
    (
        "LLC",
        "L.L.C.",
        "Llc",
        "Limited Liability Company",
        "OOO",
        "L.L.C",
        "LLC.",
        "Obshchestvo S Ogranichennoi Otvetstvennostyu",
    ),
    ("LTD", "Ltd.", "Limited", "Ltd", "L.T.D."),
    ("CO., LTD.", "Co. Ltd.", "Company Limited", "Co Ltd", "Co., Limited"),
    ("S.A.", "SA", "Sa", "S.A", "Sociedad Anonima", "S. A."),
    ("S.A. DE C.V.", "SA de CV", "S.A. de C.V", "Sa De Cv"),
    (
        "JSC",
        "Joint Stock Company",
        "J.S.C.",
        "AO",
        "Joint-Stock Company",
        "Aktsionernoe Obshchestvo",
    ),
    (
        "PJSC",
        "Public Joint Stock Company",
        "P.J.S.C.",
        "PAO",
        "Public Joint-Stock Company",
        "Publichnoe Aktsionernoe Obshchestvo",
    ),
    ("CJSC", "Closed Joint Stock Company", "ZAO", "C.J.S.C.", "Zakrytoe Aktsionernoe Obshchestvo"),
    ("OJSC", "Open Joint Stock Company", "OAO", "O.J.S.C.", "Otkrytoe Aktsionernoe Obshchestvo"),
    ("CO.", "Co", "Company", "Co"),
    ("CORP.", "Corp", "Corporation"),
    ("INC.", "Inc", "Incorporated"),
    ("GMBH", "GmbH", "G.m.b.H.", "Gesellschaft mit beschraenkter Haftung"),
    ("PLC", "P.L.C.", "Plc", "Public Limited Company"),
    ("FZE", "F.Z.E.", "Fze", "Free Zone Establishment"),
    ("FZCO", "F.Z.C.O.", "Fzco", "Free Zone Company"),
    ("LLP", "L.L.P.", "Limited Liability Partnership"),
    ("PTE. LTD.", "Pte Ltd", "Private Limited", "Pte. Limited"),
    ("SDN. BHD.", "Sdn Bhd", "Sendirian Berhad"),
    ("LTDA.", "Ltda", "Limitada"),
    ("S.R.L.", "SRL", "Srl", "S.R.L"),
    ("SAL", "S.A.L.", "Sal"),
    ("SARL", "S.A.R.L.", "Sarl"),
    ("B.V.", "BV", "Bv"),
    ("A.S.", "AS", "Anonim Sirketi", "A.Ş."),
    ("S. DE R.L. DE C.V.", "S de RL de CV", "S. de R.L. de C.V"),
)
_LEGAL_ANY = sorted({s for forms in LEGAL_FORMS for s in forms}, key=len, reverse=True)
_LEGAL_ALT = "|".join(re.escape(s) for s in _LEGAL_ANY)
_LEGAL_END = re.compile(r"(?:,\s*|\s+)(" + _LEGAL_ALT + r")\s*$", re.IGNORECASE)
_LEGAL_START = re.compile(r"^(" + _LEGAL_ALT + r")\s+(?=\S)", re.IGNORECASE)
GENERIC = frozenset(
    "trading trade international group holding holdings company industries industrial "
    "industry enterprises enterprise services service general commercial import export "
    "investment investments development global the and of for co corporation".split()
)
_LEGAL_WORDS = frozenset(
    w for forms in LEGAL_FORMS for s in forms for w in re.split(r"[\s.,]+", s.lower()) if w
) | {"limited", "liability", "joint", "stock", "public", "closed", "open", "private"}

TRANSLIT: tuple[tuple[str, str], ...] = (
    ("mohammed", "muhammad"),
    ("mohammad", "muhammad"),
    ("mohamed", "mohammed"),
    ("muhammad", "mohamad"),
    ("hussein", "husain"),
    ("hussein", "hussain"),
    ("hossein", "hussein"),
    ("osama", "usama"),
    ("omar", "umar"),
    ("yusuf", "yousef"),
    ("abdul", "abdel"),
    ("aleksandr", "alexander"),
    ("sergey", "sergei"),
    ("kh", "h"),
    ("ph", "f"),
    ("ou", "u"),
    ("oo", "u"),
    ("ee", "i"),
    ("ei", "ey"),
    ("ai", "ay"),
    ("y", "i"),
    ("iy", "y"),
    ("ii", "y"),
    ("ya", "ia"),
    ("yu", "iu"),
    ("j", "dzh"),
    ("zh", "j"),
    ("ch", "tch"),
    ("sh", "sch"),
    ("ck", "k"),
    ("q", "k"),
    ("w", "v"),
    ("x", "ks"),
    ("ts", "tz"),
    ("ov", "off"),
    ("ev", "yev"),
    ("ie", "y"),
    ("ah", "a"),
)

# Latin to Cyrillic for Russian-looking names, longest first (letters by code point, so
# that no look-alike letter is written in this file).
_CYR = {
    latin: chr(0x430 + offset)
    for offset, latin in enumerate(
        "a b v g d e zh z i j k l m n o p r s t u f kh ts ch sh shch - y - - yu ya".split()
    )
    if latin != "-"
}
_SHORT_I = chr(0x439)
_TO_CYRILLIC = (
    ("shch", _CYR["shch"]),
    ("kh", _CYR["kh"]),
    ("zh", _CYR["zh"]),
    ("ch", _CYR["ch"]),
    ("sh", _CYR["sh"]),
    ("ts", _CYR["ts"]),
    ("yu", _CYR["yu"]),
    ("ya", _CYR["ya"]),
    ("yo", chr(0x451)),
    *((v + "y", _CYR[v] + _SHORT_I) for v in "aeio"),
    ("yy", _CYR["y"] + _SHORT_I),
    *((c, _CYR[c]) for c in "abvgdezikmnoprstufly" if c in _CYR),
)
_RUSSIAN_ENDING = re.compile(r"(ov|ev|ova|eva|in|ina|sky|skiy|kiy|ovich|evich|ovna|evna)$")

ACCENTS = {
    "a": "áàäâ",
    "c": "čć",
    "e": "éèëě",
    "g": "ğ",
    "i": "íï",
    "l": "ł",
    "n": "ñ",
    "o": "óöô",
    "r": "ř",
    "s": "šş",
    "u": "úüù",
    "y": "ý",
    "z": "žż",
}

GIVEN_POOL = (
    "Anna Boris Chen Dmitri Elena Farid Giulia Hiroshi Ines Jamal Katarzyna Lars Mei "
    "Nikolai Olga Pierre Quentin Rosa Sven Tamar Ulrich Vera Wei Xavier Yusuf Zofia "
    "Amara Bjorn Carmen Dario Emeka Fatima Goran Hana Ivan Jonas Kemal Leila Marco "
    "Priya Arjun Sunita Rahul Kwame Ngozi Oluwaseun Thabo Min-jun Seo-yeon Hyun-woo Yuki "
    "Kenji Aiko Mateus Lucia Alejandro Camila Joaquin Sofia Hamid Shirin Reza Parisa "
    "Tomasz Agnieszka Pavel Jana Mikko Aino Eamon Siobhan Gareth Rhiannon Niamh Declan "
    "Ahmet Elif Mustafa Zeynep Omar Layla Karim Nadia Samir Yasmin Tariq Huda"
).split()
FAMILY_POOL = [
    *(
        "Andersen Bauer Castillo Dimitrov Eriksen Fischer Garcia Horvat Ivanova Jansen "
        "Kowalski Lindqvist Moreau Novak Okafor Petrov Quist Rossi Schmidt Tanaka Ueda "
        "Varga Weber Xu Yilmaz Zhang Almeida Brennan Costa Duarte Engel Ferreira Gallo "
        "Hughes Ibsen Jovanovic Keller Lopes Marsh Nakamura Sharma Patel Iyer Mensah "
        "Adeyemi Nkosi Kim Park Choi Sato Watanabe Oliveira Fernandez Herrera Moradi "
        "Tehrani Nowak Wisniewski Svoboda Korhonen O'Connor Byrne Llewellyn Kaya Demir "
        "Haddad Khoury Nasser Saleh Farouk Mansour"
    ).split(),
    *("Van der Berg", "De Vries", "Da Silva", "Le Roux", "Ben Ali", "Al Amin"),
]
ORG_FIRST = (
    "Northbridge Kestrel Meridian Aster Halcyon Borealis Cobalt Vantage Corvid Lumen "
    "Sentinel Ardent Tessellate Quantis Solent Pennine Danube Baltic Adriatic Andean "
    "Orion Lyra Vega Altair Helios Nimbus Stratus Granite Silverline Bluewater Redstone "
    "Westfield Eastgate Harbour Summit Pioneer Keystone Fulcrum Tandem Vertex"
).split()
ORG_SECOND = (
    "Photonics Avionics Dynamics Systems Microwave Materials Robotics Analytics Optics "
    "Composites Acoustics Sensors Propulsion Cryogenics Labs Instruments Electronics "
    "Software Metrology Aerostructures Navigation Telemetry Research Engineering Devices "
    "Semiconductors Logistics Consulting Precision Marine"
).split()
ORG_FORMS = ("Ltd", "GmbH", "LLC", "S.A.", "B.V.", "Inc.", "AB", "Oy", "S.r.l.", "Pty Ltd", "")


# --- helpers --------------------------------------------------------------------------------

_WORD = re.compile(r"[A-Za-z]+")


def _title(text: str) -> str:
    return " ".join(w if any(c.islower() for c in w) else w.title() for w in text.split())


def person_parts(name: str) -> tuple[list[str], list[str]]:
    """An individual's listed name as (given tokens, family tokens); ``FAMILY, Given``."""
    if "," in name:
        family, given = name.split(",", 1)
        return given.split(), family.split()
    return name.split(), []


def natural(name: str, kind: PartyKind) -> str:
    """Given names first for an individual, title case: how a display name reads."""
    if kind is PartyKind.INDIVIDUAL:
        given, family = person_parts(name)
        return _title(" ".join(given + family))
    return _title(name)


def _letters(token: str) -> list[int]:
    return [i for i, c in enumerate(token) if c.isalpha()]


def _pick_token(rng: random.Random, text: str, *, min_letters: int) -> tuple[list[str], int] | None:
    tokens = text.split()
    options = [i for i, t in enumerate(tokens) if len(_letters(t)) >= min_letters]
    if not options:
        return None
    return tokens, rng.choice(options)


def _same_case(letter: str, like: str) -> str:
    return letter.upper() if like.isupper() else letter


def typo(rng: random.Random, text: str, op: str) -> str | None:
    """One edit at any position of any token of ``text``."""
    picked = _pick_token(rng, text, min_letters=3 if op == "delete" else 2)
    if picked is None:
        return None
    tokens, t = picked
    token = tokens[t]
    letters = _letters(token)
    alphabet = "abcdefghijklmnopqrstuvwxyz"
    if op == "insert":
        i = rng.choice([*letters, letters[-1] + 1])
        like = token[min(i, len(token) - 1)]
        token = token[:i] + _same_case(rng.choice(alphabet), like) + token[i:]
    elif op == "delete":
        i = rng.choice(letters)
        token = token[:i] + token[i + 1 :]
    elif op == "substitute":
        i = rng.choice(letters)
        other = rng.choice([c for c in alphabet if c != token[i].lower()])
        token = token[:i] + _same_case(other, token[i]) + token[i + 1 :]
    else:  # transpose two adjacent letters that differ
        pairs = [
            i
            for i in letters
            if i + 1 < len(token) and token[i + 1].isalpha() and token[i] != token[i + 1]
        ]
        if not pairs:
            return None
        i = rng.choice(pairs)
        token = token[:i] + token[i + 1] + token[i] + token[i + 2 :]
    tokens[t] = token
    return " ".join(tokens)


def translit(rng: random.Random, text: str) -> str | None:
    """One transliteration alternation in one token."""
    tokens = text.split()
    options = []
    for t, token in enumerate(tokens):
        lower = token.lower()
        if re.sub(r"[^a-z]", "", lower) in GENERIC | _LEGAL_WORDS | PARTICLES:
            continue
        for a, b in TRANSLIT:
            for x, y in ((a, b), (b, a)):
                if x in lower and len(lower) >= 3:
                    options.append((t, x, y))
    if not options:
        return None
    t, x, y = rng.choice(options)
    lower = tokens[t].lower()
    starts = [m.start() for m in re.finditer(re.escape(x), lower)]
    at = rng.choice(starts)
    changed = lower[:at] + y + lower[at + len(x) :]
    tokens[t] = changed.upper() if tokens[t].isupper() else changed.capitalize()
    return " ".join(tokens)


def to_cyrillic(text: str) -> str:
    out = []
    for token in text.split():
        lower, word, i = token.lower(), "", 0
        while i < len(lower):
            for latin, cyr in _TO_CYRILLIC:
                if lower.startswith(latin, i):
                    word += cyr
                    i += len(latin)
                    break
            else:
                word += lower[i]
                i += 1
        out.append(word.capitalize())
    return " ".join(out)


def cyrillic(name: str, kind: PartyKind) -> str | None:
    if kind is not PartyKind.INDIVIDUAL:
        return None
    given, family = person_parts(name)
    if not family or not _RUSSIAN_ENDING.search(family[-1].lower()):
        return None
    written = to_cyrillic(" ".join(given + family))
    return None if re.search(r"[A-Za-z'-]", written) else written


def drop_middle(rng: random.Random, name: str, kind: PartyKind) -> str | None:
    if kind is not PartyKind.INDIVIDUAL:
        return None
    given, family = person_parts(name)
    core_given = [i for i, t in enumerate(given) if t.lower() not in PARTICLES]
    core_family = [i for i, t in enumerate(family) if t.lower() not in PARTICLES]
    options = [("g", i) for i in core_given[1:]]
    if len(core_family) >= 2:
        options += [("f", i) for i in core_family[1:]]
    if not family or not options or len(core_given) + len(core_family) < 3:
        return None
    side, i = rng.choice(options)
    if side == "g":
        given = given[:i] + given[i + 1 :]
    else:
        family = family[:i] + family[i + 1 :]
    return _title(" ".join(given + family))


def initials(rng: random.Random, name: str, kind: PartyKind) -> str | None:
    if kind is not PartyKind.INDIVIDUAL:
        return None
    given, family = person_parts(name)
    options = [i for i, t in enumerate(given) if t.lower() not in PARTICLES and t[:1].isalpha()]
    if not family or not options:
        return None
    i = rng.choice(options)
    given = [*given[:i], given[i][0].upper() + ".", *given[i + 1 :]]
    return _title(" ".join(given + family))


def _particle_spaces(text: str) -> list[int]:
    """Indices of tokens that are particles followed by a word (not a legal form)."""
    tokens = text.split()
    return [
        i
        for i, t in enumerate(tokens[:-1])
        if t.lower() in PARTICLES
        and tokens[i + 1].isalpha()
        and len(tokens[i + 1]) >= 3
        and tokens[i + 1].lower() not in _LEGAL_WORDS
    ]


def hyphen_space(rng: random.Random, text: str) -> str | None:
    spots = [m.start() for m in re.finditer(r"(?<=[A-Za-z])['-](?=[A-Za-z])", text)]
    if not spots:
        return None
    at = rng.choice(spots)
    return text[:at] + " " + text[at + 1 :]


def joined(rng: random.Random, text: str) -> str | None:
    spots = [(m.start(), 1) for m in re.finditer(r"(?<=[A-Za-z])['-](?=[A-Za-z])", text)]
    tokens = text.split()
    for i in _particle_spaces(text):
        at = len(" ".join(tokens[: i + 1]))
        spots.append((at, 1))
    if not spots:
        return None
    at, width = rng.choice(spots)
    return text[:at] + text[at + width :]


def space_hyphen(rng: random.Random, text: str) -> str | None:
    tokens = text.split()
    spots = _particle_spaces(text)
    if not spots:
        return None
    i = rng.choice(spots)
    return " ".join([*tokens[:i], tokens[i] + "-" + tokens[i + 1], *tokens[i + 2 :]])


def diacritics(rng: random.Random, text: str) -> str | None:
    spots = [i for i, c in enumerate(text) if c.lower() in ACCENTS]
    if not spots:
        return None
    chars = list(text)
    for i in rng.sample(spots, min(len(spots), rng.choice((1, 2)))):
        accented = rng.choice(ACCENTS[chars[i].lower()])
        chars[i] = accented.upper() if chars[i].isupper() else accented
    return unicodedata.normalize("NFC", "".join(chars))


def legal_form(rng: random.Random, text: str, kind: PartyKind) -> str | None:
    """The legal form (leading or trailing) spelled another way, left out, or added."""
    if kind is not PartyKind.ENTITY:
        return None
    end, start = _LEGAL_END.search(text), _LEGAL_START.search(text)
    if end is None and start is None:
        return text + " " + rng.choice(("LLC", "Ltd", "S.A.", "GmbH", "JSC", "Co."))
    if end is not None:
        found, stem = end.group(1), text[: end.start()]
    else:
        assert start is not None
        found, stem = start.group(1), text[start.end() :]
    forms = next(f for f in LEGAL_FORMS if found.lower() in {s.lower() for s in f})
    if rng.random() < 0.25 and len(_distinctive(stem)) >= 1 and len(stem.split()) >= 2:
        return stem  # the legal form left out
    other = rng.choice([s for s in forms if s.lower() != found.lower()])
    return f"{stem} {other}" if end is not None else f"{other} {stem}"


def generic_dropped(rng: random.Random, text: str, kind: PartyKind) -> str | None:
    if kind is not PartyKind.ENTITY:
        return None
    tokens = text.split()
    words = [re.sub(r"[^a-z]", "", t.lower()) for t in tokens]
    distinctive = [w for w in words if w not in GENERIC and w not in _LEGAL_WORDS]
    options = [i for i, w in enumerate(words) if w in GENERIC and w not in {"co"}]
    if not options or not distinctive:
        return None
    i = rng.choice(options)
    rest = tokens[:i] + tokens[i + 1 :]
    if i > 0 and tokens[i - 1].endswith(",") and i == len(tokens) - 1:
        rest[i - 1] = rest[i - 1].rstrip(",")
    return " ".join(rest)


# --- the positive set -----------------------------------------------------------------------


def _variant(rng: random.Random, kind: str, name: str, party: ListedParty) -> str | None:
    base = natural(name, party.kind)
    ops: dict[str, Callable[[], str | None]] = {
        "exact": lambda: name,
        "natural_order": lambda: base if base != name else None,
        "order_swap": lambda: (
            _title(" ".join(person_parts(name)[1] + person_parts(name)[0]))
            if party.kind is PartyKind.INDIVIDUAL and person_parts(name)[1]
            else None
        ),
        "translit": lambda: translit(rng, base),
        "cyrillic": lambda: cyrillic(name, party.kind),
        "typo_insert": lambda: typo(rng, base, "insert"),
        "typo_delete": lambda: typo(rng, base, "delete"),
        "typo_substitute": lambda: typo(rng, base, "substitute"),
        "typo_transpose": lambda: typo(rng, base, "transpose"),
        "drop_middle": lambda: drop_middle(rng, name, party.kind),
        "initials": lambda: initials(rng, name, party.kind),
        "hyphen_space": lambda: hyphen_space(rng, base),
        "joined": lambda: joined(rng, base),
        "space_hyphen": lambda: space_hyphen(rng, base),
        "diacritics": lambda: diacritics(rng, base),
        "legal_form": lambda: legal_form(rng, base, party.kind),
        "generic_dropped": lambda: generic_dropped(rng, base, party.kind),
    }
    return ops[kind]()


def eligible(parties: Iterable[ListedParty]) -> list[ListedParty]:
    """Listed individuals and entities (the kinds Caveat screens) with a name of two or more
    words: the sources of positives."""
    return [
        p
        for p in parties
        if p.kind in (PartyKind.INDIVIDUAL, PartyKind.ENTITY) and len(_WORD.findall(p.name)) >= 2
    ]


def positives(
    parties: Sequence[ListedParty], *, per_kind: int, seed: int = 20261127
) -> list[Query]:
    """``per_kind`` labelled variants of each positive kind (fewer where the list has
    fewer names the kind applies to)."""
    sources = eligible(parties)
    out: list[Query] = []
    for k, kind in enumerate(POSITIVE_KINDS):
        rng = random.Random(seed * 1000 + k)
        order = list(range(len(sources)))
        rng.shuffle(order)
        made = 0
        for index in order:
            if made >= per_kind:
                break
            party = sources[index]
            names = [n for n in party.names if len(_WORD.findall(n)) >= 2]
            name = rng.choice(names) if len(names) > 1 and rng.random() < 0.3 else names[0]
            text = _variant(rng, kind, name, party)
            if text is None or not text.strip():
                continue
            out.append(Query(text, kind, party, name))
            made += 1
    return out


# --- negatives --------------------------------------------------------------------------------

_FOLD = (
    ("dzh", "j"),
    ("dj", "j"),
    ("kh", "h"),
    ("ph", "f"),
    ("sch", "sh"),
    ("tch", "ch"),
    ("ck", "k"),
    ("ou", "u"),
    ("oo", "u"),
    ("ee", "i"),
    ("ie", "i"),
    ("y", "i"),
    ("q", "k"),
    ("w", "v"),
    ("x", "ks"),
    ("tz", "ts"),
    ("off", "ov"),
)


@cache
def _fold(token: str) -> str:
    for a, b in _FOLD:
        token = token.replace(a, b)
    return re.sub(r"(.)\1+", r"\1", token)


def _distinctive(text: str) -> list[str]:
    words = re.findall(r"[a-z0-9]+", anyascii(text).lower().replace("'", "").replace("-", " "))
    return [
        w for w in words if w not in PARTICLES and w not in GENERIC and w not in _LEGAL_WORDS
    ] or words


def _deletes(token: str) -> set[str]:
    return {token} | {token[:i] + token[i + 1 :] for i in range(len(token))}


class ListCheck:
    """Is a name a variant of a listed name (every distinctive token within one edit of a
    token of that name, as written or folded)? Used to keep negatives off the list."""

    def __init__(self, parties: Iterable[ListedParty]) -> None:
        self._postings: dict[str, set[int]] = defaultdict(set)  # token -> names
        self._keys: dict[str, set[str]] = defaultdict(set)  # deletion key -> tokens
        count = 0
        for party in parties:
            for name in party.names:
                for token in _distinctive(name):
                    for form in {token, _fold(token)}:
                        self._postings[form].add(count)
                        for key in _deletes(form):
                            self._keys[key].add(form)
                count += 1

    def _near(self, token: str) -> set[int]:
        names: set[int] = set()
        for form in {token, _fold(token)}:
            for key in _deletes(form):
                for listed in self._keys.get(key, ()):
                    if OSA.distance(form, listed) <= 1:
                        names |= self._postings[listed]
        return names

    def listed(self, text: str) -> bool:
        tokens = _distinctive(text)
        if not tokens:
            return True
        common: set[int] | None = None
        for token in tokens:
            near = self._near(token)
            common = near if common is None else common & near
            if not common:
                return False
        return True


def _org_words(parties: Sequence[ListedParty]) -> list[str]:
    words = []
    for p in parties:
        if p.kind is PartyKind.ENTITY:
            words += [w for w in _distinctive(p.name) if len(w) >= 4 and w.isalpha()]
    return sorted(set(words))


def negatives(
    parties: Sequence[ListedParty], *, per_kind: int, seed: int = 20261128
) -> list[Query]:
    """``per_kind`` names of each negative kind, none of them a variant of a listed name."""
    check = ListCheck(parties)
    individuals = [
        person_parts(n)
        for p in parties
        if p.kind is PartyKind.INDIVIDUAL
        for n in p.names
        if "," in n
    ]
    titles = {"dr", "dr.", "mr", "mr.", "haji", "hajji", "sheikh", "general", "colonel"}
    givens = sorted({g[0] for g, f in individuals if g and g[0].lower() not in PARTICLES | titles})
    families = sorted({" ".join(f) for g, f in individuals if f})
    org_words = _org_words(parties)
    makers: dict[str, Callable[[random.Random], str]] = {
        "neg_person": lambda r: " ".join(
            [r.choice(GIVEN_POOL)]
            + ([r.choice(GIVEN_POOL)] if r.random() < 0.3 else [])
            + [r.choice(FAMILY_POOL)]
        ),
        "neg_recombined": lambda r: _title(f"{r.choice(givens)} {r.choice(families)}"),
        "neg_org": lambda r: " ".join(
            w for w in (r.choice(ORG_FIRST), r.choice(ORG_SECOND), r.choice(ORG_FORMS)) if w
        ),
        "neg_org_recombined": lambda r: " ".join(
            w
            for w in (
                r.choice(org_words).capitalize(),
                r.choice(org_words).capitalize(),
                r.choice(ORG_FORMS),
            )
            if w
        ),
    }
    out: list[Query] = []
    for k, kind in enumerate(NEGATIVE_KINDS):
        rng = random.Random(seed * 1000 + k)
        seen: set[str] = set()
        attempts = 0
        while sum(1 for q in out if q.kind == kind) < per_kind and attempts < per_kind * 50:
            attempts += 1
            text = makers[kind](rng).strip()
            key = " ".join(sorted(_distinctive(text)))
            if key in seen or check.listed(text):
                continue
            seen.add(key)
            out.append(Query(text, kind))
    return out


def evaluation_set(
    parties: Sequence[ListedParty], *, per_kind: int = 300, negatives_per_kind: int | None = None
) -> list[Query]:
    """Positives and negatives, deterministic for the defaults."""
    neg = per_kind * len(POSITIVE_KINDS) // len(NEGATIVE_KINDS)
    return positives(parties, per_kind=per_kind) + negatives(
        parties, per_kind=negatives_per_kind if negatives_per_kind is not None else neg
    )
