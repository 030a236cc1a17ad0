"""Filing incoming mail: new cases, replies, duplicates, machine mail, damaged mail."""

from __future__ import annotations

import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from accord.core.models import Team
from accord.core.testing import user_with_role
from accord.parties.tests.factories import make_company, make_contact
from accord.service import mailin, services
from accord.service.mailin import MailRefused, Outcome, receive_mail
from accord.service.models import Case, CaseAttachment, CaseMessage, Queue

pytestmark = pytest.mark.django_db

MAIL = Path(__file__).parent / "mail"


def fixture(name: str, case: Case | None = None) -> bytes:
    raw = (MAIL / name).read_bytes()
    if case is not None:
        raw = raw.replace(b"CS-0000", case.reference.encode())
    return raw


@pytest.fixture
def desk() -> dict[str, Any]:
    team = Team.objects.create(name="Support line")
    queue = Queue.objects.create(
        name="Support", team=team, method=Queue.Method.MANUAL, email="support@accord.test"
    )
    manager = user_with_role("service_manager", first_name="Irina", last_name="Head")
    company = make_company(owner=manager, name="StroyProekt")
    contact = make_contact(
        owner=manager,
        company=company,
        first_name="Anna",
        last_name="Petrova",
        emails=["anna.petrova@stroyproekt.ru"],
    )
    return {"team": team, "queue": queue, "company": company, "contact": contact}


def _messages(case: Case) -> list[tuple[str, str]]:
    return list(case.messages.order_by("id").values_list("kind", "body_text"))


def test_new_case_from_a_known_contact_lands_in_the_queue_of_the_address(desk):
    result = receive_mail(fixture("plain.eml"))

    assert result.outcome == Outcome.OPENED
    case = Case.objects.get()
    assert result.case == case
    assert result.describe() == f"Opened {case.reference}"
    assert case.subject == "Принтер не печатает"
    assert case.channel == Case.Channel.EMAIL
    assert case.contact == desk["contact"]
    assert case.company == desk["company"]
    assert case.requester_email == ""
    assert case.queue == desk["queue"]
    assert case.team == desk["team"]
    message = CaseMessage.objects.get()
    assert message.kind == CaseMessage.Kind.INBOUND
    assert message.case == case
    assert message.from_address == "Anna.Petrova@StroyProekt.ru"
    assert message.to_addresses == "SUPPORT@accord.test"
    assert message.subject == "Принтер не печатает"
    assert message.message_id == "<plain-1@stroyproekt.ru>"
    assert message.body_text == (
        "Добрый день!\n\nПринтер в отделе ГИП не печатает, на экране ошибка E-05.\n"
        "Серийный номер KX-2231.\n\nАнна"
    )
    assert message.body_html == ""


def test_unknown_sender_becomes_the_requester(desk):
    result = receive_mail(fixture("html_only.eml"))

    case = result.case
    assert case is not None
    assert case.contact is None
    assert case.company is None
    assert case.requester_email == "claire.martin@batiplan.fr"
    assert case.requester_name == "Claire Martin"
    assert case.queue != desk["queue"]  # sav@ is not the support queue's address
    message = case.messages.get()
    assert message.body_html == (
        "<p>Bonjour,</p>\n<p>L'imprimante du bureau d'études ne démarre plus.<br>"
        "Pouvez-vous envoyer un technicien&nbsp;?</p>\n"
        "<ul><li>Modèle : KX-40</li><li>Étage : 3</li></ul>\n"
        "<p>Cordialement,<br><b>Claire</b></p>"
    )


def test_queue_is_matched_on_to_cc_or_delivered_to_and_only_when_active(desk):
    other = Queue.objects.create(name="Sales desk", team=desk["team"], email="Sales@Accord.test")
    mail = mailin.ParsedMail(to=["x@example.com"], cc=["sales@accord.TEST"])
    assert mailin._queue_for(mail) == other
    mail = mailin.ParsedMail(delivered_to=["SUPPORT@accord.test"])
    assert mailin._queue_for(mail) == desk["queue"]
    Queue.objects.filter(pk=other.pk).update(is_active=False)
    assert mailin._queue_for(mailin.ParsedMail(to=["sales@accord.test"])) is None


