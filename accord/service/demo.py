"""Demo data for cases: forty realistic requests over the demo companies, in every status,
with the client's messages, replies, internal notes, a hand-over and a merged duplicate, all
written through the case services (so routing, SLA clocks, events and audit are real).

Runs after the core demo (users, companies) and, ideally, after the queues demo. A second call
creates nothing. Call: ``accord.service.demo.seed_demo(say=...)``.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accord.core.audit import audit_context
from accord.core.models import User
from accord.parties.models import Company, ContactPoint
from accord.service import services
from accord.service.models import Case, CaseEvent, CaseMessage, Category

MARKER_SUBJECT = "Течь в тепловом узле после пусконаладки"
CASE_TIMES = (
    "created_at",
    "updated_at",
    "first_response_due_at",
    "first_responded_at",
    "resolution_due_at",
    "sla_paused_at",
    "sla_warned_at",
    "escalated_at",
    "resolved_at",
    "closed_at",
    "last_message_at",
)

# subject, client's words, category, channel, priority, target status, days ago
CASES: tuple[tuple[str, str, str, str, str, str, float], ...] = (
    (
        MARKER_SUBJECT,
        "После пуска на фланце насоса P-12 капает. Просим выезд инженера.",
        "fault",
        "phone",
        "high",
        "in_progress",
        0.2,
    ),
    (
        "Замечания экспертизы к разделу ОВ",
        "Экспертиза вернула раздел ОВ с 14 замечаниями, нужен ответ до пятницы.",
        "documents",
        "email",
        "high",
        "in_progress",
        1.5,
    ),
    (
        "Нет актов за сентябрь",
        "Бухгалтерия не получила акты выполненных работ за сентябрь.",
        "billing",
        "email",
        "normal",
        "waiting",
        3,
    ),
    (
        "Вопрос по гарантии на чиллер",
        "Распространяется ли гарантия на компрессор чиллера?",
        "question",
        "portal",
        "normal",
        "resolved",
        6,
    ),
    (
        "Шум вентилятора приточной установки",
        "ПВУ-2 сильно шумит на второй скорости.",
        "fault",
        "phone",
        "normal",
        "new",
        0.1,
    ),
    (
        "Запрос исполнительной документации",
        "Пришлите, пожалуйста, исполнительные схемы по корпусу Б в PDF.",
        "documents",
        "email",
        "low",
        "closed",
        20,
    ),
    (
        "Плановое ТО котельной",
        "Согласуйте дату планового ТО котельной в ноябре.",
        "maintenance",
        "email",
        "normal",
        "waiting",
        4,
    ),
    (
        "Ошибка в спецификации оборудования",
        "В спецификации ОВ-С указан не тот клапан.",
        "documents",
        "web_form",
        "high",
        "resolved",
        9,
    ),
    (
        "Авария: не греет контур отопления",
        "Температура в офисе 14 градусов, котёл в аварии.",
        "fault",
        "phone",
        "urgent",
        "in_progress",
        0.05,
    ),
    (
        "Пусконаладка ИТП в корпусе В",
        "Когда начнётся пусконаладка ИТП?",
        "installation",
        "email",
        "normal",
        "new",
        0.5,
    ),
    (
        "Счёт выставлен дважды",
        "Счёт № 1187 пришёл два раза, оплатим один.",
        "billing",
        "email",
        "low",
        "closed",
        30,
    ),
    (
        "Жалоба на срыв сроков выезда",
        "Инженер не приехал в согласованное время.",
        "complaint",
        "phone",
        "high",
        "resolved",
        12,
    ),
    (
        "Alarme sur la centrale de traitement d'air",
        "La CTA du 3e étage est en défaut depuis ce matin.",
        "fault",
        "email",
        "urgent",
        "in_progress",
        0.3,
    ),
    (
        "Nouvelle version des plans demandée",
        "Merci de nous envoyer l'indice C des plans.",
        "documents",
        "email",
        "normal",
        "waiting",
        2,
    ),
    (
        "Question sur le contrat de maintenance",
        "Les filtres sont-ils inclus dans le contrat ?",
        "question",
        "portal",
        "low",
        "resolved",
        8,
    ),
    (
        "Mise en service de la pompe à chaleur",
        "Pouvez-vous planifier la mise en service ?",
        "installation",
        "phone",
        "normal",
        "new",
        0.8,
    ),
    (
        "Facture non conforme",
        "Le numéro de bon de commande manque sur la facture.",
        "billing",
        "email",
        "normal",
        "in_progress",
        2.5,
    ),
    (
        "Réclamation : fuite après intervention",
        "Une fuite est apparue après votre visite.",
        "complaint",
        "phone",
        "high",
        "in_progress",
        1,
    ),
    (
        "Entretien annuel des chaudières",
        "Merci de confirmer la date de l'entretien annuel.",
        "maintenance",
        "email",
        "low",
        "closed",
        25,
    ),
    (
        "Demande de DOE",
        "Il nous manque le dossier des ouvrages exécutés.",
        "documents",
        "web_form",
        "normal",
        "new",
        0.4,
    ),
    (
        "Drawing revision request for level 3",
        "Please issue revision D of the level 3 layout.",
        "documents",
        "email",
        "normal",
        "resolved",
        5,
    ),
    (
        "Boiler fault code E42",
        "Boiler 2 shows E42 and locks out every night.",
        "fault",
        "phone",
        "urgent",
        "waiting",
        1.2,
    ),
    (
        "Commissioning date for the chiller",
        "When can you commission the new chiller?",
        "installation",
        "email",
        "normal",
        "in_progress",
        3,
    ),
    (
        "Question about the warranty period",
        "Does the 24-month warranty start at delivery or at commissioning?",
        "question",
        "portal",
        "low",
        "closed",
        18,
    ),
    (
        "Invoice missing purchase order number",
        "Please reissue invoice 2291 with our PO.",
        "billing",
        "email",
        "normal",
        "resolved",
        7,
    ),
    (
        "Annual service visit",
        "Please book the annual service for our plant room.",
        "maintenance",
        "phone",
        "normal",
        "new",
        0.6,
    ),
    (
        "Complaint about site cleanliness",
        "The engineers left packaging on site.",
        "complaint",
        "email",
        "normal",
        "closed",
        15,
    ),
    (
        "Wärmepumpe zeigt Hochdruckstörung",
        "Die Wärmepumpe schaltet mit Hochdruck ab.",
        "fault",
        "phone",
        "high",
        "in_progress",
        0.7,
    ),
    (
        "Unterlagen zur Abnahme fehlen",
        "Für die Abnahme fehlen die Prüfprotokolle.",
        "documents",
        "email",
        "normal",
        "waiting",
        5,
    ),
    (
        "Wartungstermin Lüftungsanlage",
        "Bitte Termin für die Wartung im Dezember.",
        "maintenance",
        "email",
        "low",
        "resolved",
        10,
    ),
    (
        "Протечка кровли над венткамерой",
        "Над венткамерой течёт кровля, залило щит.",
        "fault",
        "phone",
        "urgent",
        "new",
        0.02,
    ),
    (
        "Перерасчёт стоимости ТО",
        "Просим пересчитать стоимость ТО после сокращения объёма.",
        "billing",
        "email",
        "normal",
        "in_progress",
        2,
    ),
    (
        "Вопрос по регламенту ТО",
        "Какая периодичность ТО у сплит-систем по договору?",
        "question",
        "email",
        "low",
        "resolved",
        11,
    ),
    (
        "Монтаж дополнительного фанкойла",
        "Нужно добавить фанкойл в переговорной.",
        "installation",
        "web_form",
        "normal",
        "waiting",
        6,
    ),
    (
        "Замена фильтров в ПВУ",
        "Фильтры ПВУ-1 забиты, замените, пожалуйста.",
        "maintenance",
        "phone",
        "normal",
        "closed",
        22,
    ),
    (
        "Не работает диспетчеризация",
        "В SCADA нет данных с ИТП со вчерашнего дня.",
        "fault",
        "email",
        "high",
        "new",
        0.3,
    ),
    (
        "Жалоба на качество проектной документации",
        "В рабочей документации много нестыковок между разделами.",
        "complaint",
        "email",
        "high",
        "waiting",
        3.5,
    ),
    (
        "Копия договора на сервис",
        "Пришлите скан подписанного договора на сервис.",
        "documents",
        "email",
        "low",
        "resolved",
        4,
    ),
    (
        "Течь в тепловом узле после пусконаладки (повторно)",
        "Снова капает на фланце P-12.",
        "fault",
        "email",
        "high",
        "new",
        0.15,
    ),
    (
        "Pression basse sur le réseau de chauffage",
        "La pression chute à 0,8 bar chaque nuit.",
        "fault",
        "phone",
        "high",
        "resolved",
        9,
    ),
)

REPLIES = {
    "ru": (
        "Принято, инженер свяжется с вами сегодня.",
        "Передали в работу, ответим до конца дня.",
        "Работы выполнены, проверьте, пожалуйста.",
    ),
    "fr": (
        "Bien reçu, un technicien vous rappelle aujourd'hui.",
        "Nous traitons votre demande, réponse d'ici ce soir.",
        "L'intervention est terminée, merci de vérifier.",
    ),
    "en": (
        "Thanks, an engineer will call you today.",
        "We are on it and will reply by the end of the day.",
        "The work is done, please check on your side.",
    ),
    "de": (
        "Danke, ein Techniker ruft Sie heute an.",
        "Wir kümmern uns darum und melden uns heute.",
        "Die Arbeiten sind erledigt, bitte prüfen Sie.",
    ),
}
NOTES = (
    "Клиент на ключевом договоре — приоритет.",
    "Nécessite une pièce détachée, commande en cours.",
    "Checked the remote logs: sensor T3 drifts.",
    "Rücksprache mit dem Planer nötig.",
)
RESOLUTIONS = (
    "Заменили уплотнение, течь устранена.",
    "Documents envoyés, client satisfait.",
    "Sent the corrected document set.",
    "Einstellungen korrigiert, Anlage läuft.",
)


def _language(subject: str) -> str:
    if any("а" <= ch <= "я" for ch in subject.lower()):
        return "ru"
    if any(ch in "éèàçêô'" for ch in subject.lower()) and "ä" not in subject:
        return "fr"
    if any(ch in "äöüß" for ch in subject.lower()) or subject.startswith("Wartung"):
        return "de"
    return "en"


def is_loaded() -> bool:
    return Case.objects.filter(subject=MARKER_SUBJECT).exists()


def _admin() -> User | None:
    return User.objects.filter(is_active=True, roles__is_administrator=True).order_by("pk").first()


def seed_demo(*, say: Callable[[str], None] | None = None, seed: int = 2026) -> dict[str, int]:
    """Create the demo cases once; returns counts for the summary."""
    report = say or (lambda _line: None)
    admin = _admin()
    companies = list(Company.objects.order_by("pk")[:24])
    if is_loaded() or admin is None or not companies:
        return {}
    report("Cases with messages in every status")
    with audit_context(source="command"), transaction.atomic():
        return _seed(admin, companies, random.Random(seed), report)


def _contact_of(company: Company) -> Any:
    from accord.parties.models import Contact

    return (
        Contact.objects.filter(companies=company, contact_points__kind=ContactPoint.Kind.EMAIL)
        .order_by("pk")
        .first()
    )


def _seed(
    admin: User, companies: list[Company], rng: random.Random, report: Callable[[str], None]
) -> dict[str, int]:
    categories = {c.code: c for c in Category.objects.all()}
    now = timezone.now()
    made: list[Case] = []
    messages = 0
    for index, (subject, words, category, channel, priority, target, days) in enumerate(CASES):
        # The repeated leak comes from the same client as the first one (merged below).
        company = (
            companies[0] if subject.endswith("(повторно)") else companies[index % len(companies)]
        )
        contact = _contact_of(company)
        case = services.open_case(
            actor=None if channel in ("email", "portal", "web_form") else admin,
            subject=subject,
            description=words,
            company=company,
            contact=contact,
            channel=channel,
            category=categories.get(category),
            priority=priority,
            requester_email="" if contact else f"service@client{index}.example",
            message_id=f"<demo-case-{index}@client.example>" if channel == "email" else "",
        )
        worker = case.owner or admin
        language = _language(subject)
        if target != "new":
            services.add_message(
                actor=worker,
                case=case,
                kind=CaseMessage.Kind.REPLY,
                body_text=REPLIES[language][index % 2],
                send=False,
            )
            messages += 1
        if index % 3 == 0:
            services.add_message(
                actor=worker, case=case, kind=CaseMessage.Kind.NOTE, body_text=NOTES[index % 4]
            )
            messages += 1
        case = Case.objects.get(pk=case.pk)
        if target == "waiting":
            case = services.change_status(actor=worker, case=case, status=Case.Status.WAITING)
        elif target in ("resolved", "closed"):
            services.add_message(
                actor=worker,
                case=case,
                kind=CaseMessage.Kind.REPLY,
                body_text=REPLIES[language][2],
                send=False,
            )
            messages += 1
            case = services.change_status(
                actor=worker,
                case=Case.objects.get(pk=case.pk),
                status=Case.Status.RESOLVED,
                reason=RESOLUTIONS[index % 4],
            )
            if target == "closed":
                case = services.change_status(actor=worker, case=case, status=Case.Status.CLOSED)
        if index in (2, 13) and case.status == Case.Status.WAITING:
            services.add_message(
                actor=None,
                case=case,
                kind=CaseMessage.Kind.INBOUND,
                body_text="Спасибо, ждём." if language == "ru" else "Thanks, we are waiting.",
                from_address=f"client{index}@client.example",
            )
            services.change_status(
                actor=worker, case=Case.objects.get(pk=case.pk), status=Case.Status.WAITING
            )
            messages += 1
        made.append(case)
        _backdate(case.pk, now - datetime.timedelta(days=days), rng)
    # The repeated leak is a duplicate of the first case: merge it, as an agent would.
    first, repeat = made[0], made[-2]
    services.merge_cases(actor=admin, primary=first, duplicates=[repeat])
    report(f"  {len(made)} cases, {messages} messages and notes, 1 merged duplicate")
    return {"cases": len(made), "case_messages": messages}


def _backdate(case_pk: int, opened: datetime.datetime, rng: random.Random) -> None:
    """Demo only: move a case's whole history back in time so lists, ages and reports look
    lived in; every time keeps its place relative to the others (SLA targets included)."""
    first = Case.objects.filter(pk=case_pk).values_list("created_at", flat=True).get()
    delta = first - opened + datetime.timedelta(minutes=rng.randint(0, 50))
    shifted = {name: F(name) - delta for name in CASE_TIMES}
    Case.objects.filter(pk=case_pk).update(**shifted)
    CaseMessage.objects.filter(case_id=case_pk).update(created_at=F("created_at") - delta)
    CaseEvent.objects.filter(case_id=case_pk).update(created_at=F("created_at") - delta)
