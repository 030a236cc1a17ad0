"""The matching engine (D6): one normalisation and one score for entry checks, import and the scan.

Everything here is a pure function of the values given, so the three users agree on what a
duplicate is and the rules are unit-tested without a database.

A name is compared through its *folded Latin forms*: lower case, ё→е, quotes and punctuation
dropped, legal forms (ООО, SARL, GmbH, LLC, and their spelled-out forms) removed wherever they
stand, Cyrillic transliterated with several schemes (Wikipedia, GOST 7.79, ICAO Doc 9303,
BGN/PCGN, the French MVD 310 style and Unidecode), then folded phonetically (w→v, ph→f, kh→h,
shch→sh, ou→u, y/j→i, double letters...) so that "Иванов", "Ivanov" and "Iwanow" meet. A Latin
name gets a second form read as French transliteration ("Chtchoukine" → "shchukin"), which is
how "Щукин", "Shchukin" and "Chtchoukine" meet.

Identifiers are exact evidence: E.164 phones, canonical e-mails (see :func:`canonical_email`),
tax ids (INN, SIREN, VAT). A pair's score (0-100) combines them with rapidfuzz's
``token_sort_ratio`` on the folded forms; its reasons are codes from :data:`REASONS`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import iuliia
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from rapidfuzz import fuzz
from unidecode import unidecode

from accord.parties.normalize import normalize_phone

# --- reasons ----------------------------------------------------------------------------------

REASON_TAX_ID = "tax_id"
REASON_EMAIL = "email"
REASON_PHONE = "phone"
REASON_NAME = "name"
REASON_NAME_TRANSLIT = "name_translit"

REASONS: dict[str, Any] = {
    REASON_TAX_ID: _("same tax id"),
    REASON_EMAIL: _("same e-mail"),
    REASON_PHONE: _("same phone"),
    REASON_NAME: _("similar name"),
    REASON_NAME_TRANSLIT: _("same name in another spelling"),
}

#: A pair scoring at least this is a likely duplicate (clusters, import matches).
THRESHOLD = 80.0
#: Name similarity (0-100) from which two names count as "the same name".
NAME_SIMILARITY = 88.0

# --- text clean-up ----------------------------------------------------------------------------

_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_APOSTROPHES = re.compile(r"[\u2019\u02bc\u02b9\u02bb`']")
_NON_WORD = re.compile(r"[^\w]+")
_E_V = re.compile(r"\be\.\s?v\.", re.IGNORECASE)

# Abbreviated legal forms, removed as whole words (after punctuation is gone: "e.V." → "ev").
_LEGAL_WORDS = frozenset(
    [
        "ооо",
        "зао",
        "оао",
        "ао",
        "пао",
        "нао",
        "ип",
        "фгуп",
        "гуп",
        "муп",
        "нко",
        "ано",
        "тоо",
        "чп",
        "ooo",
        "zao",
        "oao",
        "ao",
        "pao",
        "nao",
        "ip",
        "fgup",
        "gup",
        "mup",
        "nko",
        "ano",
        "sarl",
        "sas",
        "sasu",
        "sa",
        "snc",
        "eurl",
        "sci",
        "scop",
        "selarl",
        "gmbh",
        "mbh",
        "ag",
        "kg",
        "ohg",
        "ug",
        "ev",
        "gbr",
        "llc",
        "llp",
        "lp",
        "ltd",
        "limited",
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "plc",
    ]
)
# Spelled-out legal forms; matched on the clean text (Cyrillic as is, Latin without accents).
_LEGAL_PHRASES = tuple(
    sorted(
        (
            "общество с ограниченной ответственностью",
            "закрытое акционерное общество",
            "открытое акционерное общество",
            "публичное акционерное общество",
            "непубличное акционерное общество",
            "акционерное общество",
            "индивидуальный предприниматель",
            "федеральное государственное унитарное предприятие",
            "государственное унитарное предприятие",
            "муниципальное унитарное предприятие",
            "некоммерческая организация",
            "автономная некоммерческая организация",
            "societe a responsabilite limitee",
            "societe par actions simplifiee unipersonnelle",
            "societe par actions simplifiee",
            "societe anonyme",
            "societe en nom collectif",
            "societe civile immobiliere",
            "entreprise unipersonnelle a responsabilite limitee",
            "gesellschaft mit beschrankter haftung",
            "aktiengesellschaft",
            "kommanditgesellschaft",
            "unternehmergesellschaft",
            "eingetragener verein",
            "limited liability company",
            "limited liability partnership",
            "public limited company",
            "company",
        ),
        key=len,
        reverse=True,
    )
)
_LEGAL_PHRASE_RE = re.compile(r"\b(?:" + "|".join(re.escape(p) for p in _LEGAL_PHRASES) + r")\b")


def clean_text(text: str) -> str:
    """Lower case, ё→е, apostrophes joined, quotes and punctuation to single spaces."""
    text = (text or "").lower().replace("ё", "е")
    text = _APOSTROPHES.sub("", text)
    return " ".join(_NON_WORD.sub(" ", text).replace("_", " ").split())


def _strip_accents(text: str) -> str:
    """Accents off Latin letters only (Cyrillic stays), for matching spelled-out legal forms."""
    if not _CYRILLIC.search(text):
        return unidecode(text)
    return "".join(ch if _CYRILLIC.match(ch) else unidecode(ch) for ch in text)


def strip_legal_forms(name: str) -> str:
    """The clean name without legal forms: "ООО «Ромашка»" → "ромашка", "Müller GmbH" → "müller".

    A name that is nothing but a legal form is kept as it is (better than an empty key).
    """
    text = clean_text(_E_V.sub(" ev ", name or ""))
    plain = _strip_accents(text)
    stripped = _LEGAL_PHRASE_RE.sub(" ", plain) if plain != text else None
    if stripped is not None:
        # Phrases matched on the accent-free text; keep the original words that survive.
        kept = set(stripped.split())
        words = [w for w, p in zip(text.split(), plain.split(), strict=False) if p in kept]
    else:
        words = _LEGAL_PHRASE_RE.sub(" ", text).split()
    words = [w for w in words if _strip_accents(w) not in _LEGAL_WORDS]
    return " ".join(words) or text


# --- transliteration and folding --------------------------------------------------------------

_SCHEMES = (
    iuliia.WIKIPEDIA,
    iuliia.GOST_779,
    iuliia.ICAO_DOC_9303,
    iuliia.BGN_PCGN,
    iuliia.MVD_310_FR,
)
_FRENCH_SCHEME = 4  # the MVD 310 output is read back as French spelling
# GOST 7.79 (system A) letters that Unidecode would flatten: keep their sound.
_DIACRITICS = str.maketrans(
    {
        "š": "sh",
        "ž": "zh",
        "č": "ch",
        "ŝ": "shch",
        "û": "yu",
        "â": "ya",
        "ä": "a",
        "ö": "o",
        "ü": "u",
        "ß": "ss",
        "ʺ": "",
        "ʹ": "",
    }
)
_FOLDS = (
    ("tsch", "ch"),
    ("shch", "sh"),
    ("sch", "sh"),
    ("shh", "sh"),
    ("tch", "ch"),
    ("ou", "u"),
    ("ph", "f"),
    ("ck", "k"),
    ("kh", "h"),
    ("zh", "z"),
    ("w", "v"),
    ("q", "k"),
    ("x", "ks"),
    ("tz", "c"),
    ("ts", "c"),
    ("cz", "c"),
    ("y", "i"),
    ("j", "i"),
    ("ue", "u"),
    ("oe", "o"),
    ("ae", "a"),
)
_I_BEFORE_VOWEL = re.compile(r"i+([aeou])")
_DOUBLE = re.compile(r"(.)\1+")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def to_ascii(word: str) -> str:
    """Latin letters without accents, lower case; GOST/Czech carons keep their sound."""
    return _NOT_ALNUM.sub("", unidecode(word.lower().translate(_DIACRITICS)).lower())


def fold(word: str) -> str:
    """A phonetic fold of a lower-case ASCII word: the spellings of one sound become one."""
    for old, new in _FOLDS:
        if old in word:
            word = word.replace(old, new)
    word = _I_BEFORE_VOWEL.sub(r"\1", word)
    return _DOUBLE.sub(r"\1", word)


def french_reading(word: str) -> str:
    """Read a French transliteration the English way: "chtchoukine" → "shchukin",
    "joukov" → "zhukov", "tchaikovskii" → "chaikovskii"."""
    word = word.replace("chtch", "\x01").replace("tch", "\x02").replace("ch", "sh")
    word = word.replace("\x01", "shch").replace("\x02", "ch")
    word = word.replace("ou", "u").replace("j", "zh").replace("gue", "ge").replace("gui", "gi")
    if word.endswith("ine") and len(word) > 4:
        word = word[:-1]
    return word


_FORMS_PER_WORD = len(_SCHEMES) + 1  # the schemes, then Unidecode


@functools.lru_cache(maxsize=200_000)
def word_forms(word: str) -> tuple[str, ...]:
    """One folded form per scheme (Cyrillic), or the word and its French reading (Latin).

    Always ``_FORMS_PER_WORD`` entries, aligned by scheme, so a multi-word name joins its words'
    forms scheme by scheme instead of multiplying the combinations."""
    if _CYRILLIC.search(word):
        forms = []
        for index, scheme in enumerate(_SCHEMES):
            latin = to_ascii(scheme.translate(word))
            if index == _FRENCH_SCHEME:
                latin = french_reading(latin)
            forms.append(fold(latin))
        forms.append(fold(to_ascii(word)))
        return tuple(forms)
    latin = to_ascii(word)
    plain = fold(latin)
    # English/German spellings ("sh", "zh") are never French transliteration.
    french = plain if "sh" in latin or "zh" in latin else fold(french_reading(latin))
    return (plain,) * _FRENCH_SCHEME + (french, plain)


@functools.lru_cache(maxsize=300_000)
def _part_forms(text: str) -> tuple[str, ...]:
    """A name part's folded forms aligned by scheme, or a single form when all agree."""
    words = clean_text(text).split()
    if not words:
        return ("",)
    per_word = [word_forms(w) for w in words]
    aligned = tuple(" ".join(f[i] for f in per_word) for i in range(_FORMS_PER_WORD))
    return aligned if len(set(aligned)) > 1 else aligned[:1]


