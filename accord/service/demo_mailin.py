"""Demo data for incoming mail: real RFC 5322 messages fed through ``receive_mail``.

The demo cases that arrive by e-mail are made the way production makes them, so the case
page shows what agents really get: Russian mail in KOI8-R, French HTML with a pasted picture,
a German report with a PDF, an unknown sender, a client's reply threaded onto its case, and
an out-of-office answer and a re-delivered message that are (visibly) not filed.
"""

from __future__ import annotations

import base64
import datetime
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from django.utils import timezone

from accord.parties.models import ContactPoint
from accord.service.mailin import Outcome, receive_mail
from accord.service.models import CaseMessage

DEMO_DOMAIN = "demo-mail.accord.example"
SUPPORT_ADDRESS = "support@crm.example"
# A 1×1 transparent PNG: the "logo" pasted into the French client's signature.
PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


def is_loaded() -> bool:
    return CaseMessage.objects.filter(message_id__endswith=f"@{DEMO_DOMAIN}>").exists()


def _senders(count: int) -> list[tuple[str, str]]:
    """(name, address) of demo contacts that have an e-mail address."""
    points = (
        ContactPoint.objects.filter(kind=ContactPoint.Kind.EMAIL, contact__isnull=False)
        .select_related("contact")
        .order_by("id")[:count]
    )
    found = []
    for point in points:
        contact: Any = point.contact
        name = f"{contact.first_name} {contact.last_name}".strip()
        found.append((name, point.value))
    return found


def _message(
    number: int,
    sender: tuple[str, str],
    subject: str,
    *,
    hours_ago: int,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    message = EmailMessage()
    name, address = sender
    message["From"] = f"{name} <{address}>" if name else address
    message["To"] = SUPPORT_ADDRESS
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now() - datetime.timedelta(hours=hours_ago))
    message["Message-ID"] = f"<demo-{number}@{DEMO_DOMAIN}>"
    for key, value in (headers or {}).items():
        message[key] = value
    return message


def _koi8r(number: int, sender: tuple[str, str]) -> bytes:
    message = _message(number, sender, "Котёл остановился, ошибка F28", hours_ago=30)
    message.set_content(
        'Добрый день!\n\nНа объекте "Северный" котёл остановился сегодня в 6:40, на панели '
        "ошибка F28. Перезапуск не помогает.\nСерийный номер BX-24-0117.\n\n"
        "Просим прислать инженера.",
        charset="koi8-r",
        cte="8bit",
    )
    return message.as_bytes()


def _french_html(number: int, sender: tuple[str, str]) -> bytes:
    message = _message(number, sender, "Imprimante grand format en panne", hours_ago=20)
    message.set_content(
        "Bonjour,\n\nLe traceur du bureau d'études affiche « Erreur tête 3 » depuis ce matin.\n"
        "Pouvez-vous envoyer un technicien ?\n\nCordialement"
    )
    message.add_alternative(
        "<p>Bonjour,</p><p>Le traceur du bureau d'études affiche <b>« Erreur tête 3 »</b> "
        "depuis ce matin.<br>Pouvez-vous envoyer un technicien&nbsp;?</p>"
        '<p>Cordialement</p><img src="cid:logo@demo" alt="logo">'
        "<script>alert('never shown')</script>",
        subtype="html",
    )
    html_part = message.get_payload()[1]  # type: ignore[index]
    assert isinstance(html_part, EmailMessage)
    html_part.add_related(PIXEL_PNG, maintype="image", subtype="png", cid="<logo@demo>")
    return message.as_bytes()


def _german_pdf(number: int, sender: tuple[str, str]) -> bytes:
    message = _message(number, sender, "Prüfbericht Lüftungsanlage – Abweichungen", hours_ago=8)
    message.set_content(
        "Guten Tag,\n\nim Anhang der Prüfbericht der Lüftungsanlage. Zwei Messwerte liegen "
        "außerhalb der Toleranz (Seite 2). Bitte um Rückmeldung.\n\nMit freundlichen Grüßen"
    )
    message.add_attachment(
        b"%PDF-1.4\n% demo report\n",
        maintype="application",
        subtype="pdf",
        filename="Prüfbericht Lüftung №7.pdf",
    )
    return message.as_bytes()


def _unknown_sender(number: int) -> bytes:
    message = _message(
        number, ("Igor Belov", "i.belov@newclient.example"), "Запрос на обслуживание", hours_ago=4
    )
    message.set_content(
        "Здравствуйте, мы хотим заключить договор на обслуживание трёх чиллеров. "
        "Пришлите, пожалуйста, условия.\n\nИгорь Белов, главный инженер"
    )
    return message.as_bytes()


def _reply(number: int, sender: tuple[str, str], reference: str, original: int) -> bytes:
    message = _message(
        number,
        sender,
        f"Re: [{reference}] Котёл остановился, ошибка F28",
        hours_ago=2,
        headers={"In-Reply-To": f"<demo-{original}@{DEMO_DOMAIN}>"},
    )
    message.set_content("Инженер приехал, котёл работает. Спасибо!")
    return message.as_bytes()


def _out_of_office(number: int, sender: tuple[str, str], reference: str) -> bytes:
    message = _message(
        number,
        sender,
        f"Автоответ: [{reference}] Котёл остановился",
        hours_ago=1,
        headers={"Auto-Submitted": "auto-replied"},
    )
    message.set_content("Я в отпуске до 15 числа.")
    return message.as_bytes()


def seed_demo(*, say: Callable[[str], None] | None = None) -> dict[str, int]:
    """Feed the demo e-mails once; a second call files nothing. Needs demo contacts with
    e-mail addresses (three of them); returns counts for the demo command's summary."""
    report = say or (lambda _line: None)
    if is_loaded():
        return {}
    senders = _senders(3)
    if len(senders) < 3:
        return {}
    counts = {"mail_cases": 0, "mail_replies": 0, "mail_ignored": 0}
    first = receive_mail(_koi8r(1, senders[0]))
    feeds = [
        _french_html(2, senders[1]),
        _german_pdf(3, senders[2]),
        _unknown_sender(4),
    ]
    results = [first, *(receive_mail(raw) for raw in feeds)]
    if first.case is not None:
        reference = first.case.reference
        results.append(receive_mail(_reply(5, senders[0], reference, 1)))
        results.append(receive_mail(_out_of_office(6, senders[0], reference)))
        results.append(receive_mail(_koi8r(1, senders[0])))  # delivered twice: a duplicate
    for result in results:
        report(result.describe())
        if result.outcome in (Outcome.OPENED, Outcome.FOLLOW_UP):
            counts["mail_cases"] += 1
        elif result.outcome == Outcome.ADDED:
            counts["mail_replies"] += 1
        else:
            counts["mail_ignored"] += 1
    return counts
