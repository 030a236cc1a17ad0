"""The case pages: list with filters, new case, the case page and its actions, the card panel
and the category administration; permissions (404 hidden, 403 not changeable) and query
budgets."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accord.core.models import Notification
from accord.core.testing import assert_num_queries, user_with_role
from accord.parties.tests.factories import make_company, make_contact
from accord.service import services
from accord.service.models import Case, CaseAttachment, CaseMessage, Category
from accord.service.tests.test_cases_helpers import make_case, make_desk

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user)
    return client


# --- list ----------------------------------------------------------------------------------


def test_case_list_filters_and_searches_by_reference_and_subject(client):
    desk = make_desk()
    mine = make_case(desk, subject="Pump P-12 leaks")
    unassigned = make_case(desk, subject="Drawings for block B", owner=None)
    resolved = make_case(desk, subject="Invoice copy")
    services.change_status(actor=desk.agent, case=resolved, status="resolved", reason="Sent")
    _login(client, desk.agent)
    url = reverse("service:case_list")

    def refs(**params):
        body = client.get(url, params).content.decode()
        return [c.reference for c in (mine, unassigned, resolved) if f">{c.reference}<" in body]

    assert refs() == [mine.reference, unassigned.reference, resolved.reference]
    assert refs(status="open") == [mine.reference, unassigned.reference]
    assert refs(status="open", assigned="mine") == [mine.reference]
    assert refs(assigned="unassigned") == [unassigned.reference]
    assert refs(search=unassigned.reference) == [unassigned.reference]
    assert refs(search=str(resolved.pk)) == [resolved.reference]
    assert refs(search="drawings") == [unassigned.reference]
    assert refs(company=str(desk.company.pk), status="resolved") == [resolved.reference]


def test_case_list_costs_the_same_queries_for_3_and_for_13_cases(client):
    desk = make_desk()
    for index in range(3):
        make_case(desk, subject=f"Case {index}")
    _login(client, desk.agent)
    url = reverse("service:case_list")
    client.get(url)  # warm caches (content types, sessions)
    with assert_num_queries(9) as first:
        assert client.get(url).status_code == 200
    for index in range(10):
        make_case(desk, subject=f"More {index}", owner=None)
    with assert_num_queries(len(first.captured_queries)):
        assert client.get(url).status_code == 200


def test_case_list_hides_what_the_user_may_not_see():
    from django.test import Client

    desk = make_desk()
    make_case(desk, subject="Secret pump")
    seller = user_with_role("sales_manager")
    client = _login(Client(), seller)

    response = client.get(reverse("service:case_list"))

    assert "Secret pump" not in response.content.decode()


def test_case_export_is_formula_safe(client):
    desk = make_desk()
    make_case(desk, subject='=HYPERLINK("http://evil")')
    _login(client, desk.agent)

    response = client.get(reverse("service:case_export"), {"format": "csv"})

    body = b"".join(response.streaming_content if response.streaming else [response.content])
    text = body.decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert "Subject" in text.splitlines()[0]


# --- new case --------------------------------------------------------------------------------


def test_new_case_from_the_card_action_with_the_clients_contacts_only(client):
    desk = make_desk()
    other = make_company(owner=desk.manager, name="Other client")
    stranger = make_contact(owner=desk.manager, company=other, last_name="Stranger")
    _login(client, desk.agent)
    url = reverse("service:case_create") + f"?company={desk.company.pk}"

    page = client.get(url).content.decode()
    assert "Petrova" in page and "Stranger" not in page

    response = client.post(
        url,
        {
            "subject": "No heating in block C",
            "company": desk.company.pk,
            "contact": desk.contact.pk,
            "channel": "phone",
            "priority": "high",
            "assign_to_me": "on",
            "queue": desk.queue.pk,
        },
    )

    case = Case.objects.get(subject="No heating in block C")
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    assert (case.company, case.contact, case.priority, case.owner) == (
        desk.company,
        desk.contact,
        "high",
        desk.agent,
    )
    assert stranger.pk != case.contact_id


def test_new_case_shows_the_services_errors_next_to_the_fields_and_saves_nothing(client):
    desk = make_desk()
    other = make_company(owner=desk.manager, name="Other client")
    stranger = make_contact(owner=desk.manager, company=other)
    _login(client, desk.agent)

    response = client.post(
        reverse("service:case_create"),
        {
            "subject": "x",
            "company": desk.company.pk,
            "contact": stranger.pk,
            "channel": "phone",
            "priority": "normal",
        },
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()  # not among the client's
    assert not Case.objects.exists()


def test_new_case_client_search_and_client_fields_fragments(client):
    desk = make_desk()
    _login(client, desk.agent)

    found = client.get(reverse("service:case_company_search"), {"company_q": "Uralpro"})
    fields = client.get(reverse("service:case_client_fields"), {"company": desk.company.pk})

    assert "Uralproekt" in found.content.decode()
    assert "Petrova" in fields.content.decode()


def test_new_case_is_forbidden_without_the_add_permission(client):
    _login(client, user_with_role("field_engineer"))

    assert client.get(reverse("service:case_create")).status_code == 403


def test_serial_number_field_asks_for_coverage_when_that_page_exists(client):
    desk = make_desk()
    _login(client, desk.agent)

    page = client.get(reverse("service:case_create")).content.decode()

    from django.urls import NoReverseMatch

    try:
        coverage = reverse("contracts:coverage_check")
    except NoReverseMatch:
        assert 'hx-get="" ' not in page
    else:
        assert f'hx-get="{coverage}"' in page


# --- the case page ---------------------------------------------------------------------------


def test_case_page_shows_notes_apart_and_only_the_legal_moves(client):
    desk = make_desk()
    case = make_case(desk)
    services.add_message(actor=desk.agent, case=case, kind="note", body_text="Call him back")
    _login(client, desk.agent)

    page = client.get(case.get_absolute_url()).content.decode()

    assert "Internal note — the client does not see it" in page
    assert 'class="case-msg kind-note"' in page
    assert 'name="status" value="in_progress"' in page
    assert 'name="status" value="waiting"' in page
    assert 'name="status" value="new"' not in page
    assert "anna@uralproekt.example" in page


def test_case_page_costs_a_fixed_number_of_queries(client):
    desk = make_desk()
    case = make_case(desk)
    services.add_message(actor=desk.agent, case=case, kind="note", body_text="One")
    _login(client, desk.agent)
    client.get(case.get_absolute_url())
    with assert_num_queries(16) as first:
        assert client.get(case.get_absolute_url()).status_code == 200
    for index in range(5):
        services.add_message(
            actor=desk.agent,
            case=case,
            kind="reply",
            body_text=f"Reply {index}",
            attachments=[(f"f{index}.txt", b"x", "text/plain")],
            send=False,
        )
        services.change_status(
            actor=desk.agent,
            case=Case.objects.get(pk=case.pk),
            status="waiting" if index % 2 == 0 else "in_progress",
        )
    with assert_num_queries(len(first.captured_queries)):
        assert client.get(case.get_absolute_url()).status_code == 200


def test_a_hidden_case_is_404_and_a_visible_but_unchangeable_one_403(client):
    desk = make_desk()
    case = make_case(desk)
    seller = user_with_role("sales_manager")
    outsider = user_with_role("service_agent")  # sees every case, changes its team's

    _login(client, seller)
    assert client.get(case.get_absolute_url()).status_code == 404
    assert (
        client.post(
            reverse("service:case_status", args=[case.pk]), {"status": "waiting"}
        ).status_code
        == 404
    )
    _login(client, outsider)
    assert client.get(case.get_absolute_url()).status_code == 200
    assert (
        client.post(
            reverse("service:case_status", args=[case.pk]), {"status": "waiting"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("service:case_message", args=[case.pk]), {"kind": "note", "body_text": "x"}
        ).status_code
        == 403
    )
    assert client.get(reverse("service:case_edit", args=[case.pk])).status_code == 403
    case.refresh_from_db()
    assert case.status == "new" and not CaseMessage.objects.filter(case=case).exists()


def test_reply_from_the_page_then_resolve_with_it(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    desk = make_desk()
    case = make_case(desk)
    _login(client, desk.agent)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("service:case_message", args=[case.pk]),
            {"kind": "reply", "body_text": "Replaced the gasket.", "then_status": "resolved"},
        )

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "resolved"
    assert case.events.filter(kind="status", to_value="resolved").get().reason == (
        "Replaced the gasket."
    )
    replies = [m for m in mailoutbox if "Replaced the gasket." in m.body]
    assert [m.to for m in replies] == [["anna@uralproekt.example"]]


def test_resolving_without_a_note_on_the_page_shows_the_error(client):
    desk = make_desk()
    case = make_case(desk)
    _login(client, desk.agent)

    response = client.post(
        reverse("service:case_status", args=[case.pk]), {"status": "resolved", "reason": ""}
    )

    assert response.status_code == 422
    assert "Describe how the case was resolved." in response.content.decode()
    case.refresh_from_db()
    assert case.status == "new"


def test_an_illegal_move_on_the_page_names_both_states(client):
    desk = make_desk()
    case = make_case(desk)
    services.change_status(actor=desk.agent, case=case, status="in_progress")
    _login(client, desk.agent)

    response = client.post(reverse("service:case_status", args=[case.pk]), {"status": "new"})

    assert response.status_code == 422
    assert "A case cannot go from “In progress” to “New”." in response.content.decode()


def test_files_on_a_note_are_downloaded_only_by_who_sees_the_case(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    desk = make_desk()
    case = make_case(desk)
    _login(client, desk.agent)
    client.post(
        reverse("service:case_message", args=[case.pk]),
        {
            "kind": "note",
            "body_text": "Photo of the leak",
            "attachments": [SimpleUploadedFile("leak.jpg", b"jpeg-bytes", "image/jpeg")],
        },
    )
    attachment = CaseAttachment.objects.get()
    url = reverse("service:case_attachment", args=[attachment.pk])

    response = client.get(url)
    assert b"".join(response.streaming_content) == b"jpeg-bytes"
    assert response["Content-Disposition"].startswith("attachment")
    _login(client, user_with_role("sales_manager"))
    assert client.get(url).status_code == 404


def test_hand_over_from_the_page_needs_a_reason_and_notifies(client):
    desk = make_desk()
    case = make_case(desk)
    _login(client, desk.agent)
    url = reverse("service:case_assign", args=[case.pk])

    response = client.post(url, {"owner": desk.colleague.pk, "reason": ""})
    assert response.status_code == 422
    assert "Say why you hand the case over." in response.content.decode()

    response = client.post(url, {"owner": desk.colleague.pk, "reason": "Holiday"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.owner == desk.colleague
    assert Notification.objects.filter(user=desk.colleague).count() == 1


def test_take_an_unassigned_case_in_one_tap(client):
    desk = make_desk()
    case = make_case(desk, owner=None)
    _login(client, desk.colleague)

    page = client.get(case.get_absolute_url()).content.decode()
    assert "Take this case" in page
    client.post(reverse("service:case_assign", args=[case.pk]), {"take": "1"})

    case.refresh_from_db()
    assert case.owner == desk.colleague


def test_merge_from_the_page_by_checkbox_and_by_reference(client):
    desk = make_desk()
    primary = make_case(desk)
    first = make_case(desk, subject="Same leak")
    second = make_case(desk, subject="Same leak again")
    _login(client, desk.agent)
    url = reverse("service:case_merge", args=[primary.pk])

    page = client.get(primary.get_absolute_url()).content.decode()
    assert f'name="duplicate_ids" value="{first.pk}"' in page
    assert client.post(url, {"duplicate_ids": [first.pk]}).status_code == 302
    assert client.post(url, {"duplicates": f"cs-{second.pk}"}).status_code == 302
    response = client.post(url, {"duplicates": "CS-999999"})
    assert response.status_code == 422
    assert "No such case: CS-999999." in response.content.decode()
    response = client.post(url, {"duplicates": f"CS-{primary.pk}"})
    assert "A case cannot be merged into itself." in response.content.decode()

    assert set(Case.objects.filter(merged_into=primary).values_list("pk", flat=True)) == {
        first.pk,
        second.pk,
    }


def test_edit_refuses_a_stale_version(client):
    desk = make_desk()
    case = make_case(desk)
    _login(client, desk.agent)
    services.update_case(actor=desk.colleague, case=case, version=1, subject="Changed meanwhile")

    response = client.post(
        reverse("service:case_edit", args=[case.pk]),
        {
            "subject": "My edit",
            "company": desk.company.pk,
            "channel": "phone",
            "priority": "normal",
            "version": 1,
        },
    )

    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    case.refresh_from_db()
    assert case.subject == "Changed meanwhile"


# --- card panel ------------------------------------------------------------------------------


def test_company_card_panel_lists_open_cases_first_then_recent(client):
    desk = make_desk()
    done = make_case(desk, subject="Old question")
    services.change_status(actor=desk.agent, case=done, status="resolved", reason="Answered")
    make_case(desk, subject="Open leak")
    _login(client, desk.agent)

    body = client.get(reverse("service:company_cases", args=[desk.company.pk])).content.decode()

    assert body.index("Open leak") < body.index("Old question")
    assert f"?company={desk.company.pk}" in body
    card = client.get(desk.company.get_absolute_url()).content.decode()
    assert reverse("service:company_cases", args=[desk.company.pk]) in card
    assert reverse("service:case_create") + f"?company={desk.company.pk}" in card


def test_contact_cases_fragment(client):
    desk = make_desk()
    make_case(desk, subject="Her leak")
    _login(client, desk.agent)

    body = client.get(reverse("service:contact_cases", args=[desk.contact.pk])).content.decode()

    assert "Her leak" in body


# --- categories ------------------------------------------------------------------------------


def test_categories_page_is_for_administrators_and_the_head_of_service(client):
    desk = make_desk()
    url = reverse("service:category_admin")

    _login(client, desk.agent)
    assert client.get(url).status_code == 403
    _login(client, desk.manager)
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "Spare parts", "name_ru": "Запчасти", "is_active": "on"})
    assert response.status_code == 302
    category = Category.objects.get(code="spare-parts")
    response = client.post(
        reverse("service:category_edit", args=[category.pk]),
        {"name": "Spare parts", "name_ru": "Запасные части"},
    )
    category.refresh_from_db()
    assert (category.name_ru, category.is_active) == ("Запасные части", False)


def test_anonymous_visitors_are_sent_to_sign_in(client):
    desk = make_desk()
    case = make_case(desk)

    for url in (
        reverse("service:case_list"),
        reverse("service:case_create"),
        case.get_absolute_url(),
        reverse("service:company_cases", args=[desk.company.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.get("/api/cases").status_code == 401
    response = client.post(reverse("service:case_status", args=[case.pk]), {"status": "waiting"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "new"
