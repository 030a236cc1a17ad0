"""Parsing incoming mail: headers, bodies, charsets, attachments and broken messages."""

from __future__ import annotations

import datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from accord.service.mailin import decode_text, html_to_text, parse_mail

MAIL = Path(__file__).parent / "mail"


def fixture(name: str) -> bytes:
    return (MAIL / name).read_bytes()


def test_plain_utf8_quoted_printable() -> None:
    mail = parse_mail(fixture("plain.eml"))

    assert mail.subject == "Принтер не печатает"
    assert (mail.from_name, mail.from_address) == ("Анна Петрова", "Anna.Petrova@StroyProekt.ru")
    assert mail.to == ["SUPPORT@accord.test"]
    assert mail.delivered_to == ["support@accord.test"]
    assert mail.date == datetime.datetime(
        2026, 12, 7, 9, 15, tzinfo=datetime.timezone(datetime.timedelta(hours=3))
    )
    assert mail.message_id == "<plain-1@stroyproekt.ru>"
    assert mail.text == (
        "Добрый день!\n\nПринтер в отделе ГИП не печатает, на экране ошибка E-05.\n"
        "Серийный номер KX-2231.\n\nАнна"
    )
    assert mail.html == ""
    assert mail.attachments == []
    assert mail.problems == []
    assert mail.auto_reason == ""


def test_html_only_gets_text_from_the_html_and_sanitised_html() -> None:
    mail = parse_mail(fixture("html_only.eml"))

    assert mail.subject == "Imprimante en panne"
    assert mail.text == (
        "Bonjour,\n\nL'imprimante du bureau d'études ne démarre plus.\n"
        "Pouvez-vous envoyer un technicien ?\n\n- Modèle : KX-40\n- Étage : 3\n\n"
        "Cordialement,\nClaire"
    )
    assert mail.html == (
        "<p>Bonjour,</p>\n<p>L'imprimante du bureau d'études ne démarre plus.<br>"
        "Pouvez-vous envoyer un technicien&nbsp;?</p>\n"
        "<ul><li>Modèle : KX-40</li><li>Étage : 3</li></ul>\n"
        "<p>Cordialement,<br><b>Claire</b></p>"
    )
    assert mail.problems == []


def test_multipart_alternative_with_inline_image_and_attachment() -> None:
    mail = parse_mail(fixture("alternative_attachments.eml"))

    assert (mail.from_name, mail.from_address) == ("Ivanov, Petr", "p.ivanov@example.org")
    assert mail.cc == ["manager@example.org"]
    assert mail.text == "Hello,\nthe invoice is attached. Our logo is below."
    assert mail.html == (
        '<p>Hello,<br>the invoice is <a href="https://example.org/inv" target="_blank" '
        'rel="noopener noreferrer">attached</a>. Our logo is below.</p>'
        '<img src="cid:logo@example.org" alt="logo">'
    )
    assert [
        (a.name, a.content_type, a.size, a.content_id, a.is_inline) for a in mail.attachments
    ] == [
        ("logo.png", "image/png", 48, "logo@example.org", True),
        ("invoice.pdf", "application/pdf", 87, "", False),
    ]
    assert mail.attachments[1].data == b"%PDF-1.4\n%fake pdf for tests\n" * 3
    assert mail.problems == []


def test_koi8r_body_subject_and_sender_name() -> None:
    mail = parse_mail(fixture("koi8r.eml"))

    assert mail.subject == "Авария котла"
    assert mail.from_name == "Сергей Котов"
    assert mail.text == 'Здравствуйте! Котёл на объекте "Северный" остановился, код ошибки F28.'
    assert mail.problems == []


def test_windows_1251_declared_as_latin1_is_detected_and_noted() -> None:
    mail = parse_mail(fixture("cp1251_as_latin1.eml"))

    assert mail.subject == "Замена картриджа"
    assert mail.text == "Добрый день. Просим заменить картридж в МФУ, бухгалтерия, 2 этаж."
    assert mail.problems == ["Part declared as iso-8859-1 was read as windows-1251."]


