"""Lead pages: list (query budget, filters, export), entry with the duplicate check, detail,
status, conversion screen, and the administrators' assignment rules."""

import pytest
from django.test import Client
from django.urls import reverse

from accord.core.models import AuditEntry
from accord.core.testing import TeamFactory, assert_num_queries, user_with_role
from accord.parties.models import Company, Contact
from accord.parties.tests.factories import make_company, make_contact
from accord.sales import services_leads
from accord.sales.models import AssignmentRule, Deal, Lead

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_list_shows_only_visible_leads_with_a_fixed_query_budget():
    manager = user_with_role("sales_manager")
    stranger = user_with_role("sales_manager")
    for i in range(5):
        services_leads.lead_create(actor=manager, fields={"full_name": f"Visible {i}"})
    services_leads.lead_create(actor=stranger, fields={"full_name": "Hidden lead"})
    client = _client(manager)
    client.get(reverse("sales:lead_list"))  # warm the session and caches

    with assert_num_queries(9):
        response = client.get(reverse("sales:lead_list"))

    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("Visible ") == 5 and "Hidden lead" not in body


def test_list_filters_by_status_and_search_and_exports_csv():
    manager = user_with_role("sales_manager")
    services_leads.lead_create(
        actor=manager, fields={"full_name": "Anna Alpha", "email": "anna@alpha.fr"}
    )
    other = services_leads.lead_create(actor=manager, fields={"full_name": "Boris Beta"})
    services_leads.lead_set_status(actor=manager, lead=other, status="contacted")
    client = _client(manager)

    by_status = client.get(reverse("sales:lead_list"), {"status": "contacted"}).content.decode()
    assert "Boris Beta" in by_status and "Anna Alpha" not in by_status
    by_mail = client.get(reverse("sales:lead_list"), {"search": "ANNA@alpha.fr"}).content.decode()
    assert "Anna Alpha" in by_mail and "Boris Beta" not in by_mail
    export = client.get(reverse("sales:lead_export"))
    rows = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
    assert rows[0].startswith("Lead,Status,Source")
    assert len(rows) == 3


def test_create_shows_duplicates_first_then_saves_on_confirmation():
    manager = user_with_role("sales_manager")
    make_company(owner=manager, name="Alpha", phones=["+73511234567"])
    client = _client(manager)
    data = {
        "full_name": "Ivan Petrov",
        "company_name": "Alpha",
        "phone": "8 351 123-45-67",
        "assign_automatically": "on",
    }

    first = client.post(reverse("sales:lead_create"), data)
    assert first.status_code == 200 and "This may already exist" in first.content.decode()
    assert Lead.objects.count() == 0

    second = client.post(reverse("sales:lead_create"), {**data, "confirm_duplicates": "1"})
    lead = Lead.objects.get()
    assert second.status_code == 302 and second["Location"] == lead.get_absolute_url()
    assert lead.phone == "+73511234567" and lead.channel == "manual"


