"""The matching engine's pure functions, on real spellings in Russian, French, English, German."""

from __future__ import annotations

import pytest

from accord.dedup import matching
from accord.dedup.matching import (
    REASON_EMAIL,
    REASON_NAME,
    REASON_NAME_TRANSLIT,
    REASON_PHONE,
    REASON_TAX_ID,
    blocking_keys,
    canonical_email,
    canonical_phone,
    company_name_forms,
    company_profile,
    contact_profile,
    match_candidates,
    name_similarity,
    person_name_forms,
    score_pair,
    strip_legal_forms,
    tax_ids,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ООО «Ромашка»", "ромашка"),
        ("ромашка ооо", "ромашка"),
        ("Romashka LLC", "romashka"),
        ("Общество с ограниченной ответственностью „Ромашка“", "ромашка"),
        ('ПАО "Газпром нефть"', "газпром нефть"),
        ("Société Générale SA", "société générale"),
        ("Société à responsabilité limitée Dupont & Fils", "dupont fils"),
        ("Müller GmbH & Co. KG", "müller"),
        ("Turnverein Jahn e.V.", "turnverein jahn"),
        ("Ford Motor Company", "ford motor"),
        ("Acme Ltd.", "acme"),
        ("ИП Ёжиков", "ежиков"),
        ("ООО", "ооо"),  # nothing but a legal form: kept rather than empty
    ],
)
def test_legal_forms_quotes_case_and_yo_are_dropped(name, expected):
    assert strip_legal_forms(name) == expected


@pytest.mark.parametrize(
    "names",
    [
        ("ООО «Ромашка»", "Romashka LLC", "ромашка ооо", "ROMACHKA SARL"),
        ("Société Générale SA", "SOCIETE GENERALE", "société générale"),
        ("Müller GmbH", "Mueller", "MULLER AG"),
        ("ООО Челябэнергопроект", "Chelyabenergoproekt LLC"),
    ],
)
def test_company_spellings_share_a_form(names):
    forms = [set(company_name_forms(n)) for n in names]
    common = set.intersection(*forms)
    assert common, forms


@pytest.mark.parametrize(
    "spellings",
    [
        ("Щукин", "Shchukin", "Chtchoukine", "Schukin"),
        ("Иванов", "Ivanov", "Iwanow", "IVANOV"),
        ("Жуков", "Zhukov", "Joukov"),
        ("Чайковский", "Chaykovsky", "Tchaikovskii", "Chaikovskiy"),
        ("Хрущёв", "Khrushchev", "Khrouchtchev"),
        ("Юлия", "Yuliya", "Iuliia", "Yulia"),
        ("Сергей", "Sergey", "Sergei", "Serguei"),
        ("Цветаева", "Tsvetaeva", "Tsvetayeva"),
    ],
)
def test_transliterations_of_one_name_are_the_same_name(spellings):
    forms = [person_name_forms(s) for s in spellings]
    for other in forms[1:]:
        assert name_similarity(forms[0], other) == 100.0, (forms[0], other)


def test_latin_spellings_from_different_schemes_meet_too():
    assert name_similarity(person_name_forms("Shchukin"), person_name_forms("Chtchoukine")) == 100


def test_different_names_stay_apart():
    assert name_similarity(person_name_forms("Иванов"), person_name_forms("Петров")) < 50
    assert name_similarity(company_name_forms("ООО «Ромашка»"), company_name_forms("Ландыш")) < 50
    assert company_name_forms("ООО «Ромашка»") != company_name_forms("ООО «Ромашка-Трейд»")


def test_word_order_does_not_matter():
    assert (
        name_similarity(person_name_forms("Иванов", "Пётр"), person_name_forms("Petr", "Ivanov"))
        == 100.0
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("J.O.H.N.Smith+crm@GoogleMail.com", "johnsmith@gmail.com"),
        ("john.smith@gmail.com", "johnsmith@gmail.com"),
        ("ivan+newsletter@yandex.ru", "ivan@yandex.ru"),
        ("anna+work@outlook.com", "anna@outlook.com"),
        ("a.b+x@corp.fr", "a.b+x@corp.fr"),  # a company's own server: left alone
        ("Info@Alpha.FR", "info@alpha.fr"),
        ("not an address", ""),
        ("", ""),
    ],
)
def test_canonical_email(raw, expected):
    assert canonical_email(raw) == expected


def test_canonical_phone_accepts_stored_and_typed_numbers():
    assert canonical_phone("+73511234567") == "+73511234567"
    assert canonical_phone("8 (351) 123-45-67") == "+73511234567"
    assert canonical_phone("+33 1 23 45 67 89") == "+33123456789"
    assert canonical_phone("12") == ""


def test_tax_ids_normalised_and_siren_read_from_siret_and_vat():
    assert tax_ids(inn="7707 083 893") == {"inn": "7707083893"}
    assert tax_ids(siret="732 829 320 00074") == {"siren": "732829320"}
    assert tax_ids(vat_number="fr 40 303265045") == {"siren": "303265045", "vat": "FR40303265045"}
    assert tax_ids(inn="12") == {}