_FORM_ORDER = (0, 5, 2, 1, 3, 4)


def _join_parts(parts: Sequence[tuple[str, ...]]) -> tuple[str, ...]:
    for part in parts:
        if len(part) != 1:
            break
    else:  # the common case: every part has one form
        words = [part[0] for part in parts if part[0]]
        return (" ".join(words),) if words else ()
    seen: dict[str, None] = {}
    for index in _FORM_ORDER:
        form = " ".join([f for f in [p[index] if len(p) > 1 else p[0] for p in parts] if f])
        if form:
            seen[form] = None
    return tuple(seen)


def name_forms(words: Sequence[str]) -> tuple[str, ...]:
    """The distinct folded forms of a clean multi-word name, most common first."""
    return _join_parts([_part_forms(w) for w in words])


@functools.lru_cache(maxsize=100_000)
def is_cyrillic(text: str) -> bool:
    return bool(_CYRILLIC.search(text or ""))


def company_name_forms(name: str) -> tuple[str, ...]:
    """Folded forms of a company name without its legal form."""
    return _join_parts([_part_forms(strip_legal_forms(name))])


def person_name_forms(*parts: str) -> tuple[str, ...]:
    """Folded forms of a person's name parts (last, first...), in the order given."""
    return _join_parts([_part_forms(p) for p in parts if p])