def test_attachments_and_inline_images_are_stored(desk):
    result = receive_mail(fixture("alternative_attachments.eml"))

    message = result.message
    assert message is not None
    assert message.cc_addresses == "manager@example.org"
    assert list(
        CaseAttachment.objects.filter(message=message)
        .order_by("id")
        .values_list("name", "content_type", "size")
    ) == [("logo.png", "image/png", 48), ("invoice.pdf", "application/pdf", 87)]
    logo = CaseAttachment.objects.get(name="logo.png")
    assert CaseMessage.objects.get(pk=message.pk).body_html == (
        '<p>Hello,<br>the invoice is <a href="https://example.org/inv" target="_blank" '
        'rel="noopener noreferrer">attached</a>. Our logo is below.</p>'
        f'<img src="/cases/files/{logo.pk}/" alt="logo">'
    )


def test_reply_by_subject_reference_is_added_to_the_case(desk):
    case = receive_mail(fixture("plain.eml")).case
    assert case is not None

    result = receive_mail(fixture("reply_subject.eml", case))

    assert result.outcome == Outcome.ADDED
    assert result.case == case
    assert result.describe() == f"Added to {case.reference}"
    assert Case.objects.count() == 1
    assert _messages(case) == [
        (
            "inbound",
            "Добрый день!\n\nПринтер в отделе ГИП не печатает, на экране ошибка E-05.\n"
            "Серийный номер KX-2231.\n\nАнна",
        ),
        ("inbound", "Still not working after the restart."),
    ]
    reply = case.messages.order_by("id").last()
    assert reply.subject == f"AW: Re: [{case.reference}] Printer"
    assert reply.message_id == "<reply-subject-1@stroyproekt.ru>"


def test_reply_by_in_reply_to_is_added_to_the_case_whatever_the_subject(desk):
    case = receive_mail(fixture("plain.eml")).case
    assert case is not None
    services.add_message(
        actor=None,
        case=case,
        kind=CaseMessage.Kind.REPLY,
        body_text="Please restart it.",
        message_id="<case-reply-77@accord.test>",
        send=False,
    )
    services.change_status(actor=None, case=Case.objects.get(pk=case.pk), status="waiting")

    result = receive_mail(fixture("reply_in_reply_to.eml"))

    assert result.outcome == Outcome.ADDED
    assert result.case == case
    assert Case.objects.count() == 1
    assert CaseMessage.objects.filter(case=case).count() == 3
    assert result.message.in_reply_to == "<case-reply-77@accord.test>"
    assert Case.objects.get(pk=case.pk).status == Case.Status.IN_PROGRESS


def test_unknown_reference_opens_a_new_case(desk):
    result = receive_mail(fixture("reply_subject.eml").replace(b"CS-0000", b"CS-987654"))

    assert result.outcome == Outcome.OPENED
    assert Case.objects.count() == 1


def test_same_message_id_twice_makes_nothing_new(desk):
    first = receive_mail(fixture("plain.eml"))

    second = receive_mail(fixture("plain.eml"))

    assert second.outcome == Outcome.DUPLICATE
    assert second.case == first.case
    assert second.describe() == (
        f"Duplicate of a message already on {first.case.reference}; nothing added"
    )
    assert Case.objects.count() == 1
    assert CaseMessage.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "reason"), [("auto_reply.eml", "auto-reply"), ("bounce.eml", "bounce")]
)
def test_auto_replies_and_bounces_make_no_case(desk, name, reason):
    case = receive_mail(fixture("plain.eml")).case

    result = receive_mail(fixture(name, case))

    assert result.outcome == Outcome.IGNORED
    assert result.describe() == f"Ignored: {reason}"
    assert Case.objects.count() == 1
    assert CaseMessage.objects.count() == 1


def test_reply_to_a_recently_closed_case_reopens_it(desk):
    case = receive_mail(fixture("plain.eml")).case
    Case.objects.filter(pk=case.pk).update(status=Case.Status.CLOSED, closed_at=timezone.now())

    result = receive_mail(fixture("reply_subject.eml", case))

    assert result.outcome == Outcome.ADDED
    case.refresh_from_db()
    assert case.status == Case.Status.IN_PROGRESS
    assert case.reopened_count == 1


def test_reply_to_a_long_closed_case_opens_a_new_case_naming_the_old_one(desk, settings):
    settings.ACCORD_CASE_REOPEN_DAYS = 30
    old = receive_mail(fixture("plain.eml")).case
    Case.objects.filter(pk=old.pk).update(
        status=Case.Status.CLOSED, closed_at=timezone.now() - datetime.timedelta(days=40)
    )

    result = receive_mail(fixture("reply_subject.eml", old))

    assert result.outcome == Outcome.FOLLOW_UP
    new = result.case
    assert new is not None and new.pk != old.pk
    assert result.describe() == f"Opened {new.reference} (a reply to closed {old.reference})"
    assert Case.objects.get(pk=old.pk).status == Case.Status.CLOSED
    assert new.contact == desk["contact"]
    assert _messages(new) == [("inbound", "Still not working after the restart.")]
    assert new.events.get(kind="created").from_value == old.reference
    assert CaseMessage.objects.filter(case=old).count() == 1