def test_same_tax_id_is_a_match_whatever_the_names():
    a = company_profile(id=1, name="ООО «Ромашка»", inn="7707083893")
    b = company_profile(id=2, name="Romashka LLC", inn="7707083893")

    match = score_pair(a, b)

    assert match.score == 100.0
    assert match.reasons == (REASON_TAX_ID, REASON_NAME_TRANSLIT)


def test_different_tax_ids_are_different_companies_even_with_one_name():
    a = company_profile(id=1, name="ООО «Ромашка»", inn="7707083893")
    b = company_profile(id=2, name="ООО «Ромашка»", inn="7736050003")

    assert score_pair(a, b).score == 50.0


def test_company_name_alone_is_enough_for_companies():
    a = company_profile(id=1, name="Société Générale SA")
    b = company_profile(id=2, name="SOCIETE GENERALE")

    assert score_pair(a, b) == matching.Match(90.0, (REASON_NAME,))


def test_gmail_dots_and_phone_formats_link_two_contacts():
    a = contact_profile(
        id=1,
        last_name="Щукин",
        first_name="Иван",
        phones=["+7 351 123-45-67"],
        emails=["ivan.shchukin@gmail.com"],
    )
    b = contact_profile(
        id=2,
        last_name="Chtchoukine",
        first_name="Ivan",
        phones=["8 (351) 1234567"],
        emails=["IvanShchukin+crm@googlemail.com"],
    )

    match = score_pair(a, b)

    assert match.score == 100.0
    assert match.reasons == (REASON_EMAIL, REASON_PHONE, REASON_NAME_TRANSLIT)


def test_shared_phone_with_a_different_name_is_weak():
    a = contact_profile(id=1, last_name="Ivanov", first_name="Petr", phones=["+73511234567"])
    b = contact_profile(id=2, last_name="Martin", first_name="Claire", phones=["+73511234567"])

    match = score_pair(a, b)

    assert match.reasons == (REASON_PHONE,)
    assert match.score < matching.THRESHOLD


def test_a_common_first_name_alone_is_no_match():
    a = contact_profile(id=1, last_name="Иванов", first_name="Пётр", company_id=5)
    b = contact_profile(id=2, last_name="Сидоров", first_name="Пётр", company_id=5)

    assert score_pair(a, b).score < matching.THRESHOLD


def test_same_person_name_needs_patronymic_or_company_to_count():
    lone = contact_profile(id=1, last_name="Иванов", first_name="Пётр")
    namesake = contact_profile(id=2, last_name="Ivanov", first_name="Petr")
    with_patronymic = contact_profile(
        id=3, last_name="Иванов", first_name="Пётр", middle_name="Сергеевич"
    )
    same_patronymic = contact_profile(
        id=4, last_name="Ivanov", first_name="Pyotr", middle_name="Sergeyevich"
    )
    colleague = contact_profile(id=5, last_name="Ivanov", first_name="Petr", company_id=9)
    same_company = contact_profile(id=6, last_name="Иванов", first_name="Петр", company_id=9)

    assert score_pair(lone, namesake).score == 70.0
    # "Pyotr" keeps the ё that "Пётр" → "Петр" loses: similar, not identical, still a match
    assert score_pair(with_patronymic, same_patronymic) == matching.Match(
        81.8, (REASON_NAME_TRANSLIT,)
    )
    assert score_pair(colleague, same_company).score == 90.0


def test_blocking_keys():
    company = company_profile(
        id=1, name="ООО «Ромашка»", inn="7707083893", phones=["+73511234567"], emails=["a@b.ru"]
    )
    contact = contact_profile(
        id=2,
        last_name="Щукин",
        first_name="Иван",
        middle_name="Петрович",
        company_id=7,
        emails=["I.Van@Gmail.com"],
    )

    assert blocking_keys(company) == [
        "tinn:7707083893",
        "p:+73511234567",
        "e:a@b.ru",
        "n:romashka",
        "f:romas",
    ]
    assert blocking_keys(contact) == ["e:ivan@gmail.com", "m:ivan petrovich shukin", "c:7:shuki"]


def test_transliterated_records_share_a_block():
    a = contact_profile(id=1, last_name="Щукин", first_name="Иван", middle_name="Петрович")
    b = contact_profile(id=2, last_name="Chtchoukine", first_name="Ivan", middle_name="Petrovitch")

    assert set(blocking_keys(a)) & set(blocking_keys(b))


def test_match_candidates_returns_matches_best_first():
    row = contact_profile(id=0, last_name="Ivanov", first_name="Petr", phones=["+73511234567"])
    candidates = [
        contact_profile(id=10, last_name="Martin", first_name="Claire", phones=["+73511234567"]),
        contact_profile(id=11, last_name="Иванов", first_name="Пётр", phones=["+73511234567"]),
        contact_profile(id=12, last_name="Иванов", first_name="Пётр", emails=["x@y.ru"]),
    ]

    found = match_candidates(row, candidates)

    assert [(pk, m.score, m.reasons) for pk, m in found] == [
        (11, 90.0, (REASON_PHONE, REASON_NAME_TRANSLIT))
    ]
