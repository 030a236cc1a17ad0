import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from accord.activities import services
from accord.activities.models import Activity
from accord.activities.tests.factories import make_activity
from accord.core.errors import ConflictError
from accord.core.models import AuditEntry
from accord.core.testing import TeamFactory, user_with_role
from accord.parties.services import clients_reassign
from accord.parties.tests.factories import make_company, make_contact

pytestmark = pytest.mark.django_db


def test_call_logged_with_two_fields_gets_defaults_company_team_and_audit():
    team = TeamFactory(name="Chelyabinsk")
    manager = user_with_role("sales_manager", team=team)
    company = make_company(owner=manager, name="Uralproekt", team=team)
    contact = make_contact(owner=manager, company=company, last_name="Ivanov", first_name="Pyotr")

    call = services.activity_create(
        actor=manager,
        kind="call",
        fields={"outcome": "reached", "duration_seconds": 300},
        contacts=[contact],
    )

    assert call.kind == "call"
    assert call.subject == "Call: Ivanov Pyotr"
    assert call.direction == "out"
    assert call.company == company
    assert call.team == team
    assert call.owner == manager
    assert call.duration_seconds == 300
    assert list(call.contacts.all()) == [contact]
    entry = AuditEntry.objects.get(object_type="activity", object_id=call.pk)
    assert entry.action == "create"
    assert (entry.related_type, entry.related_id) == ("company", company.pk)
    assert entry.changes["contacts"] == [None, [contact.pk]]


def test_each_kind_is_created_with_its_own_fields():
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager)
    start = timezone.now() + datetime.timedelta(days=1)
    colleague = user_with_role("sales_manager")

    meeting = services.activity_create(
        actor=manager,
        kind="meeting",
        fields={
            "company": company,
            "subject": "Site visit",
            "at": start,
            "ends_at": start + datetime.timedelta(hours=2),
            "location": "Chelyabinsk, Lenina 1",
        },
        participants=[colleague],
        remind_me=True,
    )
    task = services.activity_create(
        actor=manager,
        kind="task",
        fields={"company": company, "subject": "Send the offer", "at": start, "outcome": "busy"},
    )
    note = services.activity_create(
        actor=manager, kind="note", fields={"company": company, "body": "Wants a 3D model\nmore"}
    )
    email = services.activity_create(
        actor=manager,
        kind="email",
        fields={
            "company": company,
            "email_from": "me@accord.test",
            "email_to": "client@example.ru",
            "subject": "Offer",
            "body": "Please find attached",
        },
    )

    assert meeting.remind_at == start - datetime.timedelta(minutes=15)
    assert list(meeting.participants.all()) == [colleague]
    assert meeting.location == "Chelyabinsk, Lenina 1"
    assert task.outcome == ""  # not a task field: cleared
    assert task.is_open is True
    assert note.subject == "Wants a 3D model"
    assert email.email_to == "client@example.ru"
    assert Activity.objects.filter(company=company).count() == 4


@pytest.mark.parametrize(
    ("kind", "fields", "error_fields"),
    [
        ("meeting", {"subject": "x"}, {"at"}),
        ("task", {}, {"at", "subject"}),
        ("note", {"body": "  "}, {"body"}),
        ("email", {}, {"email_from", "email_to", "subject"}),
        ("call", {"duration_seconds": -5}, {"duration_seconds"}),
        ("call", {"outcome": "nonsense"}, {"outcome"}),
        ("call", {"colour": "red"}, {"colour"}),
    ],
)
def test_invalid_data_is_refused_with_field_names_and_nothing_saved(kind, fields, error_fields):
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager)
    before = AuditEntry.objects.count()

    with pytest.raises(ValidationError) as info:
        services.activity_create(actor=manager, kind=kind, fields={"company": company, **fields})

    assert set(info.value.message_dict) == error_fields
    assert Activity.objects.count() == 0
    assert AuditEntry.objects.count() == before


def test_meeting_end_must_be_after_start():
    manager = user_with_role("sales_manager")
    start = timezone.now()

    with pytest.raises(ValidationError) as info:
        services.activity_create(
            actor=manager,
            kind="meeting",
            fields={"subject": "x", "at": start, "ends_at": start - datetime.timedelta(hours=1)},
        )

    assert info.value.message_dict == {"ends_at": ["The end must be after the start."]}


def test_manager_cannot_log_an_activity_on_an_invisible_company_or_contact():
    manager = user_with_role("sales_manager", team=TeamFactory(name="A"))
    other = user_with_role("sales_manager", team=TeamFactory(name="B"))
    company = make_company(owner=other)
    contact = make_contact(owner=other)

    with pytest.raises(ValidationError) as info:
        services.activity_create(
            actor=manager, kind="call", fields={"company": company.pk}, contacts=[contact.pk]
        )

    assert info.value.message_dict == {
        "company": ["Company not found."],
        "contacts": [f"Contact not found: {contact.pk}."],
    }
    assert Activity.objects.count() == 0