def name_similarity(a: Sequence[str], b: Sequence[str]) -> float:
    """Best ``token_sort_ratio`` between two names' forms (word order does not matter)."""
    if not a or not b:
        return 0.0
    if not set(a).isdisjoint(b):
        return 100.0
    best = 0.0
    for x in a:
        for y in b:
            score = fuzz.token_sort_ratio(x, y)
            if score > best:
                best = score
    return best


# --- identifiers ------------------------------------------------------------------------------

# Providers whose local part ignores dots (Gmail only) or takes "+tag" sub-addresses. Others
# (corporate domains) may give dots and "+" a meaning, so they are left alone.
_DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}
_PLUS_TAG_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "icloud.com",
        "me.com",
        "fastmail.com",
        "protonmail.com",
        "proton.me",
        "yandex.ru",
        "ya.ru",
        "yandex.com",
    }
)


def canonical_email(value: str) -> str:
    """Lower case; for Gmail without dots in the name and as gmail.com; "+tag" dropped for the
    providers that deliver ``name+tag@`` to ``name@``. "" for what is not an address."""
    text = (value or "").strip().lower()
    local, sep, domain = text.rpartition("@")
    if not sep or not local or "." not in domain:
        return ""
    if domain in _PLUS_TAG_DOMAINS and "+" in local:
        local = local.split("+", 1)[0]
    if domain in _DOTLESS_DOMAINS:
        local = local.replace(".", "")
        domain = _DOTLESS_DOMAINS[domain]
    return f"{local}@{domain}" if local else ""


