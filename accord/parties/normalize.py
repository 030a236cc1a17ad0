"""Normalisation of what people type: phones, e-mails, tax identifiers, names across scripts.

Forms, the API, imports and duplicate checks all call these, so "+7 (351) 123-45-67" and
"8 351 1234567" are the same phone everywhere (D6).
"""

from __future__ import annotations

import functools
import re

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from email_validator import EmailNotValidError, validate_email
from stdnum import exceptions as stdnum_exceptions
from stdnum.eu import vat as eu_vat
from stdnum.fr import siren as fr_siren
from stdnum.fr import siret as fr_siret
from stdnum.ru import inn as ru_inn
from stdnum.ru import ogrn as ru_ogrn
from unidecode import unidecode


def normalize_phone(raw: str, region: str | None = None) -> str:
    """Return E.164 ("+73511234567") or raise ValidationError with the expected format."""
    text = (raw or "").strip()
    if not text:
        raise ValidationError(_("Enter a phone number."))
    result = _e164(text, region or settings.ACCORD_DEFAULT_REGION)
    if result == _NOT_A_NUMBER:
        raise ValidationError(
            _(
                "“%(value)s” is not a phone number. Use the international format, e.g. +7 351 123-45-67 or +33 1 23 45 67 89."
            )
            % {"value": text}
        )
    if result == _INVALID:
        raise ValidationError(
            _(
                "“%(value)s” is not a valid phone number. Use the international format, e.g. +7 351 123-45-67 or +33 1 23 45 67 89."
            )
            % {"value": text}
        )
    return result


_NOT_A_NUMBER, _INVALID = "not a number", "invalid"


@functools.lru_cache(maxsize=4096)
def _e164(text: str, region: str) -> str:
    """E.164 of ``text`` or one of the two failure codes above (the messages are translated
    by the caller, in the language of the moment). Parsing is slow and imports repeat numbers
    (a company's switchboard on every row), so results are kept per (text, region): a pure
    function of its arguments, the same for every user."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return _NOT_A_NUMBER
    if not phonenumbers.is_valid_number(number):
        return _INVALID
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_for_search(raw: str) -> str | None:
    """Best-effort E.164 for a search box; None when it does not look like a phone."""
    digits = re.sub(r"\D", "", raw or "")
    if len(digits) < 6:
        return None
    try:
        return normalize_phone(raw)
    except ValidationError:
        return None


def display_phone(e164: str, viewer_region: str | None = None) -> str:
    """National format for numbers of the viewer's country, international otherwise."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    region = viewer_region or settings.ACCORD_DEFAULT_REGION
    if phonenumbers.region_code_for_number(number) == region:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def normalize_email(raw: str) -> str:
    try:
        result = validate_email((raw or "").strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError(
            _("“%(value)s” is not a valid e-mail address (expected name@example.com).")
            % {"value": raw}
        ) from exc
    return result.normalized.lower()


def _digits(raw: str) -> str:
    return re.sub(r"[\s\-.]", "", raw or "").upper()


def clean_inn(raw: str) -> str:
    value = _digits(raw)
    if not value:
        return ""
    try:
        return str(ru_inn.validate(value))
    except stdnum_exceptions.ValidationError as exc:
        raise ValidationError(
            _(
                "Invalid INN: expected 10 digits (organisation) or 12 digits (individual) with a valid checksum."
            )
        ) from exc


def clean_kpp(raw: str) -> str:
    value = _digits(raw)
    if value and not re.fullmatch(r"\d{4}[\dA-Z]{2}\d{3}", value):
        raise ValidationError(_("Invalid KPP: expected 9 characters, e.g. 745301001."))
    return value


def clean_ogrn(raw: str) -> str:
    value = _digits(raw)
    if not value:
        return ""
    try:
        return str(ru_ogrn.validate(value))
    except stdnum_exceptions.ValidationError as exc:
        raise ValidationError(
            _("Invalid OGRN: expected 13 digits (15 for sole traders) with a valid check digit.")
        ) from exc


def clean_siren(raw: str) -> str:
    value = _digits(raw)
    if not value:
        return ""
    try:
        return str(fr_siren.validate(value))
    except stdnum_exceptions.ValidationError as exc:
        raise ValidationError(
            _("Invalid SIREN: expected 9 digits with a valid checksum, e.g. 732 829 320.")
        ) from exc


def clean_siret(raw: str) -> str:
    value = _digits(raw)
    if not value:
        return ""
    try:
        return str(fr_siret.validate(value))
    except stdnum_exceptions.ValidationError as exc:
        raise ValidationError(
            _("Invalid SIRET: expected 14 digits with a valid checksum, e.g. 732 829 320 00074.")
        ) from exc


def clean_vat(raw: str) -> str:
    value = _digits(raw)
    if not value:
        return ""
    try:
        return str(eu_vat.validate(value))
    except stdnum_exceptions.ValidationError as exc:
        raise ValidationError(
            _(
                "Invalid VAT number: expected a country prefix and a valid number, e.g. FR40303265045 or DE136695976."
            )
        ) from exc


# Legal forms dropped before comparing names across scripts and countries.
_LEGAL_FORMS = {
    "ooo",
    "oao",
    "zao",
    "pao",
    "ao",
    "nao",
    "ip",
    "gup",
    "mup",
    "fgup",
    "nko",
    "ano",
    "tsk",
    "llc",
    "ltd",
    "limited",
    "inc",
    "corp",
    "corporation",
    "co",
    "plc",
    "lp",
    "llp",
    "sarl",
    "sas",
    "sasu",
    "sa",
    "sci",
    "eurl",
    "snc",
    "scop",
    "gmbh",
    "ag",
    "kg",
    "ohg",
    "ug",
    "ev",
    "mbh",
    "co.kg",
}
_FOLDS = [
    ("shch", "sh"),
    ("sch", "sh"),
    ("tch", "ch"),
    ("kh", "h"),
    ("ts", "c"),
    ("tz", "c"),
    ("yu", "u"),
    ("iu", "u"),
    ("ju", "u"),
    ("ya", "a"),
    ("ia", "a"),
    ("ja", "a"),
    ("yo", "e"),
    ("io", "e"),
    ("jo", "e"),
    ("ye", "e"),
    ("ie", "e"),
    ("je", "e"),
    ("ph", "f"),
    ("w", "v"),
    ("y", "i"),
    ("j", "i"),
    ("q", "k"),
    ("x", "ks"),
]


def latin(text: str) -> str:
    return unidecode(text or "").lower()


def name_key(name: str) -> str:
    """A spelling-insensitive key: "ООО Челябэнергопроект" == "Chelyabenergoproekt LLC"."""
    return _name_key(name or "")


@functools.lru_cache(maxsize=8192)
def _name_key(name: str) -> str:
    # Cached: names repeat a lot in imports and duplicate scans; a pure function of its text.
    words = re.findall(r"[a-z0-9]+", latin(name).replace("'", ""))
    words = [w for w in words if w not in _LEGAL_FORMS]
    key = "".join(words)
    for old, new in _FOLDS:
        key = key.replace(old, new)
    return re.sub(r"(.)\1+", r"\1", key)[:255]


def search_text(*parts: str) -> str:
    """Lower-cased text plus its Latin transliteration, for substring search in any script."""
    joined = " ".join(p for p in parts if p).lower()
    translit = latin(joined)
    return f"{joined} {translit}" if translit != joined else joined
