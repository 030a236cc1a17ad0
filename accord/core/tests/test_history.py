import pytest

from accord.core.history import history_for, history_page
from accord.core.models import AuditEntry, PicklistOption
from accord.core.testing import user_with_role
from accord.parties import services
from accord.parties.tests.factories import make_company, make_contact

pytestmark = pytest.mark.django_db


def test_history_holds_the_record_and_its_related_records_newest_first():
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager, name="Alpha")
    other = make_company(owner=manager, name="Other")
    contact = make_contact(owner=manager, company=company)
    services.company_update(actor=manager, company=company, fields={"name": "Alpha 2"})

    entries = history_for(manager, company, limit=10)

    assert [(e.object_type, e.object_id, e.action) for e in entries] == [
        ("company", company.pk, "change"),
        ("contact", contact.pk, "create"),
        ("company", company.pk, "create"),
    ]
    assert all(e.object_id != other.pk for e in entries)


def test_history_is_keyset_paged_by_id():
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager, name="Alpha")
    for index in range(4):
        services.company_update(actor=manager, company=company, fields={"name": f"Alpha {index}"})
    all_ids = list(
        AuditEntry.objects.filter(object_id=company.pk, object_type="company")
        .order_by("-id")
        .values_list("id", flat=True)
    )

    first = history_page(manager, company, limit=2)
    second = history_page(manager, company, limit=2, before_id=first.next_before_id)
    third = history_page(manager, company, limit=2, before_id=second.next_before_id)

    assert [i.entry.pk for i in first.items] == all_ids[:2]
    assert [i.entry.pk for i in second.items] == all_ids[2:4]
    assert [i.entry.pk for i in third.items] == all_ids[4:]
    assert third.next_before_id is None


def test_changes_are_described_with_field_names_and_resolved_picklists_and_users():
    manager = user_with_role("sales_manager", first_name="Olga", last_name="Smirnova")
    head = user_with_role("head_of_sales", first_name="Boris", last_name="Kuznetsov")
    industry = PicklistOption.objects.get(picklist="industry", code="design")
    company = make_company(owner=manager, name="Alpha")
    services.company_update(
        actor=head,
        company=company,
        fields={"industry": industry, "owner": head},
        phones=["+7 351 123-45-67"],
    )

    item = history_page(head, company, limit=1).items[0]

    rows = {row.label: (row.old, row.new) for row in item.rows}
    assert rows["industry"] == ("—", "Design and engineering")
    assert rows["owner"] == ("Olga Smirnova", "Boris Kuznetsov")
    assert rows["phones"] == ("—", "+73511234567")


def test_a_related_record_the_viewer_may_not_see_shows_without_details():
    owner = user_with_role("sales_manager")
    head = user_with_role("head_of_sales")
    company = make_company(owner=owner, name="Alpha")
    contact = make_contact(owner=head, company=company, position="Secret title")

    items = history_page(owner, company, limit=10).items

    hidden = [i for i in items if i.entry.object_type == "contact"]
    assert [(i.entry.object_id, i.is_hidden, i.rows) for i in hidden] == [(contact.pk, True, [])]


def test_dates_and_times_in_changes_are_shown_in_the_readers_format():
    from django.utils import timezone, translation

    from accord.core.history import _text

    with translation.override("de"), timezone.override("Europe/Berlin"):
        assert _text("2026-11-23T17:10:18.344759+00:00") == "23.11.2026 18:10"
        assert _text("2026-11-23") == "23.11.2026"
    assert _text("INN 7707083893") == "INN 7707083893"


def test_choice_values_show_their_labels_in_the_readers_language(client):
    from django.urls import reverse

    from accord.parties import services as party_services
    from accord.parties.tests.factories import make_contact

    manager = user_with_role("sales_manager", language="de")
    contact = make_contact(owner=manager)
    party_services.contact_update(
        actor=manager, contact=contact, fields={"preferred_channel": "phone"}
    )
    client.force_login(manager)

    page = client.get(reverse("parties:contact_history", args=[contact.pk])).content.decode()

    assert "Telefon" in page and "→ phone" not in page
