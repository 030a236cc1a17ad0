import pytest

from accord.core.testing import TeamFactory, user_with_role
from accord.parties.models import Company
from accord.parties.search import _prefix_bounds, global_search, text_match
from accord.parties.selectors import companies_visible_to
from accord.parties.tests.factories import make_company, make_contact

pytestmark = pytest.mark.django_db


def _company_names(user, query):
    return [hit.label for hit in global_search(user, query).companies]


def _contact_names(user, query):
    return [hit.label for hit in global_search(user, query).contacts]


def test_cyrillic_name_found_by_latin_query_and_latin_by_cyrillic():
    boss = user_with_role("head_of_sales")
    make_company(owner=boss, name="ООО Челябэнергопроект")
    make_company(owner=boss, name="Chelyabinsk Steel LLC")
    make_company(owner=boss, name="Alpha")

    assert _company_names(boss, "chelyab") == ["Chelyabinsk Steel LLC", "ООО Челябэнергопроект"]
    assert _company_names(boss, "Челяб") == ["Chelyabinsk Steel LLC", "ООО Челябэнергопроект"]
    assert _company_names(boss, "энерго") == ["ООО Челябэнергопроект"]
    assert _company_names(boss, "energoproekt") == ["ООО Челябэнергопроект"]


def test_phone_found_in_any_format():
    boss = user_with_role("head_of_sales")
    company = make_company(owner=boss, name="Phone Co", phones=["+7 (351) 123-45-67"])
    contact = make_contact(owner=boss, last_name="Иванов", phones=["+7 912 345-67-89"])
    make_company(owner=boss, name="Other", phones=["+7 (351) 765-43-21"])

    assert _company_names(boss, "83511234567") == [company.name]
    assert _company_names(boss, "+7 351 123 45 67") == [company.name]
    assert _company_names(boss, "1234567") == [company.name]
    assert _contact_names(boss, "8 912 3456789") == [str(contact)]


def test_email_and_tax_ids_found():
    boss = user_with_role("head_of_sales")
    company = make_company(owner=boss, name="Mail Co", inn="7707083893", emails=["Info@Example.RU"])
    french = make_company(owner=boss, name="Paris SA", siren="732829320")
    contact = make_contact(owner=boss, last_name="Smith", emails=["john.smith@corp.fr"])

    assert _company_names(boss, "info@example.ru") == [company.name]
    assert _company_names(boss, "example.ru") == [company.name]
    assert _company_names(boss, "7707083893") == [company.name]
    assert _company_names(boss, "732 829 320") == [french.name]
    assert _contact_names(boss, "john.smith@corp.fr") == [str(contact)]
    assert _contact_names(boss, "smith@corp") == [str(contact)]


def test_manager_does_not_find_another_managers_private_company():
    team = TeamFactory()
    manager = user_with_role("sales_manager", team=team)
    other = user_with_role("sales_manager")
    make_company(owner=other, name="Secret Steel", phones=["+7 351 111-22-33"])
    mine = make_company(owner=manager, name="Steel Mine")

    assert _company_names(manager, "steel") == [mine.name]
    assert _company_names(manager, "83511112233") == []
    assert _company_names(other, "steel") == ["Secret Steel"]


def test_two_character_query_matches_name_prefix():
    boss = user_with_role("head_of_sales")
    make_company(owner=boss, name="Ab Company")
    make_company(owner=boss, name="Zeta Ab")
    make_contact(owner=boss, last_name="Юн", first_name="Ли")

    assert _company_names(boss, "ab") == ["Ab Company"]
    assert _contact_names(boss, "юн") == ["Юн Ли"]


def test_text_match_is_shared_with_lists_and_empty_query_matches_nothing():
    boss = user_with_role("head_of_sales")
    make_company(owner=boss, name="Gamma")

    assert list(text_match(Company.objects.all(), "gamm").values_list("name", flat=True)) == [
        "Gamma"
    ]
    assert list(text_match(Company.objects.all(), "   ")) == []


def test_search_view_renders_groups_with_secondary_line(client):
    boss = user_with_role("head_of_sales")
    company = make_company(owner=boss, name="Omega Group", inn="7707083893")
    make_contact(owner=boss, company=company, last_name="Omegin", position="CEO")
    client.force_login(boss)

    response = client.get("/search/", {"q": "omeg"}, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="search-results"' in html
    assert html.index("Omega Group") < html.index("Omegin")
    assert "INN 7707083893" in html
    assert "Omega Group · CEO" in html


def test_name_prefix_range_needs_no_sentinel_character():
    assert _prefix_bounds("chelab") == ("chelab", "chelac")
    assert _prefix_bounds("abz") == ("abz", "ac")
    assert _prefix_bounds("a9") == ("a9", "aa")
    assert _prefix_bounds("zz") == ("zz", None)


def test_wildcards_typed_by_the_user_match_literally():
    manager = user_with_role("sales_manager")
    make_company(owner=manager, name="Alpha Projects")
    make_company(owner=manager, name="Rate 100% Design")

    assert [c.name for c in text_match(companies_visible_to(manager), "a_p%")] == []
    assert [c.name for c in text_match(companies_visible_to(manager), "100%")] == [
        "Rate 100% Design"
    ]
