"""Phone parsing and name keys are cached (imports repeat values): the cache must not change
what callers see, whatever the region, the language or the order of calls."""

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import translation

from accord.parties import normalize


def test_same_text_in_another_region_is_parsed_for_that_region():
    assert normalize.normalize_phone("8 351 123-45-67", "RU") == "+73511234567"
    with pytest.raises(ValidationError):
        normalize.normalize_phone("8 351 123-45-67", "FR")
    assert normalize.normalize_phone("01 23 45 67 89", "FR") == "+33123456789"
    assert normalize.normalize_phone("8 351 123-45-67", "RU") == "+73511234567"


def test_default_region_is_read_at_each_call():
    with override_settings(ACCORD_DEFAULT_REGION="FR"):
        assert normalize.normalize_phone("01 23 45 67 89") == "+33123456789"
    with override_settings(ACCORD_DEFAULT_REGION="RU"), pytest.raises(ValidationError):
        normalize.normalize_phone("01 23 45 67 89")


def test_a_refused_phone_is_refused_again_in_the_language_of_the_moment():
    with translation.override("en"), pytest.raises(ValidationError) as english:
        normalize.normalize_phone("+7 123")
    with translation.override("en"), pytest.raises(ValidationError) as again:
        normalize.normalize_phone("+7 123")
    assert english.value.messages == again.value.messages
    assert "“+7 123” is not a valid phone number" in english.value.messages[0]
    with translation.override("ru"), pytest.raises(ValidationError) as russian:
        normalize.normalize_phone("+7 123")
    assert russian.value.messages != english.value.messages


def test_not_a_number_keeps_its_own_message():
    with translation.override("en"), pytest.raises(ValidationError) as error:
        normalize.normalize_phone("call me")
    assert "“call me” is not a phone number" in error.value.messages[0]


def test_name_key_cached_gives_the_same_key_every_time():
    first = normalize.name_key("ООО Челябэнергопроект")
    assert first == normalize.name_key("ООО Челябэнергопроект")
    assert first == normalize.name_key("Chelyabenergoproekt LLC")
    assert normalize.name_key("") == ""
    assert normalize.name_key(None) == ""  # type: ignore[arg-type]
