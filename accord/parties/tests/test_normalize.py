import pytest
from django.core.exceptions import ValidationError

from accord.parties import normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("8 (351) 123-45-67", "+73511234567"),
        ("+7 351 123 45 67", "+73511234567"),
        ("+33 1 23 45 67 89", "+33123456789"),
    ],
)
def test_phones_normalise_to_e164(raw, expected):
    assert normalize.normalize_phone(raw) == expected


def test_bad_phone_message_shows_expected_format():
    with pytest.raises(ValidationError) as info:
        normalize.normalize_phone("12345")
    assert "+7 351 123-45-67" in info.value.messages[0]


def test_display_is_national_for_home_country_and_international_otherwise():
    assert normalize.display_phone("+73511234567", "RU") == "8 (351) 123-45-67"
    assert normalize.display_phone("+33123456789", "RU") == "+33 1 23 45 67 89"


@pytest.mark.parametrize(
    ("cleaner", "good", "bad"),
    [
        (normalize.clean_inn, "7707083893", "7707083894"),
        (normalize.clean_inn, "500100732259", "500100732258"),
        (normalize.clean_ogrn, "1027700132195", "1027700132194"),
        (normalize.clean_siren, "732829320", "732829321"),
        (normalize.clean_siret, "73282932000074", "73282932000075"),
        (normalize.clean_vat, "FR40303265045", "FR41303265045"),
        (normalize.clean_kpp, "773601001", "77360100"),
    ],
)
def test_tax_identifiers(cleaner, good, bad):
    assert cleaner(good) == good
    with pytest.raises(ValidationError):
        cleaner(bad)


def test_name_key_matches_across_scripts_and_legal_forms():
    assert normalize.name_key("ООО Челябэнергопроект") == normalize.name_key(
        "Chelyabenergoproekt LLC"
    )
    assert normalize.name_key("SARL Dupont") == normalize.name_key("Dupont")


def test_email_normalised_and_invalid_refused():
    assert normalize.normalize_email(" Ivan.Petrov@Example.RU ") == "ivan.petrov@example.ru"
    with pytest.raises(ValidationError):
        normalize.normalize_email("ivan@")