def canonical_phone(value: str, region: str | None = None) -> str:
    """E.164 as stored by the services, or "" for what is not a valid number."""
    if not value:
        return ""
    if value.startswith("+") and value[1:].isdigit():
        return value  # already E.164 (stored contact points)
    try:
        return normalize_phone(value, region)
    except ValidationError:
        return ""


_TAX_CLEAN = re.compile(r"[\s.\-/]")


def tax_ids(
    *, inn: str = "", siren: str = "", siret: str = "", vat_number: str = ""
) -> dict[str, str]:
    """Tax ids by kind, normalised: digits only, VAT upper case; a SIREN is also read from a
    SIRET (its first 9 digits) and a French VAT number (its last 9)."""
    found: dict[str, str] = {}
    inn = _TAX_CLEAN.sub("", inn or "")
    if inn.isdigit() and len(inn) in (10, 12):
        found["inn"] = inn
    siren = _TAX_CLEAN.sub("", siren or "")
    siret = _TAX_CLEAN.sub("", siret or "")
    vat = _TAX_CLEAN.sub("", vat_number or "").upper()
    if not (siren.isdigit() and len(siren) == 9):
        siren = ""
    if not siren and siret.isdigit() and len(siret) == 14:
        siren = siret[:9]
    if not siren and vat.startswith("FR") and len(vat) == 13 and vat[4:].isdigit():
        siren = vat[4:]
    if siren:
        found["siren"] = siren
    if len(vat) > 4:
        found["vat"] = vat
    return found


# --- profiles, blocks and scores --------------------------------------------------------------


@dataclass(slots=True)
class Profile:
    """What the engine knows of one record (or one import row): its comparable forms."""

    id: int
    kind: str  # "company" or "contact"
    forms: tuple[str, ...]  # folded name forms (contacts: last + first)
    cyrillic: bool = False
    phones: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()
    tax: dict[str, str] = field(default_factory=dict)
    company_id: int | None = None  # contacts: their company
    middle: tuple[str, ...] = ()  # contacts: folded patronymic / middle name forms
    full: tuple[str, ...] = ()  # contacts with a patronymic: last + first + middle forms


def company_profile(
    *,
    id: int,
    name: str,
    inn: str = "",
    siren: str = "",
    siret: str = "",
    vat_number: str = "",
    phones: Iterable[str] = (),
    emails: Iterable[str] = (),
) -> Profile:
    return Profile(
        id=id,
        kind="company",
        forms=company_name_forms(name),
        cyrillic=is_cyrillic(name),
        phones=frozenset(p for p in (canonical_phone(x) for x in phones) if p),
        emails=frozenset(e for e in (canonical_email(x) for x in emails) if e),
        tax=tax_ids(inn=inn, siren=siren, siret=siret, vat_number=vat_number),
    )


_NO_VALUES: frozenset[str] = frozenset()


def _canonical_set(values: Iterable[str], canonical: Any) -> frozenset[str]:
    if not values:
        return _NO_VALUES
    found = [c for c in map(canonical, values) if c]
    return frozenset(found) if found else _NO_VALUES


def contact_profile(
    *,
    id: int,
    last_name: str = "",
    first_name: str = "",
    middle_name: str = "",
    company_id: int | None = None,
    phones: Iterable[str] = (),
    emails: Iterable[str] = (),
) -> Profile:
    last = _part_forms(last_name) if last_name else ("",)
    first = _part_forms(first_name) if first_name else ("",)
    middle = _part_forms(middle_name) if middle_name else ("",)
    return Profile(
        id=id,
        kind="contact",
        forms=_join_parts((last, first)),
        cyrillic=is_cyrillic(last_name) or is_cyrillic(first_name),
        phones=_canonical_set(phones, canonical_phone),
        emails=_canonical_set(emails, canonical_email),
        company_id=company_id,
        middle=_join_parts((middle,)) if middle_name else (),
        full=_join_parts((last, first, middle)) if middle_name else (),
    )


