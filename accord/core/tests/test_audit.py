import pytest

from accord.core.audit import audit_context
from accord.core.models import AuditEntry
from accord.core.testing import user_with_role
from accord.parties import services
from accord.parties.tests.factories import make_company

pytestmark = pytest.mark.django_db


def test_update_records_before_and_after_with_source_and_request_id():
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager, name="Old name")

    with audit_context(source="command", request_id="req-1"):
        services.company_update(
            actor=manager,
            company=company,
            fields={"name": "New name"},
            phones=["+33 1 23 45 67 89"],
        )

    entry = AuditEntry.objects.filter(action="change").get()
    assert entry.changes == {"name": ["Old name", "New name"], "phones": [[], ["+33123456789"]]}
    assert (entry.source, entry.request_id, entry.actor) == ("command", "req-1", manager)


def test_update_without_change_writes_nothing_and_keeps_version():
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager, name="Same")
    before = AuditEntry.objects.count()

    company = services.company_update(actor=manager, company=company, fields={"name": "Same"})

    assert AuditEntry.objects.count() == before
    assert company.version == 1


def test_contact_change_points_at_its_company():
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager)
    from accord.parties.tests.factories import make_contact

    contact = make_contact(owner=manager, company=company)
    services.contact_update(actor=manager, contact=contact, fields={"position": "Chief engineer"})

    entry = AuditEntry.objects.filter(object_type="contact", action="change").get()
    assert (entry.related_type, entry.related_id) == ("company", company.pk)


def test_audit_entries_are_append_only():
    manager = user_with_role("sales_manager")
    make_company(owner=manager)
    entry = AuditEntry.objects.first()
    assert entry is not None
    entry.message = "tampered"

    with pytest.raises(RuntimeError):
        entry.save()


def test_delete_is_recorded_with_old_values():
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager, name="Doomed")
    pk = company.pk

    services.company_delete(actor=manager, company=company)

    entry = AuditEntry.objects.get(action="delete", object_id=pk)
    assert entry.changes["name"] == ["Doomed", None]
