"""The case services: opening, the status machine, messages, hand-over, edits and merging."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accord.core.errors import ConflictError
from accord.core.models import AuditEntry, Notification
from accord.core.testing import user_with_role
from accord.parties.tests.factories import make_company, make_contact
from accord.service import services, signals
from accord.service.models import Case, CaseAttachment, CaseEvent, CaseMessage, Category
from accord.service.tests.test_cases_helpers import make_case, make_desk

pytestmark = pytest.mark.django_db

S = Case.Status


def _events(case: Case) -> list[tuple[str, str, str]]:
    return list(
        CaseEvent.objects.filter(case=case)
        .order_by("id")
        .values_list("kind", "from_value", "to_value")
    )


# --- opening -------------------------------------------------------------------------------


def test_open_case_saves_records_the_event_audits_and_sends_both_signals_in_order():
    desk = make_desk()
    seen: list[str] = []

    def opening(sender, case, actor, **kwargs):
        seen.append(f"opening {case.pk} {actor.pk}")

    def opened(sender, case, actor, **kwargs):
        seen.append(f"opened {case.pk}")

    signals.case_opening.connect(opening)
    signals.case_opened.connect(opened)
    try:
        case = make_case(desk, channel=Case.Channel.PHONE, serial_number=" SN-001 ")
    finally:
        signals.case_opening.disconnect(opening)
        signals.case_opened.disconnect(opened)

    assert seen == [f"opening {case.pk} {desk.agent.pk}", f"opened {case.pk}"]
    assert case.status == S.NEW
    assert case.reference == f"CS-{case.pk}"
    assert case.serial_number == "SN-001"
    assert case.team == desk.team
    assert case.created_by == desk.agent
    assert _events(case) == [("created", "", "Phone"), ("assigned", "", "Olga Ivanova")]
    entry = AuditEntry.objects.get(object_type="case", object_id=case.pk)
    assert entry.action == AuditEntry.Kind.CREATE  # queue and agent given: routing keeps them
    assert entry.changes["subject"] == [None, "Pump P-12 leaks"]
    assert entry.related_id == desk.company.pk
    assert not CaseMessage.objects.filter(case=case).exists()  # a phone call has no message


def test_open_case_from_email_makes_the_first_inbound_message_with_sanitised_html_and_files():
    desk = make_desk()

    case = services.open_case(
        actor=None,
        subject="Drawings missing",
        description="Please send the drawings.",
        body_html='<p onclick="x()">Please <b>send</b></p><script>alert(1)</script>',
        channel=Case.Channel.EMAIL,
        requester_email="boss@client.example",
        message_id="<abc@client.example>",
        attachments=[("photo.jpg", b"\xff\xd8data", "image/jpeg")],
    )

    message = CaseMessage.objects.get(case=case)
    assert message.kind == CaseMessage.Kind.INBOUND
    assert message.from_address == "boss@client.example"
    assert message.message_id == "<abc@client.example>"
    assert "script" not in message.body_html and "onclick" not in message.body_html
    assert "<b>send</b>" in message.body_html
    attachment = CaseAttachment.objects.get(message=message)
    assert (attachment.name, attachment.size, attachment.content_type) == (
        "photo.jpg",
        6,
        "image/jpeg",
    )
    assert case.last_message_at is not None
    created = AuditEntry.objects.get(object_type="case", object_id=case.pk, action="create")
    assert (created.source, created.actor) == ("system", None)
    assert desk.queue != case.queue  # routed by the rules (the default queue), not by us


def test_open_case_reports_every_bad_field_and_saves_nothing():
    desk = make_desk()
    other = make_company(owner=desk.manager, name="Other client")
    stranger = make_contact(owner=desk.manager, company=other)
    inactive = Category.objects.create(code="old", name="Old", is_active=False)

    with pytest.raises(ValidationError) as error:
        services.open_case(
            actor=desk.agent,
            subject="  ",
            company=desk.company,
            contact=stranger,
            category=inactive,
            priority="whenever",
            channel="pigeon",
            requester_email="not-an-address",
        )

    assert set(error.value.message_dict) == {
        "subject",
        "contact",
        "category",
        "priority",
        "channel",
    }
    assert error.value.message_dict["contact"] == ["This person is not a contact of the client."]
    assert not Case.objects.exists()


def test_open_case_refuses_a_bad_requester_email_and_an_agent_outside_the_queue_team():
    desk = make_desk()
    outsider = user_with_role("service_agent", first_name="Out", last_name="Sider")

    with pytest.raises(ValidationError) as error:
        make_case(desk, requester_email="nope")
    assert "requester_email" in error.value.message_dict

    with pytest.raises(ValidationError) as error:
        make_case(desk, owner=outsider)
    assert error.value.message_dict == {
        "owner": ["Out Sider is not in the team of the queue “Line A”."]
    }
    assert not Case.objects.exists()


def test_open_case_needs_the_add_permission_and_leaves_nothing():
    desk = make_desk()
    engineer = user_with_role("field_engineer")

    with pytest.raises(PermissionDenied):
        make_case(desk, actor=engineer, owner=None)
    assert not Case.objects.exists()
    assert not AuditEntry.objects.filter(object_type="case").exists()


def test_open_case_takes_the_client_from_the_contact_when_none_given():
    desk = make_desk()

    case = make_case(desk, company=None)

    assert case.company == desk.company


def test_open_case_refuses_a_project_of_another_client():
    from accord.projects.services import project_create

    desk = make_desk()
    other = make_company(owner=desk.manager, name="Other client")
    admin = user_with_role("administrator")
    project = project_create(actor=admin, company=other, name="Other's project")

    with pytest.raises(ValidationError) as error:
        make_case(desk, project=project)

    assert error.value.message_dict == {"project": ["This belongs to another client."]}
    assert not Case.objects.exists()


def test_attachment_over_the_limit_is_refused_with_its_name_and_the_limit(settings):
    settings.ACCORD_CASE_MAX_ATTACHMENT_MB = 1
    desk = make_desk()
    big = b"x" * (1024 * 1024 + 1)

    with pytest.raises(ValidationError) as error:
        make_case(desk, attachments=[("scan.pdf", big, "application/pdf")])

    assert error.value.message_dict == {
        "attachments": ["The file “scan.pdf” is 1.0 MB; a case accepts files up to 1 MB."]
    }
    assert not Case.objects.exists()


# --- status machine ----------------------------------------------------------------------


def test_the_status_machine_records_each_move_with_event_audit_and_signal():
    desk = make_desk()
    case = make_case(desk)
    moves: list[tuple[str, str]] = []

    def changed(sender, case, old, new, actor, **kwargs):
        moves.append((old, new))

    signals.case_status_changed.connect(changed)
    try:
        case = services.change_status(actor=desk.agent, case=case, status=S.IN_PROGRESS)
        case = services.change_status(actor=desk.agent, case=case, status=S.WAITING)
        case = services.change_status(actor=desk.agent, case=case, status=S.IN_PROGRESS)
        case = services.change_status(
            actor=desk.agent, case=case, status=S.RESOLVED, reason="Gasket replaced"
        )
        case = services.change_status(actor=desk.agent, case=case, status=S.CLOSED)
    finally:
        signals.case_status_changed.disconnect(changed)

    assert moves == [
        ("new", "in_progress"),
        ("in_progress", "waiting"),
        ("waiting", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "closed"),
    ]
    assert case.status == S.CLOSED
    assert case.resolved_at is not None and case.closed_at is not None
    assert case.version == 6
    resolved = CaseEvent.objects.get(case=case, to_value="resolved")
    assert resolved.reason == "Gasket replaced"
    assert (
        AuditEntry.objects.filter(object_type="case", object_id=case.pk, action="change").count()
        == 5
    )


def test_an_illegal_move_is_refused_naming_both_states_and_changes_nothing():
    desk = make_desk()
    case = make_case(desk)
    case = services.change_status(actor=desk.agent, case=case, status=S.IN_PROGRESS)

    with pytest.raises(ValidationError) as error:
        services.change_status(actor=desk.agent, case=case, status=S.NEW)

    assert error.value.message_dict == {"status": ["A case cannot go from “In progress” to “New”."]}
    case.refresh_from_db()
    assert case.status == S.IN_PROGRESS and case.version == 2
    assert CaseEvent.objects.filter(case=case, kind="status").count() == 1


def test_unknown_and_same_status_are_refused():
    desk = make_desk()
    case = make_case(desk)

    with pytest.raises(ValidationError) as error:
        services.change_status(actor=desk.agent, case=case, status="done")
    assert error.value.message_dict == {"status": ["Unknown status “done”."]}
    with pytest.raises(ValidationError) as error:
        services.change_status(actor=desk.agent, case=case, status=S.NEW)
    assert error.value.message_dict == {"status": ["The case is already “New”."]}


def test_resolving_needs_a_resolution_note_and_closing_an_open_case_a_reason():
    desk = make_desk()
    case = make_case(desk)

    with pytest.raises(ValidationError) as error:
        services.change_status(actor=desk.agent, case=case, status=S.RESOLVED, reason="  ")
    assert error.value.message_dict == {"reason": ["Describe how the case was resolved."]}
    with pytest.raises(ValidationError) as error:
        services.change_status(actor=desk.agent, case=case, status=S.CLOSED)
    assert error.value.message_dict == {
        "reason": ["Say why the case is closed without being resolved."]
    }
    case.refresh_from_db()
    assert case.status == S.NEW


def test_reopen_counts_and_clears_the_resolution_times():
    desk = make_desk()
    case = make_case(desk)
    case = services.change_status(actor=desk.agent, case=case, status=S.RESOLVED, reason="Done")
    case = services.change_status(actor=desk.agent, case=case, status=S.IN_PROGRESS)
    case = services.change_status(actor=desk.agent, case=case, status=S.RESOLVED, reason="Again")
    case = services.change_status(actor=desk.agent, case=case, status=S.CLOSED)
    case = services.change_status(actor=desk.agent, case=case, status=S.IN_PROGRESS)

    assert case.reopened_count == 2
    assert case.resolved_at is None and case.closed_at is None


def test_a_case_closed_longer_than_the_window_cannot_be_reopened(settings):
    settings.ACCORD_CASE_REOPEN_DAYS = 30
    desk = make_desk()
    case = make_case(desk)
    case = services.change_status(actor=desk.agent, case=case, status=S.RESOLVED, reason="Done")
    case = services.change_status(actor=desk.agent, case=case, status=S.CLOSED)
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - datetime.timedelta(days=31))
    case.refresh_from_db()

    assert services.legal_moves(case) == []
    with pytest.raises(ValidationError) as error:
        services.change_status(actor=desk.agent, case=case, status=S.IN_PROGRESS)
    assert error.value.message_dict == {
        "status": [
            "This case was closed more than 30 days ago and cannot be reopened: "
            "open a new case instead."
        ]
    }


def test_change_status_needs_the_change_permission():
    desk = make_desk()
    case = make_case(desk)
    outsider = user_with_role("service_agent")  # sees all cases, changes only its team's

    with pytest.raises(PermissionDenied):
        services.change_status(actor=outsider, case=case, status=S.IN_PROGRESS)
    case.refresh_from_db()
    assert case.status == S.NEW


# --- messages ----------------------------------------------------------------------------


def test_a_reply_sets_the_first_response_moves_a_new_case_and_goes_to_the_contact(
    mailoutbox, django_capture_on_commit_callbacks
):
    desk = make_desk(queue_email="support@bureau.example")
    case = make_case(desk)
    received: list[str] = []

    def added(sender, message, actor, **kwargs):
        received.append(message.kind)

    signals.case_message_added.connect(added)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            message = services.add_message(
                actor=desk.agent,
                case=case,
                kind=CaseMessage.Kind.REPLY,
                body_text="We are sending an engineer tomorrow.",
            )
    finally:
        signals.case_message_added.disconnect(added)

    case.refresh_from_db()
    assert received == ["reply"]
    assert case.first_responded_at == message.created_at or case.first_responded_at is not None
    assert case.status == S.IN_PROGRESS
    assert message.to_addresses == "anna@uralproekt.example"
    assert message.subject == f"[CS-{case.pk}] Pump P-12 leaks"
    assert message.message_id.startswith("<") and message.message_id.endswith("@bureau.example>")
    assert len(mailoutbox) == 1
    sent = mailoutbox[0]
    assert sent.subject == f"[CS-{case.pk}] Pump P-12 leaks"
    assert sent.to == ["anna@uralproekt.example"]
    assert sent.from_email == "support@bureau.example"
    assert sent.extra_headers["Message-ID"] == message.message_id


def test_a_second_reply_keeps_the_first_response_time():
    desk = make_desk()
    case = make_case(desk)
    services.add_message(actor=desk.agent, case=case, kind="reply", body_text="First", send=False)
    case.refresh_from_db()
    first = case.first_responded_at

    services.add_message(actor=desk.agent, case=case, kind="reply", body_text="Second", send=False)

    case.refresh_from_db()
    assert case.first_responded_at == first


def test_an_internal_note_is_never_sent_and_does_not_count_as_a_response(
    mailoutbox, django_capture_on_commit_callbacks
):
    desk = make_desk()
    case = make_case(desk)

    with django_capture_on_commit_callbacks(execute=True):
        note = services.add_message(
            actor=desk.agent, case=case, kind="note", body_text="Client is difficult"
        )

    case.refresh_from_db()
    assert note.kind == "note" and note.author == desk.agent
    assert mailoutbox == []
    assert case.first_responded_at is None and case.last_message_at is None
    assert case.status == S.NEW


def test_a_reply_without_any_address_is_refused_and_nothing_is_stored():
    desk = make_desk()
    contact = make_contact(owner=desk.manager, company=desk.company)  # no e-mail
    case = make_case(desk, contact=contact)

    with pytest.raises(ValidationError) as error:
        services.add_message(actor=desk.agent, case=case, kind="reply", body_text="Hello")

    assert list(error.value.message_dict) == ["to_addresses"]
    assert not CaseMessage.objects.filter(case=case).exists()


def test_bad_message_input_is_refused():
    desk = make_desk()
    case = make_case(desk)

    with pytest.raises(ValidationError) as error:
        services.add_message(actor=desk.agent, case=case, kind="note", body_text="   ")
    assert error.value.message_dict == {"body_text": ["Write a message."]}
    with pytest.raises(ValidationError) as error:
        services.add_message(actor=desk.agent, case=case, kind="memo", body_text="x")
    assert list(error.value.message_dict) == ["kind"]
    with pytest.raises(ValidationError) as error:
        services.add_message(
            actor=desk.agent, case=case, kind="reply", body_text="x", to_addresses="a@, b"
        )
    assert list(error.value.message_dict) == ["to_addresses"]
    assert not CaseMessage.objects.filter(case=case).exists()


def test_inbound_moves_a_waiting_case_back_to_work_and_reopens_a_resolved_one():
    desk = make_desk()
    case = make_case(desk)
    case = services.change_status(actor=desk.agent, case=case, status=S.WAITING)

    services.add_message(actor=None, case=case, kind="inbound", body_text="Here are the photos")
    case.refresh_from_db()
    assert case.status == S.IN_PROGRESS and case.reopened_count == 0

    case = services.change_status(actor=desk.agent, case=case, status=S.RESOLVED, reason="Ok")
    services.add_message(actor=None, case=case, kind="inbound", body_text="Still leaking")
    case.refresh_from_db()
    assert case.status == S.IN_PROGRESS and case.reopened_count == 1


def test_inbound_on_a_case_closed_long_ago_opens_a_linked_follow_up(settings):
    settings.ACCORD_CASE_REOPEN_DAYS = 30
    desk = make_desk()
    case = make_case(desk)
    case = services.change_status(actor=desk.agent, case=case, status=S.RESOLVED, reason="Done")
    case = services.change_status(actor=desk.agent, case=case, status=S.CLOSED)
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - datetime.timedelta(days=40))

    message = services.add_message(
        actor=None,
        case=case,
        kind="inbound",
        body_text="The pump leaks again",
        from_address="anna@uralproekt.example",
        message_id="<again@uralproekt.example>",
    )

    follow_up = message.case
    assert follow_up.pk != case.pk
    assert follow_up.follow_up_of == case
    assert follow_up.company == desk.company and follow_up.contact == desk.contact
    assert message.body_text == "The pump leaks again"
    assert message.message_id == "<again@uralproekt.example>"
    created = CaseEvent.objects.get(case=follow_up, kind="created")
    assert created.from_value == case.reference
    case.refresh_from_db()
    assert case.status == S.CLOSED and case.reopened_count == 0


# --- hand-over -----------------------------------------------------------------------------


def test_taking_an_unassigned_case_needs_no_reason():
    desk = make_desk()
    case = make_case(desk, owner=None)

    case = services.assign(actor=desk.agent, case=case, owner=desk.agent)

    assert case.owner == desk.agent
    assert _events(case)[-1] == ("assigned", "Line A", "Line A · Olga Ivanova")


def test_hand_over_needs_a_reason_records_it_and_notifies_the_new_agent():
    desk = make_desk()
    case = make_case(desk)

    with pytest.raises(ValidationError) as error:
        services.assign(actor=desk.agent, case=case, owner=desk.colleague)
    assert error.value.message_dict == {"reason": ["Say why you hand the case over."]}
    assert not Notification.objects.filter(user=desk.colleague).exists()

    case = services.assign(
        actor=desk.agent, case=case, owner=desk.colleague, reason="I am on leave"
    )

    assert case.owner == desk.colleague
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert (event.kind, event.from_value, event.to_value, event.reason) == (
        "handover",
        "Line A · Olga Ivanova",
        "Line A · Pavel Smirnov",
        "I am on leave",
    )
    notification = Notification.objects.get(user=desk.colleague)
    assert notification.text == (
        f"Olga Ivanova handed CS-{case.pk} “Pump P-12 leaks” over to you: I am on leave"
    )
    assert notification.url == f"/cases/{case.pk}/"
    entry = AuditEntry.objects.filter(object_type="case", object_id=case.pk).latest("id")
    assert entry.changes == {"owner": [desk.agent.pk, desk.colleague.pk]}


def test_hand_over_to_another_queue_moves_the_team_and_drops_an_agent_outside_it():
    from accord.core.models import Team
    from accord.service.models import Queue

    desk = make_desk()
    case = make_case(desk)
    engineers = Team.objects.create(name="Engineers")
    queue = Queue.objects.create(name="Second line", team=engineers, method="manual")

    case = services.assign(actor=desk.agent, case=case, queue=queue, reason="Needs an engineer")

    assert (case.queue, case.team, case.owner) == (queue, engineers, None)


def test_hand_over_refuses_no_change_an_outsider_and_a_user_without_the_right():
    desk = make_desk()
    case = make_case(desk)
    outsider = user_with_role("service_agent", first_name="Out", last_name="Sider")

    with pytest.raises(ValidationError) as error:
        services.assign(actor=desk.agent, case=case, owner=desk.agent, reason="x")
    assert error.value.message_dict == {"owner": ["The case already has this agent and queue."]}
    with pytest.raises(ValidationError) as error:
        services.assign(actor=desk.agent, case=case, owner=outsider, reason="x")
    assert list(error.value.message_dict) == ["owner"]
    with pytest.raises(PermissionDenied):
        services.assign(actor=outsider, case=case, owner=outsider, reason="mine now")
    case.refresh_from_db()
    assert case.owner == desk.agent and case.version == 1


# --- edit ----------------------------------------------------------------------------------


def test_update_case_changes_facts_records_priority_and_refuses_a_stale_version():
    desk = make_desk()
    case = make_case(desk)

    updated = services.update_case(
        actor=desk.agent, case=case, version=1, priority="urgent", subject="Pump P-12 floods"
    )

    assert (updated.priority, updated.subject, updated.version) == ("urgent", "Pump P-12 floods", 2)
    assert _events(updated)[-1] == ("priority", "normal", "urgent")
    entry = AuditEntry.objects.filter(object_type="case", object_id=case.pk).latest("id")
    assert entry.changes == {
        "subject": ["Pump P-12 leaks", "Pump P-12 floods"],
        "priority": ["normal", "urgent"],
    }
    with pytest.raises(ConflictError):
        services.update_case(actor=desk.agent, case=updated, version=1, subject="Stale")
    with pytest.raises(ValidationError) as error:
        services.update_case(actor=desk.agent, case=updated, version=2, status="closed")
    assert error.value.message_dict == {"status": ["This field cannot be changed here."]}
    updated.refresh_from_db()
    assert updated.subject == "Pump P-12 floods"


def test_changing_the_client_drops_a_contact_who_does_not_belong_to_it():
    desk = make_desk()
    case = make_case(desk)
    other = make_company(owner=desk.manager, name="Other client")

    updated = services.update_case(actor=desk.agent, case=case, version=1, company=other)

    assert updated.company == other and updated.contact is None


# --- merge ---------------------------------------------------------------------------------


def test_merge_moves_messages_files_and_events_and_closes_the_duplicates():
    desk = make_desk()
    primary = make_case(desk)
    duplicate = make_case(desk, subject="Leak again", channel=Case.Channel.EMAIL, description="x")
    services.add_message(
        actor=desk.agent,
        case=duplicate,
        kind="note",
        body_text="See photo",
        attachments=[("leak.jpg", b"jpeg", "image/jpeg")],
    )

    merged = services.merge_cases(actor=desk.agent, primary=primary, duplicates=[duplicate])

    duplicate.refresh_from_db()
    assert duplicate.status == S.CLOSED and duplicate.merged_into == primary
    assert CaseMessage.objects.filter(case=primary).count() == 2
    assert CaseAttachment.objects.get().message.case == primary
    assert CaseEvent.objects.filter(case=duplicate).values_list("kind", "to_value")[::1] == [
        ("merged", primary.reference)
    ]
    assert ("merged", duplicate.reference, "") in _events(primary)
    assert merged.last_message_at is not None
    assert AuditEntry.objects.filter(
        object_type="case", object_id=duplicate.pk, changes__merged_into=[None, primary.pk]
    ).exists()


def test_merge_refuses_itself_already_merged_and_other_clients_unless_confirmed():
    desk = make_desk()
    primary = make_case(desk)
    other = make_company(owner=desk.manager, name="Other client")
    foreign = make_case(desk, company=other, contact=None)
    first = make_case(desk)
    services.merge_cases(actor=desk.agent, primary=primary, duplicates=[first])

    with pytest.raises(ValidationError) as error:
        services.merge_cases(actor=desk.agent, primary=primary, duplicates=[primary])
    assert error.value.message_dict == {"duplicates": ["A case cannot be merged into itself."]}
    with pytest.raises(ValidationError) as error:
        services.merge_cases(actor=desk.agent, primary=primary, duplicates=[first])
    assert error.value.message_dict == {"duplicates": [f"Already merged: {first.reference}."]}
    with pytest.raises(ValidationError) as error:
        services.merge_cases(actor=desk.agent, primary=primary, duplicates=[foreign])
    assert error.value.message_dict == {
        "duplicates": [
            f"{foreign.reference} belong to another client than {primary.reference}; "
            "confirm to merge them anyway."
        ]
    }
    with pytest.raises(ValidationError):
        services.merge_cases(actor=desk.agent, primary=primary, duplicates=[])
    foreign.refresh_from_db()
    assert foreign.merged_into is None and foreign.status == S.NEW

    services.merge_cases(
        actor=desk.agent, primary=primary, duplicates=[foreign], allow_different_clients=True
    )
    foreign.refresh_from_db()
    assert foreign.merged_into == primary


def test_a_merged_case_takes_no_messages_and_no_status_moves():
    desk = make_desk()
    primary = make_case(desk)
    duplicate = make_case(desk)
    services.merge_cases(actor=desk.agent, primary=primary, duplicates=[duplicate])
    duplicate.refresh_from_db()

    with pytest.raises(ValidationError):
        services.add_message(actor=desk.agent, case=duplicate, kind="note", body_text="x")
    with pytest.raises(ValidationError):
        services.change_status(actor=desk.agent, case=duplicate, status=S.IN_PROGRESS)
    assert services.legal_moves(duplicate) == []


def test_merge_needs_the_change_permission_on_every_case():
    desk = make_desk()
    primary = make_case(desk)
    duplicate = make_case(desk)
    outsider = user_with_role("service_agent")

    with pytest.raises(PermissionDenied):
        services.merge_cases(actor=outsider, primary=primary, duplicates=[duplicate])
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None


# --- categories ------------------------------------------------------------------------------


def test_categories_are_administered_in_four_languages_and_reordered():
    admin = user_with_role("administrator")
    agent = user_with_role("service_agent")

    category = services.category_save(
        actor=admin,
        fields={
            "name": "Spare parts",
            "name_ru": "Запчасти",
            "name_fr": "Pièces",
            "name_de": "Teile",
        },
    )
    assert category.code == "spare-parts"
    assert category.localized_name("ru") == "Запчасти"
    services.category_move(actor=admin, category=category, direction="up")
    codes = list(Category.objects.order_by("position", "id").values_list("code", flat=True))
    assert codes.index("spare-parts") == len(codes) - 2
    with pytest.raises(PermissionDenied):
        services.category_save(actor=agent, fields={"name": "x"}, category=category)
    with pytest.raises(ValidationError) as error:
        services.category_save(actor=admin, fields={"name": " "})
    assert error.value.message_dict == {"name": ["Enter a name."]}