def blocking_keys(profile: Profile) -> list[str]:
    """The blocks a record falls in; the scan compares only records sharing a block.

    Identifier blocks: each tax id, phone and e-mail. Name blocks: for companies the sorted
    words of each form and the form's first five letters; for contacts the full name with the
    patronymic (name alone is weak evidence without it) and, inside one company, the surname's
    first four letters with the first name's initial.
    """
    keys = ["t" + kind + ":" + value for kind, value in profile.tax.items()]
    for phone in profile.phones:
        keys.append("p:" + phone)
    for email in profile.emails:
        keys.append("e:" + email)
    forms = profile.forms
    if profile.kind == "company":
        for form in forms:
            keys.append("n:" + " ".join(sorted(form.split())))
            compact = form.replace(" ", "")
            if len(compact) >= 3:
                keys.append("f:" + compact[:5])
    else:
        for form in profile.full:
            words = form.split()
            words.sort()
            keys.append("m:" + " ".join(words))
        if profile.company_id:
            prefix = "c:" + str(profile.company_id) + ":"
            for form in forms:
                words = form.split()
                if words:
                    initial = words[1][:1] if len(words) > 1 else ""
                    keys.append(prefix + words[0][:4] + initial)
    if len(forms) > 1 or len(profile.full) > 1:
        return list(dict.fromkeys(keys))
    return keys


@dataclass(frozen=True, slots=True)
class Match:
    score: float
    reasons: tuple[str, ...]


NO_MATCH = Match(0.0, ())

_ID_WEIGHTS = {REASON_TAX_ID: 100.0, REASON_EMAIL: 95.0, REASON_PHONE: 90.0}


def score_pair(a: Profile, b: Profile) -> Match:
    """How likely two records are one, 0-100, and why.

    - A shared identifier is strong evidence (tax id 100, e-mail 95, phone 90), weakened when
      the names differ (a shared switchboard or mailbox): minus 1.5 points per point of name
      similarity under 80, so two random names (40-60 % alike) fall well under the threshold.
      A second kind of shared identifier adds 5.
    - Two companies with different tax ids of the same kind are different companies: at most 50.
    - A name alone: companies score 0.9 × similarity; contacts need a second sign (same
      patronymic or same company) for 0.9 ×, else 0.7 × (never a cluster on its own).
    """
    names = name_similarity(a.forms, b.forms)
    reasons: list[str] = []
    evidence = 0.0
    conflict = False
    for kind, value in a.tax.items():
        other = b.tax.get(kind)
        if other is None:
            continue
        if other == value:
            reasons.append(REASON_TAX_ID)
        else:
            conflict = True
    if REASON_TAX_ID in reasons:
        conflict = False
    if not a.emails.isdisjoint(b.emails):
        reasons.append(REASON_EMAIL)
    if not a.phones.isdisjoint(b.phones):
        reasons.append(REASON_PHONE)
    reasons = list(dict.fromkeys(reasons))
    if reasons:
        evidence = max(_ID_WEIGHTS[r] for r in reasons)
        if len(reasons) > 1:
            evidence += 5
        if names < 80:
            evidence -= (80 - names) * 1.5
        score = evidence
    elif a.kind == "company":
        score = names * 0.9
    else:
        supported = bool(a.middle and b.middle and not set(a.middle).isdisjoint(b.middle)) or (
            a.company_id is not None and a.company_id == b.company_id
        )
        score = names * (0.9 if supported else 0.7)
    if conflict:
        score = min(score, 50.0)
    if names >= NAME_SIMILARITY:
        reasons.append(REASON_NAME_TRANSLIT if a.cyrillic != b.cyrillic else REASON_NAME)
    score = max(0.0, min(100.0, round(score, 1)))
    if score <= 0:
        return NO_MATCH
    return Match(score, tuple(reasons))


def match_candidates(
    profile: Profile, candidates: Iterable[Profile], *, threshold: float = THRESHOLD
) -> list[tuple[int, Match]]:
    """Score one record (an entry form, an import row) against candidate records; the ones at
    or above ``threshold``, best first. Candidates come from the blocks (see
    :func:`accord.dedup.scan.candidate_profiles`)."""
    found = []
    for other in candidates:
        if other.id == profile.id and other.id:
            continue
        match = score_pair(profile, other)
        if match.score >= threshold:
            found.append((other.id, match))
    found.sort(key=lambda item: (-item[1].score, item[0]))
    return found
