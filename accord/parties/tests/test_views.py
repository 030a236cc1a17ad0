import pytest
from django.urls import reverse

from accord.core.models import AuditEntry, PicklistOption
from accord.core.testing import assert_num_queries, user_with_role
from accord.parties import services
from accord.parties.models import Company, Contact
from accord.parties.tests.factories import make_company, make_contact

pytestmark = pytest.mark.django_db


def _company_data(**overrides):
    data = {"name": "Alpha Design", "inn": "", "phones": "", "emails": "", "tags": ""}
    data.update(overrides)
    return data


def test_manager_creates_company_through_the_form(client):
    manager = user_with_role("sales_manager")
    industry = PicklistOption.objects.get(picklist="industry", code="design")
    client.force_login(manager)

    response = client.post(
        reverse("parties:company_create"),
        _company_data(
            name="ООО Челябэнергопроект",
            inn="7707083893",
            industry=industry.pk,
            phones="8 (351) 123-45-67\n+33 1 23 45 67 89",
            emails="Info@Example.RU",
            tags="key account, tender 2026",
        ),
    )

    company = Company.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("parties:company_detail", args=[company.pk])
    assert (company.name, company.inn, company.owner, company.industry) == (
        "ООО Челябэнергопроект",
        "7707083893",
        manager,
        industry,
    )
    assert sorted(company.contact_points.values_list("normalized", flat=True)) == [
        "+33123456789",
        "+73511234567",
        "info@example.ru",
    ]
    assert sorted(company.tags.values_list("name", flat=True)) == ["key account", "tender 2026"]


def test_invalid_inn_and_phone_are_shown_next_to_their_fields_and_nothing_is_saved(client):
    manager = user_with_role("sales_manager")
    client.force_login(manager)

    response = client.post(
        reverse("parties:company_create"), _company_data(inn="1234567890", phones="12")
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert "10 digits" in form.errors["inn"][0]
    assert "phone" in form.errors["phones"][0]
    html = response.content.decode()
    assert 'id="id_inn_errors"' in html and 'id="id_phones_errors"' in html
    assert Company.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_stale_edit_shows_a_conflict_and_changes_nothing(client):
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager, name="Alpha")
    services.company_update(actor=manager, company=company, fields={"name": "Alpha 2"})
    client.force_login(manager)

    response = client.post(
        reverse("parties:company_edit", args=[company.pk]),
        _company_data(name="Alpha 3", version=1),
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Someone else changed this record" in html
    assert "Reload the latest version" in html
    company.refresh_from_db()
    assert (company.name, company.version) == ("Alpha 2", 2)


def test_edit_with_current_version_saves(client):
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager, name="Alpha", phones=["+7 351 123-45-67"])
    client.force_login(manager)

    form_page = client.get(reverse("parties:company_edit", args=[company.pk]))
    assert form_page.context["form"].initial["phones"] == "+7 351 123-45-67"
    response = client.post(
        reverse("parties:company_edit", args=[company.pk]),
        _company_data(name="Alpha Renamed", version=1, phones="+7 351 123-45-67"),
    )

    assert response.status_code == 302
    company.refresh_from_db()
    assert (company.name, company.version) == ("Alpha Renamed", 2)


def test_manager_gets_404_on_someone_elses_private_company_and_cannot_delete_it(client):
    owner = user_with_role("sales_manager")
    other = user_with_role("sales_manager")
    company = make_company(owner=owner, name="Private Co")
    client.force_login(other)

    for name in ("company_detail", "company_edit", "company_delete", "company_history"):
        assert client.get(reverse(f"parties:{name}", args=[company.pk])).status_code == 404
    response = client.post(reverse("parties:company_delete", args=[company.pk]))
    edit = client.post(
        reverse("parties:company_edit", args=[company.pk]), _company_data(name="Hacked")
    )

    assert (response.status_code, edit.status_code) == (404, 404)
    company.refresh_from_db()
    assert company.name == "Private Co"


def test_read_only_user_sees_the_card_but_cannot_delete(client):
    owner = user_with_role("sales_manager")
    reader = user_with_role("read_only")
    company = make_company(owner=owner, name="Visible Co")
    client.force_login(reader)

    card = client.get(reverse("parties:company_detail", args=[company.pk]))
    response = client.post(reverse("parties:company_delete", args=[company.pk]))

    assert card.status_code == 200
    assert reverse("parties:company_delete", args=[company.pk]) not in card.content.decode()
    assert response.status_code == 404
    assert Company.objects.filter(pk=company.pk).exists()