def test_reply_to_a_merged_case_goes_to_the_case_it_was_merged_into(desk):
    primary = receive_mail(fixture("plain.eml")).case
    duplicate = receive_mail(fixture("html_only.eml")).case
    Case.objects.filter(pk=duplicate.pk).update(merged_into=primary, status=Case.Status.CLOSED)

    reply = fixture("reply_subject.eml", duplicate).replace(
        b"From: Anna Petrova <anna.petrova@stroyproekt.ru>",
        b"From: Claire Martin <claire.martin@batiplan.fr>",
    )

    result = receive_mail(reply)

    assert result.outcome == Outcome.ADDED
    assert result.case == primary
    assert CaseMessage.objects.filter(case=primary).count() == 2
    assert CaseMessage.objects.filter(case=duplicate).count() == 1


def test_damaged_mail_is_kept_with_an_internal_note(desk):
    result = receive_mail(fixture("truncated_base64.eml"))

    case = result.case
    assert _messages(case) == [
        ("inbound", "Photo of the damage attached."),
        (
            "note",
            "This e-mail arrived damaged or incomplete:\n"
            "- The message's MIME structure was broken or the message was cut off; what could "
            "be read was kept.\n"
            "- Attachment “photo.bin” was damaged in transit (bad base64); it may be incomplete.",
        ),
    ]
    assert CaseAttachment.objects.get().size == 180


def test_wrong_charset_is_noted_on_the_case(desk):
    case = receive_mail(fixture("cp1251_as_latin1.eml")).case

    assert case.subject == "Замена картриджа"
    assert _messages(case) == [
        ("inbound", "Добрый день. Просим заменить картридж в МФУ, бухгалтерия, 2 этаж."),
        (
            "note",
            "This e-mail arrived damaged or incomplete:\n"
            "- Part declared as iso-8859-1 was read as windows-1251.",
        ),
    ]


def _mail_with_attachment(size: int) -> bytes:
    message = EmailMessage()
    message["From"] = "client@example.com"
    message["To"] = "support@accord.test"
    message["Subject"] = "Scan"
    message["Message-ID"] = "<scan-1@example.com>"
    message.set_content("Scan attached.")
    message.add_attachment(b"x" * size, maintype="application", subtype="pdf", filename="scan.pdf")
    message.add_attachment(b"small", maintype="text", subtype="plain", filename="note.txt")
    return message.as_bytes()


def test_huge_attachment_is_dropped_with_a_note_naming_it(desk, settings):
    settings.ACCORD_MAIL_MAX_ATTACHMENT_MB = 1

    case = receive_mail(_mail_with_attachment(1536 * 1024)).case

    assert list(CaseAttachment.objects.values_list("name", flat=True)) == ["note.txt"]
    assert _messages(case)[1] == (
        "note",
        "This e-mail arrived damaged or incomplete:\n"
        "- Attachment “scan.pdf” (1.5 MB) was dropped: larger than the 1.0 MB limit.",
    )


def test_message_over_the_size_limit_is_refused_and_nothing_is_written(desk, settings):
    settings.ACCORD_MAIL_MAX_MESSAGE_MB = 1

    with pytest.raises(MailRefused) as refused:
        receive_mail(_mail_with_attachment(1024 * 1024))

    assert str(refused.value).startswith("The message is 1.4 MB, over the 1.0 MB limit")
    assert Case.objects.count() == 0
    assert CaseMessage.objects.count() == 0


def test_empty_message_is_refused(desk):
    with pytest.raises(MailRefused, match=r"The message is empty\."):
        receive_mail(b"  \r\n")


def test_mail_with_scripts_never_stores_a_script(desk):
    case = receive_mail(fixture("script.eml")).case
    reply = fixture("script.eml").replace(
        b"Subject: Urgent", f"Subject: Re: [{case.reference}] Urgent".encode()
    )
    reply = reply.replace(b"<script-1@evil.example>", b"<script-2@evil.example>")
    receive_mail(reply)

    stored = list(CaseMessage.objects.order_by("id").values_list("body_html", flat=True))
    assert (
        stored
        == [
            '<div>Please <a target="_blank" rel="noopener noreferrer">click here</a>.'
            "<p>Thanks</p></div>"
        ]
        * 2
    )
    for html in stored:
        assert "<script" not in html and "onerror" not in html and "javascript:" not in html


