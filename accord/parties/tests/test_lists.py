import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accord.core.models import CustomFieldDefinition
from accord.core.testing import TeamFactory, assert_num_queries, user_with_role
from accord.parties import services
from accord.parties.tests.factories import make_company, make_contact

pytestmark = pytest.mark.django_db


def _names(response):
    return [row.obj.name for row in response.context["rows"]]


def _csv(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_company_list_shows_only_visible_companies_sorted_by_name(client):
    team = TeamFactory()
    manager = user_with_role("sales_manager", team=team)
    other = user_with_role("sales_manager")
    make_company(owner=manager, name="Beta", phones=["+7 351 123-45-67"])
    make_company(owner=manager, name="Alpha")
    make_company(owner=other, name="Hidden")
    make_company(owner=other, name="Shared", team=team)
    client.force_login(manager)

    response = client.get(reverse("parties:company_list"))

    assert response.status_code == 200
    assert _names(response) == ["Alpha", "Beta", "Shared"]
    html = response.content.decode()
    assert "Hidden" not in html
    assert 'data-label="Phone"' in html
    assert "8 (351) 123-45-67" in html
    assert reverse("parties:company_create") in html
    assert response.context["count"] == 3


def test_company_list_filters_sort_and_columns(client):
    boss = user_with_role("head_of_sales")
    other = user_with_role("sales_manager")
    make_company(owner=boss, name="ООО Челябэнергопроект", country="RU")
    make_company(owner=other, name="Chelyabinsk Steel", country="RU")
    make_company(owner=boss, name="Paris Conseil", country="FR")
    client.force_login(boss)
    url = reverse("parties:company_list")

    assert _names(client.get(url, {"q": "chelyab"})) == [
        "Chelyabinsk Steel",
        "ООО Челябэнергопроект",
    ]
    assert _names(client.get(url, {"country": "fr"})) == ["Paris Conseil"]
    assert _names(client.get(url, {"owner": other.pk})) == ["Chelyabinsk Steel"]
    assert _names(client.get(url, {"sort": "-name"})) == [
        "ООО Челябэнергопроект",
        "Paris Conseil",
        "Chelyabinsk Steel",
    ]
    response = client.get(url, {"cols": "name,inn"})
    assert [h.key for h in response.context["headers"]] == ["name", "inn"]
    response = client.get(url, {"cols": ["name", "owner"]})
    assert [h.key for h in response.context["headers"]] == ["name", "owner"]


def test_company_list_filters_by_custom_field(client):
    boss = user_with_role("head_of_sales")
    CustomFieldDefinition.objects.create(
        model="company", name="segment", label="Segment", field_type="choice", choices=["A", "B"]
    )
    services.company_create(actor=boss, fields={"name": "One"}, custom={"segment": "A"})
    services.company_create(actor=boss, fields={"name": "Two"}, custom={"segment": "B"})
    client.force_login(boss)

    response = client.get(reverse("parties:company_list"), {"cf_segment": "B"})

    assert _names(response) == ["Two"]
    assert 'name="cf_segment"' in response.content.decode()


def test_keyset_pagination_walks_forward_and_back_without_overlap(client):
    boss = user_with_role("head_of_sales")
    for index in range(120):
        make_company(owner=boss, name=f"Company {index:03d}")
    client.force_login(boss)

    first = client.get(reverse("parties:company_list"))
    assert _names(first)[0] == "Company 000" and len(_names(first)) == 50
    assert first.context["page"].previous_url == ""
    second = client.get(first.context["page"].next_url)
    assert _names(second)[0] == "Company 050"
    with CaptureQueriesContext(connection) as context:
        third = client.get(second.context["page"].next_url)
    assert not [q for q in context.captured_queries if "OFFSET" in q["sql"].upper()]
    assert _names(third) == [f"Company {i:03d}" for i in range(100, 120)]
    assert third.context["page"].next_url == ""
    back = client.get(third.context["page"].previous_url)
    assert _names(back) == [f"Company {i:03d}" for i in range(50, 100)]


def test_keyset_pagination_on_descending_update_date(client):
    boss = user_with_role("head_of_sales")
    for index in range(60):
        make_company(owner=boss, name=f"C{index:02d}")
    client.force_login(boss)

    first = client.get(reverse("parties:company_list"), {"sort": "-updated"})
    second = client.get(first.context["page"].next_url)

    seen = _names(first) + _names(second)
    assert len(seen) == 60 and len(set(seen)) == 60
    assert seen[0] == "C59"


def _list_queries(client, user, count, url_name, maker):
    for _index in range(count):
        maker()
    client.force_login(user)
    url = reverse(url_name)
    client.get(url)  # warm up the session
    return url


@pytest.mark.parametrize("rows", [3, 30])
def test_company_list_query_count_does_not_grow_with_rows(client, rows):
    boss = user_with_role("head_of_sales")
    url = _list_queries(
        client,
        boss,
        rows,
        "parties:company_list",
        lambda: make_company(owner=boss, phones=["+7 351 123-45-67"]),
    )

    with assert_num_queries(12):
        response = client.get(url)

    assert len(response.context["rows"]) == rows


@pytest.mark.parametrize("rows", [3, 30])
def test_contact_list_query_count_does_not_grow_with_rows(client, rows):
    boss = user_with_role("head_of_sales")
    company = make_company(owner=boss, name="Acme")
    url = _list_queries(
        client,
        boss,
        rows,
        "parties:contact_list",
        lambda: make_contact(
            owner=boss, company=company, phones=["+7 351 123-45-67"], emails=["a@b.ru"]
        ),
    )

    with assert_num_queries(11):
        response = client.get(url)

    assert len(response.context["rows"]) == rows
    assert "a@b.ru" in response.content.decode()


def test_company_export_is_filtered_scoped_bom_and_formula_safe(client):
    team = TeamFactory()
    manager = user_with_role("sales_manager", team=team)
    other = user_with_role("sales_manager")
    make_company(owner=manager, name="=HYPERLINK(1)", country="RU")
    make_company(owner=manager, name="Челябэнергопроект", country="RU")
    make_company(owner=manager, name="Paris", country="FR")
    make_company(owner=other, name="Hidden", country="RU")
    client.force_login(manager)

    response = client.get(reverse("parties:company_export"), {"country": "RU"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = _csv(response)
    assert rows[0][0] == "Name"
    assert [row[0] for row in rows[1:]] == ["'=HYPERLINK(1)", "Челябэнергопроект"]


def test_export_without_export_action_is_forbidden(client):
    agent = user_with_role("service_agent")
    make_company(owner=agent, name="Anything")
    client.force_login(agent)

    assert client.get(reverse("parties:company_export")).status_code == 403
    response = client.get(reverse("parties:company_list"))
    assert reverse("parties:company_export") not in response.content.decode()


def test_contact_export_lists_visible_contacts(client):
    marketing = user_with_role("marketing")
    boss = user_with_role("head_of_sales")
    company = make_company(owner=boss, name="Acme")
    make_contact(owner=boss, company=company, last_name="Иванов", first_name="Пётр")
    client.force_login(marketing)

    rows = _csv(client.get(reverse("parties:contact_export")))

    assert rows[1][:2] == ["Иванов Пётр", "Acme"]
    assert len(rows) == 2


def test_shared_contact_does_not_reveal_a_company_the_user_may_not_see(client):
    team = TeamFactory()
    manager = user_with_role("sales_manager", team=team)
    other = user_with_role("sales_manager")
    secret = make_company(owner=other, name="Secret Holding")
    make_contact(owner=other, company=secret, last_name="Shared", team=team, position="CFO")
    client.force_login(manager)

    response = client.get(reverse("parties:contact_list"))
    search = client.get("/search/", {"q": "shared"})

    assert [row.cells[1].value for row in response.context["rows"]] == [""]
    assert "Secret Holding" not in response.content.decode()
    assert [hit.secondary for hit in search.context["results"].contacts] == ["CFO"]
    assert "Secret Holding" not in search.content.decode()


def test_filter_selects_load_when_opened_and_render_at_once_when_in_use(client):
    boss = user_with_role("head_of_sales")
    client.force_login(boss)
    url = reverse("parties:company_list")

    closed = client.get(url).content.decode()
    part = client.get(url, {"part": "filters"}).content.decode()
    in_use = client.get(url, {"owner": boss.pk}).content.decode()

    assert 'name="owner"' not in closed and 'hx-trigger="toggle once"' in closed
    assert 'name="owner"' in part and "<html" not in part
    assert 'name="owner"' in in_use and 'list-more-filters" open' in in_use
