"""Synthetic but valid client data for the demo and the scale generator.

Everything here is made up: names come from Faker pools and our own word lists, identifiers
are random digits with correct check digits (INN, OGRN, SIREN, SIRET, French VAT), phones
come from number ranges that ``phonenumbers`` accepts, and e-mail addresses and websites use
the reserved ``.example`` top-level domain (RFC 2606) so that no real mailbox is ever hit.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from faker import Faker
from stdnum import luhn
from stdnum.ru import inn as ru_inn
from stdnum.ru import ogrn as ru_ogrn
from unidecode import unidecode

COUNTRIES = ("RU", "FR", "GB")
COUNTRY_WEIGHTS = (45, 35, 20)
FAKER_LOCALES = {"RU": "ru_RU", "FR": "fr_FR", "GB": "en_GB"}

# Tax region codes (first digits of INN/KPP/OGRN) of a few Russian regions.
RU_TAX_REGIONS = ("77", "78", "66", "74", "54", "50", "16", "63", "02", "24")

# Number ranges every random tail of which phonenumbers accepts (checked by the tests).
PHONE_PREFIXES = {
    "RU": ("+7495", "+7499", "+7812", "+7343", "+7351", "+7916", "+7903"),
    "FR": ("+331", "+3347", "+3349", "+33240", "+33320"),
    "GB": ("+44207946", "+44113496", "+44161496"),
}
PHONE_LENGTH = {"RU": 12, "FR": 12, "GB": 13}  # characters of E.164 including "+"

RU_ROOTS = (
    "Урал",
    "Сиб",
    "Волга",
    "Север",
    "Юг",
    "Челяб",
    "Енисей",
    "Байкал",
    "Кама",
    "Дон",
    "Тюмень",
    "Ладога",
    "Нева",
    "Амур",
    "Ока",
    "Сура",
    "Вятка",
    "Обь",
    "Печора",
    "Ангара",
)
RU_STEMS = (
    "проект",
    "энергопроект",
    "стройпроект",
    "инжиниринг",
    "гидропроект",
    "промпроект",
    "теплопроект",
    "архпроект",
    "изыскания",
    "трансстрой",
    "дорпроект",
    "мостпроект",
    "водпроект",
    "светпроект",
    "геодезия",
    "экспертиза",
)
RU_FORMS = (
    ("ООО", "Общество с ограниченной ответственностью"),
    ("ООО", "Общество с ограниченной ответственностью"),
    ("ООО", "Общество с ограниченной ответственностью"),
    ("АО", "Акционерное общество"),
    ("ПАО", "Публичное акционерное общество"),
)
FR_PATTERNS = (
    "Bureau d'études {a}",
    "{a} Ingénierie",
    "Atelier {a} Architectes",
    "{a} & {b} Associés",
    "Cabinet {a} Conseil",
    "{a} Structures",
    "{a} Bâtiment Études",
)
FR_FORMS = ("SAS", "SARL", "SA", "EURL")
GB_PATTERNS = (
    "{a} Engineering",
    "{a} & {b} Architects",
    "{a} Design Partners",
    "{a} Consulting Engineers",
    "{a} Structural Design",
    "{a} Building Services",
)
GB_FORMS = ("Ltd", "Ltd", "LLP", "PLC")

POSITIONS = {
    "RU": (
        "Генеральный директор",
        "Главный инженер проекта",
        "Главный архитектор",
        "Руководитель отдела закупок",
        "Инженер-конструктор",
        "Финансовый директор",
        "Ведущий инженер",
        "Начальник отдела проектирования",
    ),
    "FR": (
        "Directeur général",
        "Chef de projet",
        "Architecte",
        "Responsable des achats",
        "Ingénieur structure",
        "Directeur financier",
        "Dessinateur projeteur",
        "Responsable technique",
    ),
    "GB": (
        "Managing Director",
        "Project Manager",
        "Lead Architect",
        "Procurement Manager",
        "Structural Engineer",
        "Finance Director",
        "CAD Technician",
        "Technical Director",
    ),
}


@dataclass(frozen=True)
class Person:
    last_name: str
    first_name: str
    middle_name: str
    position: str
    country: str


@dataclass(frozen=True)
class CompanyIdentity:
    name: str
    legal_name: str
    slug: str
    country: str


class NamePools:
    """Faker is slow per call; sample pools once, then draw from them with our own RNG."""

    def __init__(self, seed: int, size: int = 400) -> None:
        self.male: dict[str, tuple[list[str], list[str], list[str]]] = {}
        self.female: dict[str, tuple[list[str], list[str], list[str]]] = {}
        self.surnames: dict[str, list[str]] = {}
        for country, locale in FAKER_LOCALES.items():
            faker = Faker(locale)
            faker.seed_instance(seed)
            if country == "RU":
                self.male[country] = (
                    _unique(faker.last_name_male, size),
                    _unique(faker.first_name_male, size),
                    _unique(faker.middle_name_male, size),
                )
                self.female[country] = (
                    _unique(faker.last_name_female, size),
                    _unique(faker.first_name_female, size),
                    _unique(faker.middle_name_female, size),
                )
            else:
                last = _unique(faker.last_name, size)
                self.male[country] = (last, _unique(faker.first_name_male, size), [])
                self.female[country] = (last, _unique(faker.first_name_female, size), [])
            self.surnames[country] = _unique(
                faker.last_name_male if country == "RU" else faker.last_name, size
            )

    def person(self, rng: random.Random, country: str) -> Person:
        last, first, middle = (self.male if rng.random() < 0.6 else self.female)[country]
        return Person(
            last_name=rng.choice(last),
            first_name=rng.choice(first),
            middle_name=rng.choice(middle) if middle else "",
            position=rng.choice(POSITIONS[country]),
            country=country,
        )

    def company(self, rng: random.Random, country: str) -> CompanyIdentity:
        if country == "RU":
            core = rng.choice(RU_ROOTS) + rng.choice(RU_STEMS)
            short, long = rng.choice(RU_FORMS)
            return CompanyIdentity(
                name=f"{short} «{core}»",
                legal_name=f"{long} «{core}»",
                slug=slugify(core),
                country=country,
            )
        surnames = self.surnames[country]
        a, b = rng.choice(surnames), rng.choice(surnames)
        if country == "FR":
            core = rng.choice(FR_PATTERNS).format(a=a, b=b)
            form = rng.choice(FR_FORMS)
        else:
            core = rng.choice(GB_PATTERNS).format(a=a, b=b)
            form = rng.choice(GB_FORMS)
        return CompanyIdentity(
            name=core, legal_name=f"{core} {form}", slug=slugify(core), country=country
        )


def _unique(func: object, size: int) -> list[str]:
    values: set[str] = set()
    for _attempt in range(size * 3):
        values.add(func())  # type: ignore[operator]
        if len(values) >= size:
            break
    return sorted(values)


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", unidecode(text).lower().replace("'", "")).strip("-")[:40]


def pick_country(rng: random.Random) -> str:
    return rng.choices(COUNTRIES, weights=COUNTRY_WEIGHTS)[0]


# --- identifiers ------------------------------------------------------------------------------


def company_inn(rng: random.Random, region: str) -> str:
    """A 10-digit organisation INN with a correct check digit."""
    body = region + "".join(rng.choice("0123456789") for _ in range(7))
    return body + ru_inn.calc_company_check_digit(body)


def company_kpp(region: str) -> str:
    """Tax office (region + office 01), reason 01 (place of registration), serial 001."""
    return f"{region}0101001"


def company_ogrn(rng: random.Random, region: str) -> str:
    """A 13-digit OGRN: 1 (legal entity), year, region, serial, check digit."""
    body = "1" + f"{rng.randint(2, 24):02d}" + region + f"{rng.randint(0, 9999999):07d}"
    return body + ru_ogrn.calc_check_digit(body + "0")  # it reads only the first 12 digits


def siren_number(rng: random.Random) -> str:
    body = f"{rng.randint(10000000, 99999999)}"
    return body + luhn.calc_check_digit(body)


def siret_number(rng: random.Random, siren: str) -> str:
    body = siren + f"{rng.randint(1, 999):04d}"
    return body + luhn.calc_check_digit(body)


def french_vat(siren: str) -> str:
    key = (12 + 3 * (int(siren) % 97)) % 97
    return f"FR{key:02d}{siren}"


# --- contact points ---------------------------------------------------------------------------


def phone_e164(rng: random.Random, country: str) -> str:
    """An E.164 number from a range phonenumbers accepts, without calling phonenumbers."""
    prefix = rng.choice(PHONE_PREFIXES[country])
    tail = PHONE_LENGTH[country] - len(prefix)
    return prefix + "".join(rng.choice("0123456789") for _ in range(tail))


def email_address(person: Person, domain: str, number: int | None = None) -> str:
    local = slugify(f"{person.first_name}.{person.last_name}").replace("-", ".")
    suffix = str(number) if number is not None else ""
    return f"{local}{suffix}@{domain}"


def company_domain(identity: CompanyIdentity) -> str:
    return f"{identity.slug}.example"