def test_bad_phone_shows_next_to_the_field():
    manager = user_with_role("sales_manager")

    response = _client(manager).post(
        reverse("sales:lead_create"), {"full_name": "X", "phone": "12"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["phone"][0].startswith("“12” is not")
    assert Lead.objects.count() == 0


def test_duplicates_fragment_and_detail_page():
    manager = user_with_role("sales_manager")
    lead = services_leads.lead_create(
        actor=manager, fields={"full_name": "Anna", "email": "anna@x.ru"}
    )
    client = _client(manager)

    fragment = client.post(reverse("sales:lead_duplicates"), {"email": "Anna@X.ru"})
    assert "Anna" in fragment.content.decode()
    detail = client.get(lead.get_absolute_url())
    assert detail.status_code == 200
    body = detail.content.decode()
    assert reverse("sales:lead_convert", args=[lead.pk]) in body
    assert [label for _value, label in detail.context["next_statuses"]] == [
        "Contacted",
        "Qualified",
    ]
    assert 'name="status" value="contacted"' in body and detail.context["may_unqualify"]


def test_status_form_requires_a_reason_for_not_qualified():
    manager = user_with_role("sales_manager")
    lead = services_leads.lead_create(actor=manager, fields={"full_name": "Anna"})
    client = _client(manager)

    refused = client.post(
        reverse("sales:lead_status", args=[lead.pk]), {"status": "unqualified", "version": 1}
    )
    assert refused.status_code == 422
    assert refused.context["status_form"].errors["unqualified_reason"]
    done = client.post(
        reverse("sales:lead_status", args=[lead.pk]),
        {"status": "unqualified", "unqualified_reason": "No budget", "version": 1},
    )
    assert done.status_code == 302
    assert Lead.objects.get(pk=lead.pk).status == "unqualified"


def test_read_only_cannot_open_forms_or_change_status():
    reader = user_with_role("read_only")
    manager = user_with_role("sales_manager")
    lead = services_leads.lead_create(actor=manager, fields={"full_name": "Anna"})
    client = _client(reader)

    assert client.get(reverse("sales:lead_create")).status_code == 403
    assert client.get(reverse("sales:lead_edit", args=[lead.pk])).status_code == 404
    assert (
        client.post(reverse("sales:lead_status", args=[lead.pk]), {"status": "contacted"})
    ).status_code == 404
    assert client.get(lead.get_absolute_url()).status_code == 200
    assert Lead.objects.get(pk=lead.pk).status == "new"


def test_conversion_screen_offers_matches_and_reuses_the_chosen_company():
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager, name="Alpha", phones=["+73511234567"])
    make_contact(owner=manager, last_name="Petrov", first_name="Ivan")
    lead = services_leads.lead_create(
        actor=manager,
        fields={"full_name": "Ivan Petrov", "company_name": "Alpha", "phone": "+73511234567"},
    )
    client = _client(manager)

    page = client.get(reverse("sales:lead_convert", args=[lead.pk]))
    body = page.content.decode()
    assert "Use existing: Alpha" in body and "Create a new company" in body
    assert "Use existing: Petrov Ivan" in body

    response = client.post(
        reverse("sales:lead_convert", args=[lead.pk]),
        {
            "company_choice": str(company.pk),
            "contact_choice": "new",
            "contact_last_name": "Petrov",
            "contact_first_name": "Ivan",
            "create_deal": "on",
            "deal_name": "Design of the substation",
            "amount": "1000.00",
            "currency": "EUR",
            "version": 1,
        },
    )
    deal = Deal.objects.get()
    assert response.status_code == 302 and response["Location"] == deal.get_absolute_url()
    assert deal.company == company and deal.name == "Design of the substation"
    assert Company.objects.count() == 1 and Contact.objects.count() == 2


def test_assignment_rules_pages_for_administrators_only():
    admin = user_with_role("administrator")
    head = user_with_role("head_of_sales")
    team = TeamFactory(name="Inbound")
    user_with_role("sales_manager", team=team)
    client = _client(admin)

    assert _client(head).get(reverse("sales:assignment_rules")).status_code == 403
    created = client.post(
        reverse("sales:assignment_rule_create"),
        {"name": "Inbound", "is_active": "on", "method": "round_robin", "team": team.pk},
    )
    assert created.status_code == 302
    rule = AssignmentRule.objects.get()
    listing = client.get(reverse("sales:assignment_rules")).content.decode()
    assert "round robin in Inbound" in listing
    client.post(reverse("sales:assignment_rule_toggle", args=[rule.pk]))
    assert AssignmentRule.objects.get().is_active is False
    edited = client.post(
        reverse("sales:assignment_rule_edit", args=[rule.pk]),
        {"name": "Inbound", "method": "user"},
    )
    assert edited.status_code == 200 and edited.context["form"].errors["user"]
    assert AuditEntry.objects.filter(object_type="sales.assignmentrule").count() == 2


def test_converted_lead_edit_is_refused_with_a_message_and_detail_links_the_client():
    manager = user_with_role("sales_manager")
    lead = services_leads.lead_create(actor=manager, fields={"company_name": "Omega"})
    conversion = services_leads.lead_convert(actor=manager, lead=lead, create_deal=False)
    client = _client(manager)

    response = client.get(reverse("sales:lead_edit", args=[lead.pk]), follow=True)

    assert response.redirect_chain == [(lead.get_absolute_url(), 302)]
    body = response.content.decode()
    assert "already been converted" in body
    assert conversion.company.get_absolute_url() in body
    assert reverse("sales:lead_convert", args=[lead.pk]) not in body


def test_list_filters_by_source_and_created_range():
    from datetime import timedelta

    from django.utils import timezone

    from accord.core.models import Picklist, PicklistOption

    manager = user_with_role("sales_manager")
    web, _created = PicklistOption.objects.get_or_create(
        picklist=Picklist.SOURCE, code="website", defaults={"label": "Website"}
    )
    services_leads.lead_create(actor=manager, fields={"full_name": "From web", "source": web})
    old = services_leads.lead_create(actor=manager, fields={"full_name": "Old call"})
    Lead.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    client = _client(manager)

    by_source = client.get(reverse("sales:lead_list"), {"source": web.pk}).content.decode()
    assert "From web" in by_source and "Old call" not in by_source
    since = (timezone.localdate() - timedelta(days=7)).isoformat()
    recent = client.get(reverse("sales:lead_list"), {"created_from": since}).content.decode()
    assert "From web" in recent and "Old call" not in recent
