"""Lead services: entry from every channel, normalisation, bad input, qualification, permissions."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accord.core.errors import ConflictError
from accord.core.models import AuditEntry, Picklist, PicklistOption
from accord.core.testing import TeamFactory, user_with_role
from accord.sales import services_leads
from accord.sales.models import Lead
from accord.sales.selectors_leads import get_lead_for, leads_visible_to

pytestmark = pytest.mark.django_db


def _source(code: str = "website") -> PicklistOption:
    option, _created = PicklistOption.objects.get_or_create(
        picklist=Picklist.SOURCE, code=code, defaults={"label": code.title()}
    )
    return option


def test_manual_lead_is_normalised_and_audited():
    manager = user_with_role("sales_manager")
    source = _source()

    lead = services_leads.lead_create(
        actor=manager,
        fields={
            "full_name": "  Петров   Иван ",
            "company_name": "ООО Челябэнергопроект",
            "phone": "8 (351) 123-45-67",
            "email": "Ivan.Petrov@Example.RU",
            "inn": "7707 083 893",
            "country": "ru",
            "source": source,
            "campaign": "Expo 2026",
            "estimated_amount": Decimal("150000.00"),
            "currency": "RUB",
        },
    )

    lead.refresh_from_db()
    assert lead.full_name == "Петров Иван"
    assert lead.phone == "+73511234567"
    assert lead.email == "ivan.petrov@example.ru"
    assert lead.inn == "7707083893"
    assert lead.country == "RU"
    assert lead.channel == Lead.Channel.MANUAL
    assert lead.status == Lead.Status.NEW
    assert lead.owner == manager
    assert lead.name_key == "chelabenergoproekt"
    assert lead.source == source and lead.campaign == "Expo 2026"
    entry = AuditEntry.objects.get(object_type="lead", object_id=lead.pk)
    assert entry.action == "create" and entry.actor == manager
    assert entry.changes["phone"] == [None, "+73511234567"]
    assert entry.message == ""


def test_bad_input_names_each_field_and_saves_nothing():
    manager = user_with_role("sales_manager")

    with pytest.raises(ValidationError) as info:
        services_leads.lead_create(
            actor=manager,
            fields={
                "full_name": "X",
                "email": "not-an-address",
                "phone": "12",
                "inn": "1234567890",
            },
        )

    assert set(info.value.message_dict) == {"email", "phone", "inn"}
    assert "name@example.com" in info.value.message_dict["email"][0]
    assert "10 digits" in info.value.message_dict["inn"][0]
    assert Lead.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_a_lead_needs_a_name():
    manager = user_with_role("sales_manager")

    with pytest.raises(ValidationError) as info:
        services_leads.lead_create(
            actor=manager, fields={"full_name": "  ", "phone": "+73511234567"}
        )

    assert list(info.value.message_dict) == ["full_name"]
    assert Lead.objects.count() == 0


def test_unknown_field_is_refused():
    manager = user_with_role("sales_manager")

    with pytest.raises(ValidationError) as info:
        services_leads.lead_create(actor=manager, fields={"full_name": "A", "status": "converted"})

    assert list(info.value.message_dict) == ["status"]


def test_update_is_versioned_and_audited():
    manager = user_with_role("sales_manager")
    lead = services_leads.lead_create(actor=manager, fields={"full_name": "Anna Smith"})

    updated = services_leads.lead_update(
        actor=manager, lead=lead, fields={"phone": "+33 1 23 45 67 89"}, expected_version=1
    )

    assert updated.phone == "+33123456789" and updated.version == 2
    with pytest.raises(ConflictError):
        services_leads.lead_update(
            actor=manager, lead=updated, fields={"city": "Lyon"}, expected_version=1
        )
    assert Lead.objects.get(pk=lead.pk).city == ""
    change = AuditEntry.objects.get(object_type="lead", object_id=lead.pk, action="change")
    assert change.changes == {"phone": ["", "+33123456789"]}


def test_qualification_statuses_and_reason_required():
    manager = user_with_role("sales_manager")
    lead = services_leads.lead_create(actor=manager, fields={"company_name": "Alpha"})

    lead = services_leads.lead_set_status(actor=manager, lead=lead, status="contacted")
    assert lead.status == "contacted"

    with pytest.raises(ValidationError) as info:
        services_leads.lead_set_status(actor=manager, lead=lead, status="unqualified")
    assert list(info.value.message_dict) == ["unqualified_reason"]
    assert Lead.objects.get(pk=lead.pk).status == "contacted"

    lead = services_leads.lead_set_status(
        actor=manager, lead=lead, status="unqualified", unqualified_reason="No budget"
    )
    assert (lead.status, lead.unqualified_reason) == ("unqualified", "No budget")

    lead = services_leads.lead_set_status(actor=manager, lead=lead, status="qualified")
    assert (lead.status, lead.unqualified_reason) == ("qualified", "")

    with pytest.raises(ValidationError) as info:
        services_leads.lead_set_status(actor=manager, lead=lead, status="converted")
    assert list(info.value.message_dict) == ["status"]
    with pytest.raises(ValidationError) as info:
        services_leads.lead_set_status(actor=manager, lead=lead, status="new")
    assert "cannot go from" in info.value.message_dict["status"][0]


def test_sales_manager_sees_own_and_team_leads_only():
    team = TeamFactory(name="East")
    me = user_with_role("sales_manager", team=team)
    colleague = user_with_role("sales_manager", team=team)
    stranger = user_with_role("sales_manager")
    mine = services_leads.lead_create(actor=me, fields={"full_name": "Mine"})
    shared = services_leads.lead_create(
        actor=colleague, fields={"full_name": "Shared", "team": team}
    )
    hidden = services_leads.lead_create(actor=stranger, fields={"full_name": "Hidden"})

    assert set(leads_visible_to(me)) == {mine, shared}
    with pytest.raises(Exception) as info:
        get_lead_for(me, hidden.pk)
    assert info.type.__name__ == "Http404"
    with pytest.raises(PermissionDenied):
        services_leads.lead_update(actor=me, lead=shared, fields={"city": "Omsk"})
    assert Lead.objects.get(pk=shared.pk).city == ""


def test_marketing_may_add_and_import_and_read_only_changes_nothing():
    from accord.core.permissions import Scope, user_scope

    marketing = user_with_role("marketing")
    reader = user_with_role("read_only")
    lead = services_leads.lead_create(actor=marketing, fields={"full_name": "From the fair"})

    assert user_scope(marketing, "lead", "import") == Scope.OWN
    assert lead.owner == marketing
    with pytest.raises(PermissionDenied):
        services_leads.lead_create(actor=reader, fields={"full_name": "Nope"})
    with pytest.raises(PermissionDenied):
        services_leads.lead_set_status(actor=reader, lead=lead, status="contacted")
    with pytest.raises(PermissionDenied):
        services_leads.lead_delete(actor=reader, lead=lead)
    assert list(Lead.objects.values_list("full_name", "status")) == [("From the fair", "new")]
    assert list(leads_visible_to(reader)) == [lead]


def test_choosing_another_owner_needs_the_reassign_right():
    manager = user_with_role("sales_manager")
    other = user_with_role("sales_manager")
    head = user_with_role("head_of_sales")

    with pytest.raises(PermissionDenied):
        services_leads.lead_create(actor=manager, fields={"full_name": "A", "owner": other})
    lead = services_leads.lead_create(actor=head, fields={"full_name": "A", "owner": other})

    assert lead.owner == other and Lead.objects.count() == 1
