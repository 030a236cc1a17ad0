"""Consistent fake values for anonymised copies (O2): the same original gives the same fake.

Every fake is a pure function of a per-run secret and the (normalised) original value, so a
person's phone on a contact and on a lead become the same fake phone, and "Иванов" becomes the
same fake surname in a contact, a lead and a user, without keeping a million-entry map.

Identifiers that carry uniqueness constraints or feed duplicate detection (tax ids, phones)
go through a keyed permutation of their digits (a small Feistel network with cycle walking),
so different originals stay different and duplicates stay duplicates; check digits are then
recomputed, so the fakes pass the same validation (python-stdnum) as real ones.
"""

from __future__ import annotations

import functools
import hashlib
import random
import re
from collections.abc import Callable
from typing import Any

import phonenumbers
from faker.providers.address.ru_RU import Provider as RuAddress
from faker.providers.lorem.la import Provider as LatinLorem
from faker.providers.lorem.ru_RU import Provider as RuLorem
from faker.providers.person.fr_FR import Provider as FrPerson
from faker.providers.person.ru_RU import Provider as RuPerson

from accord.parties import normalize

_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*")
_E164 = re.compile(r"\+[1-9]\d{6,14}")
_EMAIL = re.compile(r"[^\s<>,;\"']+@[^\s<>,;\"']+")

RU_FIRST_MALE = RuPerson.first_names_male
RU_FIRST_FEMALE = RuPerson.first_names_female
RU_LAST_MALE = RuPerson.last_names_male
RU_LAST_FEMALE = RuPerson.last_names_female
RU_MIDDLE_MALE = RuPerson.middle_names_male
RU_MIDDLE_FEMALE = RuPerson.middle_names_female
LATIN_FIRST_MALE = FrPerson.first_names_male
LATIN_FIRST_FEMALE = FrPerson.first_names_female
LATIN_LAST = tuple(name for name in FrPerson.last_names if name.isalpha())
_FIRST_MALE = {n.lower() for n in RU_FIRST_MALE + LATIN_FIRST_MALE}
_FIRST_FEMALE = {n.lower() for n in RU_FIRST_FEMALE + LATIN_FIRST_FEMALE}
RU_CITIES = RuAddress.city_names
RU_STREETS = RuAddress.street_titles
RU_WORDS = RuLorem.word_list
LATIN_WORDS = LatinLorem.word_list
RU_COMPANY_STEMS = ("строй", "проект", "энерго", "снаб", "торг", "тех", "монтаж", "инвест")
LATIN_COMPANY_STEMS = ("Industrie", "Conseil", "Ingénierie", "Services", "Technik", "Systems")
# Legal forms stay as they were: they say what kind of organisation it is, not which one.
LEGAL_FORMS = {
    "ооо",
    "оао",
    "зао",
    "пао",
    "ао",
    "ип",
    "нко",
    "гуп",
    "муп",
    "фгуп",
    "llc",
    "ltd",
    "inc",
    "sa",
    "sas",
    "sarl",
    "sasu",
    "eurl",
    "gmbh",
    "ag",
    "kg",
    "ug",
    "plc",
}