def test_role_without_add_permission_is_refused_and_nothing_changes():
    reader = user_with_role("read_only")
    company = make_company(owner=reader)
    before = AuditEntry.objects.count()

    with pytest.raises(PermissionDenied):
        services.activity_create(
            actor=reader, kind="note", fields={"company": company, "body": "x"}
        )

    assert Activity.objects.count() == 0
    assert AuditEntry.objects.count() == before


def test_update_with_stale_version_is_refused_and_changes_nothing():
    manager = user_with_role("sales_manager")
    task = make_activity(owner=manager, subject="Old")
    services.activity_update(
        actor=manager, activity=task, fields={"subject": "New"}, expected_version=1
    )

    with pytest.raises(ConflictError):
        services.activity_update(
            actor=manager, activity=task, fields={"subject": "Stale"}, expected_version=1
        )

    task.refresh_from_db()
    assert (task.subject, task.version) == ("New", 2)


def test_other_managers_activity_cannot_be_changed_completed_or_deleted():
    team = TeamFactory(name="Shared")
    owner = user_with_role("sales_manager", team=team)
    colleague = user_with_role("sales_manager", team=team)
    task = make_activity(owner=owner)

    for call in (
        lambda: services.activity_update(actor=colleague, activity=task, fields={"subject": "x"}),
        lambda: services.activity_complete(actor=colleague, activity=task),
        lambda: services.activity_delete(actor=colleague, activity=task),
    ):
        with pytest.raises(PermissionDenied):
            call()

    task.refresh_from_db()
    assert (task.subject, task.is_done, task.version) == ("task subject", False, 1)


def test_complete_and_reopen_a_task():
    manager = user_with_role("sales_manager")
    task = make_activity(owner=manager)

    done = services.activity_complete(actor=manager, activity=task)
    assert done.is_done is True and done.done_at is not None and done.version == 2
    reopened = services.activity_reopen(actor=manager, activity=done)
    assert reopened.is_done is False and reopened.done_at is None and reopened.version == 3


def test_a_call_cannot_be_marked_done():
    manager = user_with_role("sales_manager")
    call = make_activity(owner=manager, kind="call")

    with pytest.raises(ValidationError) as info:
        services.activity_complete(actor=manager, activity=call)

    assert "is_done" in info.value.message_dict


def test_delete_writes_audit_on_the_company():
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager)
    note = make_activity(owner=manager, kind="note", company=company)
    pk = note.pk

    services.activity_delete(actor=manager, activity=note)

    assert not Activity.objects.filter(pk=pk).exists()
    entry = AuditEntry.objects.get(object_type="activity", object_id=pk, action="delete")
    assert entry.related_id == company.pk


def test_reassign_moves_open_tasks_and_meetings_only():
    boss = user_with_role("head_of_sales")
    leaving = user_with_role("sales_manager")
    successor = user_with_role("sales_manager")
    company = make_company(owner=leaving)
    other_company = make_company(owner=leaving)
    open_task = make_activity(owner=leaving, company=company)
    open_meeting = make_activity(owner=leaving, kind="meeting", company=company)
    done_task = make_activity(owner=leaving, company=company)
    services.activity_complete(actor=leaving, activity=done_task)
    call = make_activity(owner=leaving, kind="call", company=company)
    elsewhere = make_activity(owner=leaving, company=other_company)

    result = clients_reassign(
        actor=boss, from_user=leaving, to_user=successor, company_ids=[company.pk]
    )

    assert result.related == {"activities": 2}
    owners = dict(Activity.objects.values_list("pk", "owner_id"))
    assert owners == {
        open_task.pk: successor.pk,
        open_meeting.pk: successor.pk,
        done_task.pk: leaving.pk,
        call.pk: leaving.pk,
        elsewhere.pk: leaving.pk,
    }
    entries = AuditEntry.objects.filter(object_type="activity", action="reassign")
    assert sorted(entries.values_list("object_id", flat=True)) == sorted(
        [open_task.pk, open_meeting.pk]
    )
    assert all(e.changes == {"owner_id": [leaving.pk, successor.pk]} for e in entries)


def test_visibility_owner_team_participant_and_head_of_sales():
    from accord.activities.selectors import activities_visible_to, get_activity_for

    boss = user_with_role("head_of_sales")
    owner = user_with_role("sales_manager")
    guest = user_with_role("sales_manager")
    stranger = user_with_role("sales_manager")
    meeting = make_activity(owner=owner, kind="meeting", participants=[guest])
    task = make_activity(owner=owner)

    assert set(activities_visible_to(boss)) == {meeting, task}
    assert set(activities_visible_to(owner)) == {meeting, task}
    assert list(activities_visible_to(guest)) == [meeting]
    assert list(activities_visible_to(stranger)) == []
    assert list(activities_visible_to(guest, "change")) == []
    with pytest.raises(Http404):
        get_activity_for(stranger, meeting.pk)
    with pytest.raises(Http404):
        get_activity_for(guest, meeting.pk, "change")