def test_a_failure_after_the_case_is_opened_leaves_nothing(desk, monkeypatch):
    def broken(case: Case, problems: list[str]) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(mailin, "_problem_note", broken)

    with pytest.raises(RuntimeError):
        receive_mail(fixture("plain.eml"))

    assert Case.objects.count() == 0
    assert CaseMessage.objects.count() == 0


def test_message_without_subject_or_text(desk):
    raw = b"From: someone@example.com\r\nTo: support@accord.test\r\nMessage-ID: <e@x>\r\n\r\n"

    case = receive_mail(raw).case

    assert case.subject == "(no subject)"
    assert _messages(case) == [("inbound", "(no text)")]


def test_message_id_lookups_use_the_partial_index():
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the query plan text is SQLite's")
    query = mailin.messages_with_ids(["<a@b>", "a@b"]).order_by("-id").values("case_id")[:1]
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " ".join(row[-1] for row in cursor.fetchall())

    assert "USING INDEX casemsg_msgid_idx" in plan


def test_an_address_on_both_a_company_and_a_person_finds_the_person(desk):
    manager = user_with_role("service_manager", first_name="Oleg", last_name="Head")
    company = make_company(owner=manager, name="Teplo", emails=["info@teplo.example"])
    person = make_contact(owner=manager, company=company, emails=["info@teplo.example"])
    other = make_company(owner=manager, name="Shared", emails=["office@shared.example"])

    assert mailin._find_sender("INFO@teplo.example") == (person, company)
    assert mailin._find_sender("office@shared.example") == (None, other)
    assert mailin._find_sender("nobody@teplo.example") == (None, None)
    assert mailin._find_sender("not an address") == (None, None)


def test_the_case_page_shows_the_sanitised_mail_and_never_its_script(desk, client):
    case = receive_mail(fixture("script.eml")).case
    client.force_login(user_with_role("service_manager", first_name="Vera", last_name="Head"))

    page = client.get(case.get_absolute_url()).content.decode()

    assert (
        '<div>Please <a target="_blank" rel="noopener noreferrer">click here</a>.'
        "<p>Thanks</p></div>"
    ) in page
    assert "evil.example/" not in page  # no frame, script or tracking URL; the sender shows
    assert "onerror" not in page
    assert "document.cookie" not in page


def test_a_mime_bomb_is_refused_and_nothing_is_written(desk):
    many = b"".join(b"--x\r\nContent-Type: text/plain\r\n\r\np\r\n" for _ in range(1500))
    raw = b'From: a@example.com\r\nContent-Type: multipart/mixed; boundary="x"\r\n\r\n' + many

    with pytest.raises(MailRefused, match="The message has 1500 parts"):
        receive_mail(raw)

    assert Case.objects.count() == 0


def _from(raw: bytes, sender: bytes) -> bytes:
    return raw.replace(b"Anna Petrova <anna.petrova@stroyproekt.ru>", sender)


def test_a_stranger_naming_a_case_in_the_subject_opens_a_new_case(desk):
    case = receive_mail(fixture("plain.eml")).case

    result = receive_mail(_from(fixture("reply_subject.eml", case), b"guess@elsewhere.example"))

    assert result.outcome == Outcome.OPENED
    assert result.case != case
    assert CaseMessage.objects.filter(case=case).count() == 1
    assert _messages(result.case) == [
        ("inbound", "Still not working after the restart."),
        (
            "note",
            f"The subject names {case.reference}, but the sender is not on that case, so this "
            "e-mail opened a new case. If it belongs there, merge the two cases.",
        ),
    ]


def test_a_colleague_of_the_client_or_a_copied_address_may_answer_by_subject(desk):
    case = receive_mail(fixture("alternative_attachments.eml")).case  # cc: manager@example.org
    make_contact(
        owner=desk["contact"].owner, company=desk["company"], emails=["boss@stroyproekt.ru"]
    )
    anna_case = receive_mail(fixture("plain.eml")).case

    colleague = receive_mail(_from(fixture("reply_subject.eml", anna_case), b"boss@stroyproekt.ru"))
    copied = receive_mail(
        _from(fixture("reply_subject.eml", case), b"Manager <Manager@example.org>").replace(
            b"<reply-subject-1@", b"<reply-subject-2@"
        )
    )

    assert (colleague.outcome, colleague.case) == (Outcome.ADDED, anna_case)
    assert (copied.outcome, copied.case) == (Outcome.ADDED, case)