class Faker:
    """Fakes keyed by a secret; one instance per anonymisation run."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret
        # Bound caches: names and cities repeat a lot, hashing them once is enough.
        self.name_word = functools.lru_cache(maxsize=100_000)(self._name_word)
        self.company_name = functools.lru_cache(maxsize=100_000)(self._company_name)
        self.city = functools.lru_cache(maxsize=20_000)(self._city)
        # A phone shows up as typed, normalised, in search text and in the audit history.
        self.phone = functools.lru_cache(maxsize=200_000)(self._phone)
        self.phone_e164 = functools.lru_cache(maxsize=200_000)(self._phone_e164)
        self.value_rules: dict[str, Callable[[str], str]] = {
            "username": self.username,
            "person_name": self.person_name,
            "company_name": self.company_name,
            "phone": self.phone,
            "email": self.email,
            "email_list": self.email_list,
            "street": self.street,
            "city": self.city,
            "postcode": self.postcode,
            "inn": self.inn,
            "kpp": self.kpp,
            "ogrn": self.ogrn,
            "siren": self.siren,
            "siret": self.siret,
            "vat": self.vat,
            "url": self.url,
            "text": self.text,
        }

    # --- primitives ---------------------------------------------------------------------
    def digest(self, kind: str, value: str) -> bytes:
        return hashlib.blake2b(
            f"{kind}\x00{value}".encode(), key=self.secret[:64], digest_size=16
        ).digest()

    def number(self, kind: str, value: str) -> int:
        return int.from_bytes(self.digest(kind, value), "big")

    def pick(self, options: tuple[str, ...] | list[str], kind: str, value: str) -> str:
        return options[self.number(kind, value) % len(options)]

    def rng(self, kind: str, value: str) -> random.Random:
        return random.Random(self.number(kind, value))

    def permute_digits(self, kind: str, digits: str) -> str:
        """A keyed bijection of the n-digit strings: distinct inputs give distinct outputs."""
        n = len(digits)
        if n == 0:
            return digits
        limit = 10**n
        bits = max(2, (limit - 1).bit_length())
        bits += bits % 2
        half = bits // 2
        mask = (1 << half) - 1
        value = int(digits)
        while True:
            left, right = value >> half, value & mask
            for round_number in range(4):
                f = self.number(f"{kind}:{n}:{round_number}", str(right)) & mask
                left, right = right, left ^ f
            value = (left << half) | right
            if value < limit:
                return str(value).zfill(n)

    # --- people -------------------------------------------------------------------------
    def _name_word(self, word: str) -> str:
        """One word of a person's name; the kind of the fake (first name, patronymic,
        surname, and the gender) follows from the word itself, so it does not matter which
        column it came from."""
        lower = word.lower()
        cyrillic = bool(_CYRILLIC.search(word))
        pool: tuple[str, ...]
        if cyrillic and re.search(r"(вич|вна|ична|инична)$", lower):
            pool = RU_MIDDLE_FEMALE if lower.endswith("на") else RU_MIDDLE_MALE
        elif lower in _FIRST_FEMALE:
            pool = RU_FIRST_FEMALE if cyrillic else LATIN_FIRST_FEMALE
        elif lower in _FIRST_MALE:
            pool = RU_FIRST_MALE if cyrillic else LATIN_FIRST_MALE
        elif cyrillic:
            female = re.search(r"(ова|ева|ина|ына|ская|цкая|ая)$", lower) is not None
            pool = RU_LAST_FEMALE if female else RU_LAST_MALE
        else:
            pool = LATIN_LAST
        fake = self.pick(pool, "name", lower)
        return fake.upper() if word.isupper() and len(word) > 1 else fake

    def person_name(self, text: str) -> str:
        """Every word of a name replaced by its fake; spaces and punctuation kept."""
        if not text:
            return text
        return _WORD.sub(lambda m: self.name_word(m.group(0)), text)

    # --- organisations ------------------------------------------------------------------
    def _company_name(self, text: str) -> str:
        words = re.findall(r"\S+", text)
        forms = [w for w in words if w.strip("«»\"'.,()").lower() in LEGAL_FORMS]
        key = normalize.name_key(text) or text.lower()
        cyrillic = bool(_CYRILLIC.search(text))
        if cyrillic:
            stem = self.pick(RU_LAST_MALE, "company", key).removesuffix("ов").removesuffix("ев")
            core = stem + self.pick(RU_COMPANY_STEMS, "company-stem", key)
            core = f"«{core}»" if forms else core
        else:
            core = f"{self.pick(LATIN_LAST, 'company', key)} {self.pick(LATIN_COMPANY_STEMS, 'company-stem', key)}"
        prefix = [w for w in forms if words and w == words[0]]
        suffix = [w for w in forms if w not in prefix]
        return " ".join([*prefix, core, *suffix])

    # --- contact details ----------------------------------------------------------------
    def email(self, text: str) -> str:
        address = text.strip().lower()
        if not address:
            return text
        return f"user-{self.digest('email', address).hex()[:16]}@example.invalid"

    def email_list(self, text: str) -> str:
        """Addresses in a "To:" line replaced one by one; display names are dropped."""
        return ", ".join(self.email(a) for a in _EMAIL.findall(text or ""))

    def _phone_e164(self, e164: str) -> str:
        """Same country code, same length, the first three national digits kept (area or
        mobile operator, so the number stays valid), the rest permuted."""
        try:
            number = phonenumbers.parse(e164, None)
        except phonenumbers.NumberParseException:
            return "+" + self.permute_digits("phone-raw", re.sub(r"\D", "", e164))
        national = str(number.national_number)
        head, tail = national[:3], national[3:]
        fake_tail = self.permute_digits(f"phone:{number.country_code}:{head}", tail)
        return f"+{number.country_code}{head}{fake_tail}"

    def _phone(self, text: str) -> str:
        """A phone as typed: E.164 stays E.164, anything else becomes the international
        format of the fake."""
        if not text or not text.strip():
            return text
        if _E164.fullmatch(text):
            return self.phone_e164(text)
        try:
            e164 = normalize.normalize_phone(text)
        except Exception:
            digits = re.sub(r"\D", "", text)
            return "+" + self.permute_digits("phone-raw", digits) if digits else ""
        fake = self.phone_e164(e164)
        if text.strip() == e164:
            return fake
        parsed = phonenumbers.parse(fake, None)
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)

    def username(self, text: str) -> str:
        return "user-" + self.digest("username", text.strip().lower()).hex()[:10]

    def messenger(self, text: str) -> str:
        if not text:
            return text
        return "@user_" + self.digest("messenger", text.strip().lower()).hex()[:10]

    # --- addresses ----------------------------------------------------------------------
    def _city(self, text: str) -> str:
        if _CYRILLIC.search(text):
            return self.pick(RU_CITIES, "city", text.lower())
        return "Saint-" + self.pick(LATIN_LAST, "city", text.lower())

    def street(self, text: str) -> str:
        if not text:
            return text
        rng = self.rng("street", text.lower())
        number = rng.randint(1, 150)
        if _CYRILLIC.search(text):
            return f"ул. {rng.choice(RU_STREETS)}, д. {number}"
        return f"{number} rue {rng.choice(LATIN_LAST)}"

    def postcode(self, text: str) -> str:
        digits = re.sub(r"\D", "", text or "")
        if not digits:
            return text
        fake = iter(self.permute_digits("postcode", digits))
        return re.sub(r"\d", lambda _m: next(fake), text)

    # --- tax identifiers ----------------------------------------------------------------
    def inn(self, text: str) -> str:
        digits = re.sub(r"\D", "", text or "")
        if len(digits) == 10:
            body = self.permute_digits("inn10", digits[:9])
            return body + _inn_digit(body, (2, 4, 10, 3, 5, 9, 4, 6, 8))
        if len(digits) == 12:
            body = self.permute_digits("inn12", digits[:10])
            first = _inn_digit(body, (7, 2, 4, 10, 3, 5, 9, 4, 6, 8))
            return body + first + _inn_digit(body + first, (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8))
        return self.permute_digits("inn-other", digits) if digits else text

    def kpp(self, text: str) -> str:
        value = (text or "").strip()
        if not re.fullmatch(r"\d{4}[0-9A-Z]{2}\d{3}", value):
            return self.permute_digits("kpp-other", re.sub(r"\D", "", value)) if value else value
        # The reason code (positions 5-6, e.g. "01" head office) says what kind of
        # registration it is; the office and serial parts are permuted.
        return (
            self.permute_digits("kpp-office", value[:4])
            + value[4:6]
            + self.permute_digits("kpp-serial", value[6:])
        )

    def ogrn(self, text: str) -> str:
        digits = re.sub(r"\D", "", text or "")
        if len(digits) == 13:
            body = digits[0] + self.permute_digits("ogrn13", digits[1:12])
            return body + str(int(body) % 11 % 10)
        if len(digits) == 15:
            body = digits[0] + self.permute_digits("ogrn15", digits[1:14])
            return body + str(int(body) % 13 % 10)
        return self.permute_digits("ogrn-other", digits) if digits else text

    def siren(self, text: str) -> str:
        digits = re.sub(r"\D", "", text or "")
        if len(digits) != 9:
            return self.permute_digits("siren-other", digits) if digits else text
        body = self.permute_digits("siren", digits[:8])
        return body + _luhn_digit(body)

    def siret(self, text: str) -> str:
        digits = re.sub(r"\D", "", text or "")
        if len(digits) != 14:
            return self.permute_digits("siret-other", digits) if digits else text
        # The SIREN part maps like the company's SIREN, so the two stay consistent.
        body = self.siren(digits[:9]) + self.permute_digits("siret-nic", digits[9:13])
        return body + _luhn_digit(body)

    def vat(self, text: str) -> str:
        value = re.sub(r"[\s.\-]", "", text or "").upper()
        if not value:
            return text
        if re.fullmatch(r"FR[0-9A-Z]{2}\d{9}", value):
            siren = self.siren(value[4:])
            return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"
        prefix, rest = value[:2], value[2:]
        digits = re.sub(r"\D", "", rest)
        fake = iter(self.permute_digits(f"vat:{prefix}", digits))
        return prefix + re.sub(r"\d", lambda _m: next(fake), rest)

    # --- free text ----------------------------------------------------------------------
    def text(self, text: str, max_length: int | None = None) -> str:
        """Lorem words of about the same length (same script), line breaks kept."""
        if not text or not text.strip():
            return text
        rng = self.rng("text", text)
        words = RU_WORDS if _CYRILLIC.search(text) else LATIN_WORDS
        lines = []
        for line in text.split("\n"):
            target = len(line.rstrip())
            out = ""
            while len(out) < target:
                out = f"{out} {rng.choice(words)}" if out else rng.choice(words).capitalize()
            lines.append(out[: max(target, 1)].rstrip() if target else "")
        result = "\n".join(lines)
        return result[:max_length] if max_length else result

    def url(self, text: str) -> str:
        if not text:
            return text
        return f"https://www.company-{self.digest('url', text.lower()).hex()[:10]}.example"


def _inn_digit(body: str, weights: tuple[int, ...]) -> str:
    return str(sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11 % 10)


def _luhn_digit(body: str) -> str:
    total = 0
    for position, char in enumerate(reversed(body)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return str((10 - total % 10) % 10)


def looks_like_code(value: str) -> bool:
    """Values that carry no personal data: numbers, dates, amounts, ISO codes, lower-case
    enum codes ("won", "phone", "head_office"), booleans written as text."""
    text = value.strip()
    if not text:
        return True
    if re.fullmatch(r"[\d\s.,:+\-/TZ%]+", text):
        return True
    if re.fullmatch(r"[A-Z]{2,3}", text):  # currencies, countries
        return True
    return re.fullmatch(r"[a-z][a-z0-9_\-.]{0,39}", text) is not None


def scrub_json(faker: Faker, value: Any, field_rule: dict[str, str], key: str = "") -> Any:
    """Structure, numbers, booleans, dates and codes kept; personal strings replaced, by the
    rule of the field they belong to when the key names a known field (so an audit entry's
    old e-mail becomes the same fake as the e-mail column), else by lorem text."""
    if isinstance(value, dict):
        return {k: scrub_json(faker, v, field_rule, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_json(faker, v, field_rule, key) for v in value]
    if not isinstance(value, str):
        return value
    rule = field_rule.get(key)
    if rule is not None:
        return apply_value_rule(faker, rule, value)
    if "@" in value:
        return faker.email_list(value) or faker.text(value)
    if looks_like_code(value):
        return value
    return faker.text(value)


VALUE_RULES = frozenset(
    [
        "person_name",
        "company_name",
        "phone",
        "email",
        "email_list",
        "street",
        "city",
        "postcode",
        "inn",
        "kpp",
        "ogrn",
        "siren",
        "siret",
        "vat",
        "url",
        "text",
        "username",
    ]
)


def apply_value_rule(faker: Faker, rule: str, value: str) -> str:
    """The fake for one value under a rule that needs nothing but the value itself."""
    handler = faker.value_rules.get(rule)
    return handler(value) if handler is not None and value else value
