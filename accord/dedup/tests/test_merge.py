"""The merge service: values picked per field, everything related moved, audited, undone."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accord.activities.models import Activity, Document
from accord.activities.tests.factories import make_activity
from accord.commerce.tests.test_orders_factories import make_order
from accord.core.errors import ConflictError
from accord.core.models import AuditEntry
from accord.core.testing import user_with_role
from accord.dedup.merge import merge_records, merge_undo, relations, row_values
from accord.dedup.models import DuplicateCluster, Merge
from accord.parties.models import Company, Contact, Employment, Tag
from accord.parties.services import _set_tags
from accord.parties.tests.factories import make_company, make_contact
from accord.projects.tests.factories import make_deal

pytestmark = pytest.mark.django_db


def state(model: Any, ids: list[int]) -> dict[str, Any]:
    """Every row of the records and every row pointing at them, all columns."""
    result: dict[str, Any] = {
        "records": {
            obj.pk: {k: v for k, v in row_values(obj).items() if k not in ("version", "updated_at")}
            for obj in model._base_manager.filter(pk__in=ids)
        }
    }
    for field in relations(model):
        rows = field.model._base_manager.filter(**{f"{field.attname}__in": ids}).order_by("pk")
        result[f"{field.model._meta.label}.{field.name}"] = [row_values(r) for r in rows]
    return result


def make_document(owner: Any, **target: Any) -> Document:
    return Document.objects.create(
        owner=owner,
        file="documents/x.pdf",
        original_name="x.pdf",
        content_type="application/pdf",
        size=10,
        **target,
    )


@pytest.fixture
def head():
    return user_with_role("head_of_sales")


def _three_companies(head):
    a = make_company(owner=head, name="Acme", phones=["+33 1 23 45 67 89"], emails=["a@acme.fr"])
    b = make_company(
        owner=head,
        name="ACME SARL",
        siren="732829320",
        phones=["+33123456789", "+33 6 12 34 56 78"],
        emails=["contact@acme.fr"],
        website="https://acme.fr",
    )
    c = make_company(owner=head, name="Acme Ltd", description="old notes")
    return a, b, c


def test_three_companies_merge_with_picked_values_and_everything_moved(head):
    a, b, c = _three_companies(head)
    tag_x, tag_y = Tag.objects.create(name="x"), Tag.objects.create(name="y")
    _set_tags(a, ["x"])
    _set_tags(b, ["x", "y"])
    person = make_contact(owner=head, company=b)
    both = make_contact(owner=head, company=a)
    Employment.objects.create(contact=both, company=c, position="CTO")
    call = make_activity(owner=head, kind="call", company=b, contacts=[person])
    note = make_activity(owner=head, kind="note", company=c)
    deal = make_deal(owner=head, company=c)
    order = make_order(actor=head, company=b)
    document = make_document(head, company=c)
    cluster = DuplicateCluster.objects.create(
        object_type="company",
        score=90,
        members=[{"id": a.pk, "score": 90, "reasons": ["name"]}, {"id": c.pk, "score": 90}],
    )

    merge = merge_records(
        actor=head,
        object_type="company",
        survivor=a,
        others=[b, c],
        values={"name": b.pk, "description": c.pk, "siren": {"value": "732 829 320"}},
        expected_version=a.version,
    )

    a.refresh_from_db()
    assert (a.name, a.siren, a.website, a.description) == (
        "ACME SARL",
        "732829320",
        "https://acme.fr",
        "old notes",
    )
    assert a.version == 2
    assert not Company.objects.filter(pk__in=[b.pk, c.pk]).exists()
    assert sorted(a.contact_points.values_list("kind", "normalized", "is_primary")) == [
        ("email", "a@acme.fr", True),
        ("email", "contact@acme.fr", False),
        ("phone", "+33123456789", True),
        ("phone", "+33612345678", False),
    ]
    assert sorted(a.tags.values_list("name", flat=True)) == ["x", "y"]
    assert tag_x.companies.count() == 1 and tag_y.companies.count() == 1
    assert Employment.objects.filter(contact=both).count() == 1
    assert Employment.objects.get(contact=both).company_id == a.pk
    assert Employment.objects.get(contact=person).company_id == a.pk
    assert Activity.objects.get(pk=call.pk).company_id == a.pk
    assert Activity.objects.get(pk=note.pk).company_id == a.pk
    deal.refresh_from_db()
    order.refresh_from_db()
    document.refresh_from_db()
    assert (deal.company_id, order.company_id, document.company_id) == (a.pk, a.pk, a.pk)
    assert merge.survivor_id == a.pk and merge.merged_ids == [b.pk, c.pk]
    cluster.refresh_from_db()
    assert cluster.status == "merged" and cluster.resolved_by == head

    entry = AuditEntry.objects.get(object_type="company", object_id=a.pk, action="merge")
    assert entry.actor == head
    assert f"ACME SARL (#{b.pk}), Acme Ltd (#{c.pk})" in entry.message
    assert entry.changes["name"] == ["Acme", "ACME SARL"]
    assert entry.changes["merged"] == [None, [b.pk, c.pk]]
    assert entry.changes["tags"] == [["x"], ["x", "y"]]
    assert entry.changes["phones"] == [["+33123456789"], ["+33123456789", "+33612345678"]]
    assert entry.changes["moved"][1]["activities.Activity"] == 2
    assert "name_key" not in entry.changes
    deleted = AuditEntry.objects.filter(action="delete", object_type="company").order_by(
        "object_id"
    )
    assert [(e.object_id, e.related_id, e.message) for e in deleted] == [
        (b.pk, a.pk, f"Merged into ACME SARL (#{a.pk})."),
        (c.pk, a.pk, f"Merged into ACME SARL (#{a.pk})."),
    ]


def test_undo_restores_everything_exactly(head):
    a, b, c = _three_companies(head)
    _set_tags(a, ["x"])
    _set_tags(b, ["x", "y"])
    person = make_contact(owner=head, company=b, primary_company=b)
    both = make_contact(owner=head, company=a)
    Employment.objects.create(contact=both, company=c, position="CTO")
    make_activity(owner=head, kind="call", company=b, contacts=[person])
    make_deal(owner=head, company=c)
    make_order(actor=head, company=b)
    make_document(head, company=c)
    DuplicateCluster.objects.create(
        object_type="company", score=90, members=[{"id": b.pk}, {"id": c.pk}]
    )
    ids = [a.pk, b.pk, c.pk]
    before = state(Company, ids)

    merge = merge_records(
        actor=head,
        object_type="company",
        survivor=a,
        others=[b, c],
        values={"name": b.pk, "addresses": "all"},
    )
    assert state(Company, ids) != before
    survivor = merge_undo(actor=head, merge=merge)

    assert survivor.pk == a.pk and survivor.version == 3
    assert state(Company, ids) == before
    assert DuplicateCluster.objects.get().status == "open"
    merge.refresh_from_db()
    assert merge.undone_by == head and merge.undone_at is not None
    restored = AuditEntry.objects.filter(action="create", message=f"Merge #{merge.pk} undone.")
    assert sorted(restored.values_list("object_id", flat=True)) == [b.pk, c.pk]
    assert AuditEntry.objects.filter(
        action="change", object_id=a.pk, message=f"Merge #{merge.pk} undone."
    ).exists()

    with pytest.raises(ValidationError) as info:
        merge_undo(actor=head, merge=merge)
    assert info.value.message_dict == {"__all__": ["This merge has already been undone."]}


def test_undo_with_picked_addresses_restores_the_survivors_addresses(head):
    from accord.parties.services import company_update

    a = make_company(owner=head, name="A")
    b = make_company(owner=head, name="B")
    company_update(actor=head, company=a, fields={}, addresses=[{"street": "1 rue A"}])
    company_update(actor=head, company=b, fields={}, addresses=[{"street": "2 Main St"}])
    before = state(Company, [a.pk, b.pk])

    merge = merge_records(
        actor=head, object_type="company", survivor=a, others=[b], values={"addresses": b.pk}
    )
    assert list(a.addresses.values_list("street", flat=True)) == ["2 Main St"]
    merge_undo(actor=head, merge=merge)

    assert state(Company, [a.pk, b.pk]) == before


def test_contacts_merge_unites_points_and_m2m_without_duplicate_pairs(head):
    company = make_company(owner=head)
    one = make_contact(
        owner=head, company=company, last_name="Ivanov", emails=["i@x.ru"], phones=["+79161234567"]
    )
    two = make_contact(
        owner=head,
        company=company,
        last_name="Ivanoff",
        position="Director",
        emails=["I@X.RU", "ivan@y.ru"],
    )
    shared = make_activity(owner=head, kind="call", company=company, contacts=[one, two])
    only_two = make_activity(owner=head, kind="call", contacts=[two])
    deal = make_deal(owner=head, company=company)
    deal.contacts.set([one, two])
    before = state(Contact, [one.pk, two.pk])

    merge_records(actor=head, object_type="contact", survivor=one, others=[two], values={})

    one.refresh_from_db()
    assert one.position == "Director"  # survivor's empty value takes the other's
    assert one.last_name == "Ivanov"
    assert sorted(one.contact_points.values_list("normalized", flat=True)) == [
        "+79161234567",
        "i@x.ru",
        "ivan@y.ru",
    ]
    assert list(shared.contacts.values_list("pk", flat=True)) == [one.pk]
    assert list(only_two.contacts.values_list("pk", flat=True)) == [one.pk]
    assert list(deal.contacts.values_list("pk", flat=True)) == [one.pk]
    assert list(
        Employment.objects.filter(company=company).values_list("contact_id", flat=True)
    ) == [one.pk]

    merge_undo(actor=head, merge=Merge.objects.get())
    assert state(Contact, [one.pk, two.pk]) == before


def test_denied_merge_changes_nothing():
    manager = user_with_role("sales_manager")
    colleague = user_with_role("sales_manager")
    mine = make_company(owner=manager, name="Mine")
    theirs = make_company(owner=colleague, name="Theirs")
    make_activity(owner=colleague, kind="note", company=theirs)
    before = state(Company, [mine.pk, theirs.pk])
    audit_count = AuditEntry.objects.count()

    with pytest.raises(PermissionDenied):
        merge_records(actor=manager, object_type="company", survivor=mine, others=[theirs])
    with pytest.raises(PermissionDenied):
        merge_records(actor=manager, object_type="company", survivor=theirs, others=[mine])

    assert state(Company, [mine.pk, theirs.pk]) == before
    assert AuditEntry.objects.count() == audit_count
    assert not Merge.objects.exists()


def test_taking_the_others_owner_needs_reassign():
    manager = user_with_role("sales_manager")
    a = make_company(owner=manager, name="A")
    b = make_company(owner=manager, name="B")
    other = user_with_role("sales_manager")
    Company.objects.filter(pk=b.pk).update(owner=other)
    b.refresh_from_db()
    with pytest.raises(PermissionDenied):
        merge_records(actor=manager, object_type="company", survivor=a, others=[b])
    assert Company.objects.count() == 2


def test_stale_version_and_invalid_values_are_refused_and_change_nothing(head):
    a, b, c = _three_companies(head)
    make_activity(owner=head, kind="note", company=b)
    before = state(Company, [a.pk, b.pk, c.pk])

    with pytest.raises(ConflictError):
        merge_records(actor=head, object_type="company", survivor=a, others=[b], expected_version=7)
    with pytest.raises(ValidationError) as info:
        merge_records(
            actor=head,
            object_type="company",
            survivor=a,
            others=[b],
            values={"name": 999999, "inn": {"value": "123"}, "colour": a.pk},
        )
    assert set(info.value.message_dict) == {"name", "inn", "colour"}
    assert info.value.message_dict["name"] == ["Pick one of the records being merged."]
    with pytest.raises(ValidationError) as info:
        merge_records(actor=head, object_type="company", survivor=a, others=[a])
    assert info.value.message_dict == {"ids": ["A record appears twice in the merge."]}
    with pytest.raises(ValidationError):
        merge_records(
            actor=head,
            object_type="company",
            survivor=a,
            others=[b],
            values={"name": {"value": ""}},
        )

    assert state(Company, [a.pk, b.pk, c.pk]) == before
    assert not Merge.objects.exists()


def test_undo_refused_for_others_and_when_the_survivor_was_merged_again(head):
    a, b, c = _three_companies(head)
    first = merge_records(actor=head, object_type="company", survivor=a, others=[b])
    stranger = user_with_role("head_of_sales")
    with pytest.raises(PermissionDenied):
        merge_undo(actor=stranger, merge=first)

    merge_records(actor=head, object_type="company", survivor=c, others=[a])
    with pytest.raises(ValidationError) as info:
        merge_undo(actor=head, merge=first)
    assert info.value.message_dict == {
        "__all__": [
            f"The record this merge kept was since merged into #{c.pk}; undo that merge first."
        ]
    }
    admin = user_with_role("administrator")
    merge_undo(actor=admin, merge=Merge.objects.get(survivor_id=c.pk))
    merge_undo(actor=admin, merge=first)
    assert Company.objects.filter(pk__in=[a.pk, b.pk, c.pk]).count() == 3


def test_query_count_does_not_grow_with_related_rows(head):
    def run(n: int) -> int:
        a = make_company(owner=head)
        b = make_company(owner=head)
        for _i in range(n):
            make_activity(owner=head, kind="note", company=b)
            make_deal(owner=head, company=b)
        actor = type(head).objects.get(pk=head.pk)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as context:
            merge_records(actor=actor, object_type="company", survivor=a, others=[b])
        return len(context.captured_queries)

    small = run(1)
    assert run(15) == small
    assert small < 80


def test_custom_fields_are_picked_per_key_and_undone(head):
    from accord.core.models import CustomFieldDefinition

    CustomFieldDefinition.objects.create(
        model="company", name="region_code", label="Code", field_type="text"
    )
    CustomFieldDefinition.objects.create(
        model="company", name="tier", label="Tier", field_type="text"
    )
    a = make_company(owner=head, name="A")
    b = make_company(owner=head, name="B")
    Company.objects.filter(pk=a.pk).update(custom={"region_code": "74", "tier": "gold"})
    Company.objects.filter(pk=b.pk).update(custom={"region_code": "77"})
    a.refresh_from_db()
    b.refresh_from_db()
    before = state(Company, [a.pk, b.pk])

    merge = merge_records(
        actor=head,
        object_type="company",
        survivor=a,
        others=[b],
        values={"custom.region_code": b.pk, "custom.tier": {"value": "silver"}},
    )

    a.refresh_from_db()
    assert a.custom == {"region_code": "77", "tier": "silver"}
    merge_undo(actor=head, merge=merge)
    assert state(Company, [a.pk, b.pk]) == before


def test_contacts_merge_keeps_one_main_employer(head):
    x = make_company(owner=head, name="X")
    y = make_company(owner=head, name="Y")
    one = make_contact(owner=head, company=x, last_name="Petrov")
    two = make_contact(owner=head, company=y, last_name="Petrov")
    Employment.objects.update(is_primary=True)
    before = state(Contact, [one.pk, two.pk])

    merge = merge_records(actor=head, object_type="contact", survivor=one, others=[two])

    rows = Employment.objects.filter(contact=one).order_by("company__name")
    assert [(e.company.name, e.is_primary) for e in rows] == [("X", True), ("Y", False)]
    merge_undo(actor=head, merge=merge)
    assert state(Contact, [one.pk, two.pk]) == before


def test_undo_keeps_a_change_made_to_the_survivor_after_the_merge(head):
    from accord.parties.services import company_update

    a = make_company(owner=head, name="Acme", website="https://a.example")
    b = make_company(owner=head, name="Acme SARL", description="B")
    merge = merge_records(
        actor=head, object_type="company", survivor=a, others=[b], values={"name": b.pk}
    )
    a.refresh_from_db()
    company_update(actor=head, company=a, fields={"website": "https://new.example"})

    merge_undo(actor=head, merge=merge)

    a.refresh_from_db()
    assert (a.name, a.website, a.description) == ("Acme", "https://new.example", "")
    assert Company.objects.get(pk=b.pk).description == "B"
