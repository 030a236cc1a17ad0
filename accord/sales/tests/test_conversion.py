"""Lead conversion in one step: company + contact + deal, reuse of matches, all-or-nothing."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accord.core.models import AuditEntry, Picklist, PicklistOption
from accord.core.testing import user_with_role
from accord.parties.models import Company, Contact, Employment
from accord.parties.tests.factories import make_company, make_contact
from accord.sales import services_deals, services_leads
from accord.sales.models import Deal, Lead

pytestmark = pytest.mark.django_db


def _lead(actor, **fields):
    return services_leads.lead_create(actor=actor, fields=fields)


def test_conversion_creates_company_contact_and_deal_with_source_and_campaign():
    manager = user_with_role("sales_manager")
    source, _created = PicklistOption.objects.get_or_create(
        picklist=Picklist.SOURCE, code="exhibition", defaults={"label": "Exhibition"}
    )
    lead = _lead(
        manager,
        full_name="Петров Иван",
        company_name="ООО Альфа",
        phone="+7 351 123-45-67",
        email="petrov@alpha.ru",
        inn="7707083893",
        source=source,
        campaign="Expo",
        estimated_amount=Decimal("250000.00"),
        currency="RUB",
    )

    result = services_leads.lead_convert(actor=manager, lead=lead)

    assert result.company_created and result.contact_created
    company = Company.objects.get()
    assert (company.name, company.inn, company.owner, company.source) == (
        "ООО Альфа",
        "7707083893",
        manager,
        source,
    )
    contact = Contact.objects.get()
    assert (contact.last_name, contact.first_name) == ("Петров", "Иван")
    assert sorted(contact.contact_points.values_list("normalized", flat=True)) == [
        "+73511234567",
        "petrov@alpha.ru",
    ]
    assert Employment.objects.filter(contact=contact, company=company).exists()
    deal = Deal.objects.get()
    assert deal.company == company and deal.lead_id == lead.pk
    assert deal.amount == Decimal("250000.00") and deal.currency == "RUB"
    assert deal.source == source and deal.campaign == "Expo"
    assert list(deal.contacts.all()) == [contact]
    lead.refresh_from_db()
    assert lead.status == Lead.Status.CONVERTED and lead.converted_at is not None
    assert (lead.converted_company, lead.converted_contact, lead.converted_deal) == (
        company,
        contact,
        deal,
    )
    change = AuditEntry.objects.get(object_type="lead", object_id=lead.pk, action="change")
    assert change.changes["status"] == ["new", "converted"]
    assert change.changes["converted_deal_id"] == [None, deal.pk]
    assert AuditEntry.objects.filter(object_type="company", object_id=company.pk).exists()
    assert AuditEntry.objects.filter(object_type="contact", object_id=contact.pk).exists()


def test_converted_lead_cannot_be_reconverted_or_edited():
    manager = user_with_role("sales_manager")
    lead = _lead(manager, company_name="Beta")
    services_leads.lead_convert(actor=manager, lead=lead, create_deal=False)
    lead.refresh_from_db()

    with pytest.raises(ValidationError) as info:
        services_leads.lead_convert(actor=manager, lead=lead)
    assert "already been converted" in info.value.message_dict["status"][0]
    with pytest.raises(ValidationError) as info:
        services_leads.lead_update(actor=manager, lead=lead, fields={"city": "Omsk"})
    assert "already been converted" in info.value.message_dict["status"][0]
    with pytest.raises(ValidationError):
        services_leads.lead_set_status(actor=manager, lead=lead, status="new")
    assert Company.objects.count() == 1 and Deal.objects.count() == 0


def test_failing_deal_rolls_back_company_contact_and_lead(monkeypatch):
    manager = user_with_role("sales_manager")
    lead = _lead(manager, full_name="Anna Smith", company_name="Gamma", email="anna@gamma.fr")
    audit_before = AuditEntry.objects.count()

    def refuse(**kwargs):
        raise ValidationError({"amount": ["refused"]})

    monkeypatch.setattr(services_deals, "deal_create", refuse)
    with pytest.raises(ValidationError):
        services_leads.lead_convert(actor=manager, lead=lead)

    assert Company.objects.count() == 0
    assert Contact.objects.count() == 0
    assert Deal.objects.count() == 0
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.NEW
    assert AuditEntry.objects.count() == audit_before


def test_negative_amount_is_refused_before_anything_is_written():
    manager = user_with_role("sales_manager")
    lead = _lead(manager, company_name="Delta")

    with pytest.raises(ValidationError) as info:
        services_leads.lead_convert(actor=manager, lead=lead, amount=Decimal("-1"))

    assert list(info.value.message_dict) == ["amount"]
    assert Company.objects.count() == 0


def test_conversion_reuses_chosen_company_and_contact_and_links_them():
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager, name="Epsilon")
    contact = make_contact(owner=manager, last_name="Smith", first_name="Anna")
    lead = _lead(manager, full_name="Anna Smith", company_name="Epsilon Ltd")

    result = services_leads.lead_convert(
        actor=manager, lead=lead, company=company, contact=contact, create_deal=False
    )

    assert (result.company, result.contact) == (company, contact)
    assert not result.company_created and not result.contact_created
    assert Company.objects.count() == 1 and Contact.objects.count() == 1
    assert Employment.objects.filter(contact=contact, company=company).exists()
    assert result.deal is None


def test_company_with_the_same_inn_is_reused_without_asking():
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager, name="Zeta", inn="7707083893")
    lead = _lead(manager, company_name="Другое имя", inn="7707083893")

    result = services_leads.lead_convert(actor=manager, lead=lead, create_deal=False)

    assert result.company == company and Company.objects.count() == 1


def test_invisible_company_with_the_same_inn_is_refused_naming_the_owner():
    manager = user_with_role("sales_manager")
    stranger = user_with_role("sales_manager", first_name="Oleg", last_name="Sidorov")
    make_company(owner=stranger, name="Eta", inn="7707083893")
    lead = _lead(manager, company_name="Eta", inn="7707083893")

    with pytest.raises(ValidationError) as info:
        services_leads.lead_convert(actor=manager, lead=lead)

    assert "Oleg Sidorov" in info.value.message_dict["company"][0]
    assert Company.objects.count() == 1 and Deal.objects.count() == 0


def test_reusing_a_company_the_user_may_not_see_is_refused():
    manager = user_with_role("sales_manager")
    stranger = user_with_role("sales_manager")
    hidden = make_company(owner=stranger, name="Theta")
    lead = _lead(manager, company_name="Theta")

    with pytest.raises(ValidationError) as info:
        services_leads.lead_convert(actor=manager, lead=lead, company=hidden)

    assert list(info.value.message_dict) == ["company"]
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.NEW


def test_marketing_may_not_create_deals_when_converting():
    marketing = user_with_role("marketing")
    lead = _lead(marketing, company_name="Iota")

    with pytest.raises(PermissionDenied):
        services_leads.lead_convert(actor=marketing, lead=lead)

    assert Company.objects.count() == 0 and Deal.objects.count() == 0