def test_rfc2231_file_names_in_utf8_continuations_and_koi8r() -> None:
    mail = parse_mail(fixture("rfc2231.eml"))

    assert mail.subject == "Prüfbericht für die Anlage"
    assert mail.text == "Anbei der Prüfbericht."
    assert [(a.name, a.content_type, a.data) for a in mail.attachments] == [
        ("Prüfbericht Anlage №7.pdf", "application/pdf", b"%PDF-1.4 report"),
        ("Акт Приемки.txt", "text/plain", "Акт приёмки".encode("koi8-r")),
    ]


def test_missing_boundary_is_recovered_and_noted() -> None:
    mail = parse_mail(fixture("broken_boundary.eml"))

    assert mail.text == "The pump makes a loud noise since Monday."
    assert [(a.name, a.data) for a in mail.attachments] == [
        ("log.txt", b"pump: vibration 12.4 mm/s")
    ]
    assert mail.problems == [
        "The message's MIME structure was broken (no boundary between its parts); "
        "its parts were recovered."
    ]


def test_missing_boundary_without_any_part_line_keeps_the_body_as_text() -> None:
    raw = (
        b"From: a@example.com\r\nSubject: x\r\nContent-Type: multipart/mixed\r\n\r\n"
        b"Just some text.\r\n"
    )
    mail = parse_mail(raw)

    assert mail.text == "Just some text."
    assert mail.problems == [
        "The message's MIME structure was broken (no boundary between its parts); "
        "its whole body was kept as text."
    ]


def test_truncated_base64_keeps_what_can_be_read() -> None:
    mail = parse_mail(fixture("truncated_base64.eml"))

    assert mail.text == "Photo of the damage attached."
    [attachment] = mail.attachments
    assert attachment.name == "photo.bin"
    assert attachment.data == (b"ABCDEFGHIJ" * 30)[:180]
    assert mail.problems == [
        "The message's MIME structure was broken or the message was cut off; what could be "
        "read was kept.",
        "Attachment “photo.bin” was damaged in transit (bad base64); it may be incomplete.",
    ]


def test_scripts_handlers_and_javascript_links_never_survive() -> None:
    mail = parse_mail(fixture("script.eml"))

    assert mail.html == (
        '<div>Please <a target="_blank" rel="noopener noreferrer">click here</a>.'
        "<p>Thanks</p></div>"
    )
    assert mail.text == "Please click here.\nThanks"


def test_huge_attachment_is_dropped_with_its_name_and_size() -> None:
    message = EmailMessage()
    message["From"] = "client@example.com"
    message["Subject"] = "Scan"
    message.set_content("Scan attached.")
    message.add_attachment(
        b"x" * 3 * 1024 * 1024, maintype="application", subtype="pdf", filename="scan.pdf"
    )
    message.add_attachment(b"small", maintype="text", subtype="plain", filename="note.txt")

    mail = parse_mail(message.as_bytes(), attachment_limit=2 * 1024 * 1024)

    assert [a.name for a in mail.attachments] == ["note.txt"]
    assert mail.problems == [
        "Attachment “scan.pdf” (3.0 MB) was dropped: larger than the 2.0 MB limit."
    ]


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ("Auto-Submitted: auto-replied", "auto-reply"),
        ("Auto-Submitted: auto-generated", "auto-reply"),
        ("Precedence: bulk", "bulk mail"),
        ("Precedence: junk", "bulk mail"),
        ("X-Autoreply: yes", "auto-reply"),
        ("Return-Path: <>", "bounce"),
        ("Auto-Submitted: no", ""),
        ("Precedence: list", ""),
    ],
)
def test_machine_sent_mail_is_recognised(headers: str, reason: str) -> None:
    raw = f"From: a@example.com\r\nSubject: Hi\r\n{headers}\r\n\r\nBody\r\n".encode()
    assert parse_mail(raw).auto_reason == reason


def test_bounce_from_mailer_daemon() -> None:
    assert parse_mail(fixture("bounce.eml")).auto_reason == "bounce"
    assert parse_mail(fixture("auto_reply.eml")).auto_reason == "auto-reply"