def test_owner_deletes_after_confirming(client):
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager, name="Gone Co")
    client.force_login(manager)

    confirm = client.get(reverse("parties:company_delete", args=[company.pk]))
    response = client.post(reverse("parties:company_delete", args=[company.pk]))

    assert confirm.status_code == 200 and "Gone Co" in confirm.content.decode()
    assert response.status_code == 302
    assert not Company.objects.filter(pk=company.pk).exists()


def test_duplicate_box_for_cyrillic_and_latin_names_hides_invisible_records(client):
    owner = user_with_role("sales_manager", first_name="Ivan", last_name="Petrov")
    manager = user_with_role("sales_manager")
    hidden = make_company(owner=owner, name="ООО Челябэнергопроект")
    client.force_login(manager)

    response = client.post(
        reverse("parties:company_duplicates"), {"name": "Chelyabenergoproekt LLC"}
    )

    html = response.content.decode()
    assert 'class="duplicates"' in html
    assert "A record matching this already exists (owner: Ivan Petrov)" in html
    assert reverse("parties:company_detail", args=[hidden.pk]) not in html
    assert "Челябэнергопроект" not in html


def test_duplicate_box_links_visible_record_with_the_same_phone(client):
    manager = user_with_role("sales_manager")
    mine = make_company(owner=manager, name="Mine", phones=["+7 351 123-45-67"])
    client.force_login(manager)

    response = client.post(
        reverse("parties:company_duplicates"), {"name": "Other name", "phones": "8 351 1234567"}
    )

    html = response.content.decode()
    assert reverse("parties:company_detail", args=[mine.pk]) in html
    assert "same phone" in html


def test_contact_duplicate_box_for_the_same_email(client):
    manager = user_with_role("sales_manager")
    person = make_contact(owner=manager, last_name="Ivanova", emails=["anna@example.com"])
    client.force_login(manager)

    response = client.post(
        reverse("parties:contact_duplicates"),
        {"last_name": "Smith", "first_name": "Jane", "emails": "ANNA@example.com"},
    )

    html = response.content.decode()
    assert reverse("parties:contact_detail", args=[person.pk]) in html
    assert "same e-mail" in html


def test_create_with_a_duplicate_needs_create_anyway(client):
    manager = user_with_role("sales_manager")
    make_company(owner=manager, name="ООО Челябэнергопроект")
    client.force_login(manager)
    data = _company_data(name="Chelyabenergoproekt LLC")

    first = client.post(reverse("parties:company_create"), data)
    assert first.status_code == 200
    assert 'name="confirm_duplicates"' in first.content.decode()
    assert Company.objects.count() == 1

    second = client.post(reverse("parties:company_create"), {**data, "confirm_duplicates": "1"})
    assert second.status_code == 302
    assert Company.objects.filter(name="Chelyabenergoproekt LLC").count() == 1


def test_contact_created_from_a_client_card(client):
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager, name="Alpha")
    client.force_login(manager)

    form_page = client.get(reverse("parties:contact_create") + f"?company={company.pk}")
    response = client.post(
        reverse("parties:contact_create"),
        {
            "last_name": "Ivanova",
            "first_name": "Anna",
            "position": "Chief engineer",
            "companies": [company.pk],
            "phones": "+7 912 000-00-01",
            "emails": "",
            "messengers": "Telegram @anna",
            "birthday": "1990-05-17",
            "tags": "",
        },
    )

    assert form_page.context["form"].initial["companies"] == [company.pk]
    contact = Contact.objects.get()
    assert response.status_code == 302
    assert (contact.full_name, contact.primary_company, str(contact.birthday)) == (
        "Ivanova Anna",
        company,
        "1990-05-17",
    )
    assert list(contact.contact_points.values_list("kind", flat=True)) == ["messenger", "phone"]


