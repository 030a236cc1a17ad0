"""Duplicate check of a lead at entry (D6): against leads, companies and contacts."""

import pytest

from accord.core.testing import user_with_role
from accord.parties.tests.factories import make_company, make_contact
from accord.sales import services_leads
from accord.sales.selectors_leads import find_lead_duplicates

pytestmark = pytest.mark.django_db


def test_phone_in_another_format_matches_a_lead_company_and_contact():
    manager = user_with_role("sales_manager")
    lead = services_leads.lead_create(
        actor=manager, fields={"full_name": "Lead One", "phone": "+7 351 123-45-67"}
    )
    company = make_company(owner=manager, name="Phone Co", phones=["+73511234567"])
    contact = make_contact(owner=manager, phones=["8 351 123 45 67"])

    found = find_lead_duplicates(user=manager, phone="8 (351) 1234567")

    assert [(d.obj, d.reasons) for d in found.leads] == [(lead, ["same phone"])]
    assert [(d.obj, d.reasons) for d in found.companies] == [(company, ["same phone"])]
    assert [(d.obj, d.reasons) for d in found.contacts] == [(contact, ["same phone"])]


def test_email_in_capitals_matches():
    manager = user_with_role("sales_manager")
    lead = services_leads.lead_create(
        actor=manager, fields={"full_name": "Anna", "email": "anna@alpha.fr"}
    )

    found = find_lead_duplicates(user=manager, email="ANNA@Alpha.FR")

    assert [(d.obj, d.reasons) for d in found.leads] == [(lead, ["same e-mail"])]


def test_cyrillic_and_latin_spellings_of_a_name_match():
    manager = user_with_role("sales_manager")
    lead = services_leads.lead_create(
        actor=manager, fields={"company_name": "ООО Челябэнергопроект"}
    )
    company = make_company(owner=manager, name="Челябэнергопроект")

    found = find_lead_duplicates(user=manager, company_name="Chelyabenergoproekt LLC")

    assert [(d.obj, d.reasons) for d in found.leads] == [(lead, ["similar name"])]
    assert [(d.obj, d.reasons) for d in found.companies] == [(company, ["similar name"])]


def test_person_name_matches_a_contact_in_either_word_order():
    manager = user_with_role("sales_manager")
    contact = make_contact(owner=manager, last_name="Иванов", first_name="Пётр")

    found = find_lead_duplicates(user=manager, full_name="Petr Ivanov")

    assert [d.obj for d in found.contacts] == [contact]


def test_same_inn_matches_leads_and_companies():
    manager = user_with_role("sales_manager")
    lead = services_leads.lead_create(
        actor=manager, fields={"company_name": "A", "inn": "7707083893"}
    )
    company = make_company(owner=manager, name="B", inn="7707083893")

    found = find_lead_duplicates(user=manager, inn="7707 083 893")

    assert [(d.obj, d.reasons) for d in found.leads] == [(lead, ["same INN"])]
    assert [(d.obj, d.reasons) for d in found.companies] == [(company, ["same INN"])]


def test_records_the_user_may_not_see_are_reported_without_details():
    manager = user_with_role("sales_manager")
    stranger = user_with_role("sales_manager", first_name="Oleg", last_name="Sidorov")
    services_leads.lead_create(actor=stranger, fields={"full_name": "X", "email": "x@y.ru"})

    found = find_lead_duplicates(user=manager, email="x@y.ru")

    assert [(d.visible, d.owner_name) for d in found.leads] == [(False, "Oleg Sidorov")]
    assert not found.companies and not found.contacts


def test_nothing_found_is_falsy():
    manager = user_with_role("sales_manager")

    assert not find_lead_duplicates(user=manager, full_name="Nobody Here", email="n@h.ru")