def test_raw_8bit_utf8_subject_and_unknown_declared_charset() -> None:
    raw = (
        "From: Жан <jean@example.fr>\r\nSubject: Счёт не пришёл\r\n"
        "Content-Type: text/plain; charset=x-unknown-charset\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\nГде счёт?\r\n"
    ).encode()
    mail = parse_mail(raw)

    assert mail.subject == "Счёт не пришёл"
    assert mail.from_name == "Жан"
    assert mail.text == "Где счёт?"
    assert mail.problems == ["Part declared as x-unknown-charset was read as utf-8."]


def test_threading_headers() -> None:
    mail = parse_mail(fixture("reply_in_reply_to.eml"))

    assert mail.subject == "Отв: Принтер"
    assert mail.in_reply_to == "<case-reply-77@accord.test>"
    assert mail.references == ["<plain-1@stroyproekt.ru>", "<case-reply-77@accord.test>"]


def test_attached_email_stays_one_attachment() -> None:
    inner = EmailMessage()
    inner["From"] = "x@example.com"
    inner["Subject"] = "Original"
    inner.set_content("original text")
    outer = EmailMessage()
    outer["From"] = "client@example.com"
    outer["Subject"] = "Fwd: Original"
    outer.set_content("See the forwarded message.")
    outer.add_attachment(inner)

    mail = parse_mail(outer.as_bytes())

    assert mail.text == "See the forwarded message."
    [attachment] = mail.attachments
    assert (attachment.name, attachment.content_type) == ("attachment-2.eml", "message/rfc822")
    assert b"original text" in attachment.data


@pytest.mark.parametrize("name", sorted(path.name for path in MAIL.glob("*.eml")))
def test_any_cut_of_any_fixture_parses_without_raising(name: str) -> None:
    raw = fixture(name)
    for cut in range(0, len(raw), max(1, len(raw) // 40)):
        mail = parse_mail(raw[:cut])
        assert isinstance(mail.text, str)


@pytest.mark.parametrize(
    "raw", [b"", b"\x00\xff\xfe garbage", b"no headers at all", b"Subject: =?bad?Q?x?=\r\n\r\n"]
)
def test_garbage_never_raises(raw: bytes) -> None:
    assert parse_mail(raw).size == len(raw)


def test_decode_text_choices() -> None:
    assert decode_text(b"plain", "koi8-r") == ("plain", "")
    assert decode_text("Привет".encode(), "utf-8") == ("Привет", "")
    assert decode_text("Привет".encode(), "iso-8859-1") == ("Привет", "utf-8")
    assert decode_text("Grüße aus München".encode("latin-1"), "iso-8859-1") == (
        "Grüße aus München",
        "",
    )


def test_html_to_text_skips_scripts_and_keeps_paragraphs() -> None:
    assert html_to_text("<p>One</p><script>x()</script><p>Two&amp;three<br>four</p>") == (
        "One\n\nTwo&three\nfour"
    )


def _nested(depth: int) -> bytes:
    head = b'From: a@example.com\r\nSubject: Deep\r\nContent-Type: multipart/mixed; boundary="b0"\r\n\r\n'
    body = b"".join(
        b'--b%d\r\nContent-Type: multipart/mixed; boundary="b%d"\r\n\r\n' % (level - 1, level)
        for level in range(1, depth)
    )
    body += b"--b%d\r\nContent-Type: text/plain\r\n\r\ndeep text\r\n" % (depth - 1)
    body += b"".join(b"--b%d--\r\n" % level for level in range(depth - 1, -1, -1))
    return head + body


def test_parts_nested_too_deep_for_the_parser_keep_headers_and_raw_text() -> None:
    mail = parse_mail(_nested(3000))

    assert mail.subject == "Deep"
    assert mail.from_address == "a@example.com"
    assert "deep text" in mail.text
    assert mail.problems[-1] == (
        "The message's parts are nested too deeply to read; its raw body was kept as text."
    )


def test_mime_bombs_are_refused_before_parsing() -> None:
    from accord.service.mailparse import structure_refusal

    many = b"".join(b"--x\r\nContent-Type: text/plain\r\n\r\np\r\n" for _ in range(1001))
    assert structure_refusal(b"Subject: many\r\n\r\n" + many) == (
        "The message has 1001 parts; at most 1000 are accepted."
    )
    assert structure_refusal(_nested(60)) == "The message nests more than 50 levels of parts."
    assert structure_refusal((MAIL / "alternative_attachments.eml").read_bytes()) == ""