def test_company_history_shows_a_contacts_change(client):
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager, name="Alpha")
    contact = make_contact(owner=manager, company=company, position="Engineer")
    services.contact_update(actor=manager, contact=contact, fields={"position": "Director"})
    client.force_login(manager)

    response = client.get(reverse("parties:company_history", args=[company.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Engineer → Director" in html
    assert str(contact) in html


def test_client_card_has_a_fixed_query_count(client):
    manager = user_with_role("sales_manager")
    industry = PicklistOption.objects.get(picklist="industry", code="design")
    company = make_company(
        owner=manager, name="Alpha", industry=industry, phones=["+7 351 123-45-67"]
    )
    services.company_update(actor=manager, company=company, fields={}, tags=["vip", "tender"])
    for index in range(3):
        make_contact(
            owner=manager,
            company=company,
            last_name=f"Person{index}",
            phones=[f"+7 912 000-00-0{index}"],
            emails=[f"p{index}@example.com"],
        )
    client.force_login(manager)
    url = reverse("parties:company_detail", args=[company.pk])

    with assert_num_queries(13):
        response = client.get(url)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'href="tel:+73511234567"' in html
    assert "8 (351) 123-45-67" in html
    assert "p2@example.com" in html
    assert 'class="quick-actions"' in html
    assert f"?kind=call&amp;company={company.pk}" in html


def _contact_data(**overrides):
    data = {
        "last_name": "Ivanova",
        "first_name": "Anna",
        "phones": "",
        "emails": "",
        "messengers": "",
        "tags": "",
    }
    data.update(overrides)
    return data


def test_create_form_checks_duplicates_while_typing_and_keeps_rare_fields_folded(client):
    manager = user_with_role("sales_manager")
    client.force_login(manager)

    html = client.get(reverse("parties:company_create")).content.decode()

    url = reverse("parties:company_duplicates")
    assert html.count(f'hx-post="{url}"') == 6
    assert 'hx-trigger="change delay:300ms"' in html
    assert html.index('id="duplicates"') < html.index('<button class="btn" type="submit"')
    more = html[html.index("<details") : html.index("</details>")]
    assert 'name="legal_name"' in more and 'name="kpp"' in more
    assert 'name="name"' not in more
    assert 'name="owner"' not in html


def test_head_of_sales_may_choose_the_owner(client):
    head = user_with_role("head_of_sales")
    manager = user_with_role("sales_manager")
    client.force_login(head)

    response = client.post(
        reverse("parties:company_create"), _company_data(name="Assigned Co", owner=manager.pk)
    )

    assert response.status_code == 302
    assert Company.objects.get(name="Assigned Co").owner == manager


def test_contact_with_invalid_phone_and_email_shows_errors_and_saves_nothing(client):
    manager = user_with_role("sales_manager")
    client.force_login(manager)

    response = client.post(
        reverse("parties:contact_create"), _contact_data(phones="abc", emails="not-an-email")
    )

    form = response.context["form"]
    assert response.status_code == 200
    assert "“abc” is not a phone number" in form.errors["phones"][0]
    assert "not a valid e-mail address" in form.errors["emails"][0]
    assert Contact.objects.count() == 0


def test_contact_edit_stale_version_conflicts(client):
    manager = user_with_role("sales_manager")
    contact = make_contact(owner=manager, last_name="Ivanova")
    services.contact_update(actor=manager, contact=contact, fields={"position": "CEO"})
    client.force_login(manager)

    response = client.post(
        reverse("parties:contact_edit", args=[contact.pk]),
        _contact_data(last_name="Changed", version=1),
    )

    assert "Someone else changed this record" in response.content.decode()
    contact.refresh_from_db()
    assert (contact.last_name, contact.position, contact.version) == ("Ivanova", "CEO", 2)


def test_manager_gets_404_on_someone_elses_contact_and_nothing_changes(client):
    owner = user_with_role("sales_manager")
    other = user_with_role("sales_manager")
    contact = make_contact(owner=owner, last_name="Hidden")
    client.force_login(other)

    for name in ("contact_detail", "contact_edit", "contact_delete", "contact_history"):
        assert client.get(reverse(f"parties:{name}", args=[contact.pk])).status_code == 404
    deleted = client.post(reverse("parties:contact_delete", args=[contact.pk]))
    edited = client.post(
        reverse("parties:contact_edit", args=[contact.pk]), _contact_data(last_name="Hacked")
    )

    assert (deleted.status_code, edited.status_code) == (404, 404)
    contact.refresh_from_db()
    assert contact.last_name == "Hidden"


def test_service_agent_may_not_create_a_company(client):
    agent = user_with_role("service_agent")
    client.force_login(agent)

    response = client.post(reverse("parties:company_create"), _company_data(name="Nope"))

    assert response.status_code == 403
    assert Company.objects.count() == 0


def test_contact_card_has_a_fixed_query_count(client):
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager, name="Alpha")
    contact = make_contact(
        owner=manager,
        company=company,
        phones=["+7 912 000-00-01"],
        emails=["anna@example.com"],
        birthday="1990-05-17",
    )
    client.force_login(manager)

    with assert_num_queries(11):
        response = client.get(reverse("parties:contact_detail", args=[contact.pk]))

    html = response.content.decode()
    assert 'href="tel:+79120000001"' in html
    assert 'href="mailto:anna@example.com"' in html
    assert reverse("parties:company_detail", args=[company.pk]) in html
    assert f"?kind=call&amp;contact={contact.pk}" in html


def test_history_more_button_loads_the_next_page(client):
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager, name="Alpha")
    for index in range(21):
        services.company_update(actor=manager, company=company, fields={"name": f"Alpha {index}"})
    client.force_login(manager)
    url = reverse("parties:company_history", args=[company.pk])

    first = client.get(url).content.decode()
    oldest_shown = first.count("kind-change")
    before = first.split(f'hx-get="{url}?before=')[1].split('"')[0]
    second = client.get(url, {"before": before}, HTTP_HX_REQUEST="true").content.decode()

    assert oldest_shown == 20
    assert second.count("kind-change") == 2
    assert "<ul" not in second and "?before=" not in second
    assert "Alpha 0" in second


def test_custom_fields_are_in_the_form_and_on_the_card(client):
    from accord.core.models import CustomFieldDefinition

    CustomFieldDefinition.objects.create(
        model="company", name="tender_no", label="Tender number", field_type="text"
    )
    manager = user_with_role("sales_manager")
    client.force_login(manager)

    response = client.post(
        reverse("parties:company_create"), _company_data(name="Gamma", cf_tender_no="T-2026-17")
    )

    company = Company.objects.get(name="Gamma")
    assert response.status_code == 302
    assert company.custom == {"tender_no": "T-2026-17"}
    card = client.get(reverse("parties:company_detail", args=[company.pk])).content.decode()
    assert "<dt>Tender number</dt><dd>T-2026-17</dd>" in card
    edit = client.get(reverse("parties:company_edit", args=[company.pk]))
    assert edit.context["form"].initial["cf_tender_no"] == "T-2026-17"


def test_company_form_keeps_the_main_address_and_shows_it_on_the_card(client):
    manager = user_with_role("sales_manager")
    client.force_login(manager)

    response = client.post(
        reverse("parties:company_create"),
        _company_data(
            name="Addr SARL",
            address_street="12 rue de la Paix",
            address_city="Paris",
            address_country="fr",
        ),
    )

    company = Company.objects.get()
    assert response.status_code == 302
    assert [(a.street, a.city, a.country) for a in company.addresses.all()] == [
        ("12 rue de la Paix", "Paris", "FR")
    ]
    card = client.get(reverse("parties:company_detail", args=[company.pk])).content.decode()
    assert "12 rue de la Paix" in card
    edit = client.get(reverse("parties:company_edit", args=[company.pk])).content.decode()
    assert 'value="12 rue de la Paix"' in edit


def test_company_picker_finds_companies_beyond_the_preloaded_list_and_keeps_the_chosen(client):
    manager = user_with_role("sales_manager")
    other = user_with_role("sales_manager")
    chosen = make_company(owner=manager, name="Alpha Design")
    wanted = make_company(owner=manager, name="Zeta Uralproekt")
    make_company(owner=other, name="Zeta Hidden")
    client.force_login(manager)

    html = client.get(
        reverse("parties:company_options"), {"company_q": "zeta", "companies": [chosen.pk]}
    ).content.decode()

    assert f'<option value="{chosen.pk}" selected>Alpha Design</option>' in html
    assert f'<option value="{wanted.pk}">Zeta Uralproekt</option>' in html
    assert "Zeta Hidden" not in html
