"""Test data for client feedback: cases made directly (the case services are another part's),
and status changes announced with the service desk's own signal."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from accord.core.models import Team, User
from accord.feedback.models import Survey
from accord.parties.tests.factories import make_company, make_contact
from accord.service.models import Case, Category, Queue
from accord.service.signals import case_status_changed


class Recorder:
    def __init__(self, reply: str = "250 Message accepted for delivery") -> None:
        self.reply = reply
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reply.startswith("250"):
            self.messages.append(envelope)
        return self.reply


class LocalController(Controller):
    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def start_smtp(request: Any, settings: Any, handler: Recorder) -> Recorder:
    controller = LocalController(handler, hostname="127.0.0.1", port=0)
    controller.start()
    request.addfinalizer(controller.stop)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.server.sockets[0].getsockname()[1]
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "service@bureau.example"
    settings.ACCORD_SITE_URL = "https://crm.bureau.example"
    return handler


@pytest.fixture
def smtp_server(request: Any, settings: Any) -> Recorder:
    return start_smtp(request, settings, Recorder())


@pytest.fixture
def refusing_smtp_server(request: Any, settings: Any) -> Recorder:
    return start_smtp(request, settings, Recorder("550 5.7.1 Message rejected by policy"))


def default_queue() -> Queue:
    return Queue.objects.get(is_default=True)


def category(code: str) -> Category:
    return Category.objects.get(code=code)


def make_case(
    *,
    owner: User | None,
    company: Any = None,
    contact: Any = None,
    requester_email: str = "",
    queue: Queue | None = None,
    team: Team | None = None,
    category_code: str | None = "fault",
    status: str = Case.Status.IN_PROGRESS,
    created_at: datetime.datetime | None = None,
    **fields: Any,
) -> Case:
    queue = queue or default_queue()
    case = Case.objects.create(
        subject=fields.pop("subject", "Pump does not start"),
        company=company,
        contact=contact,
        requester_email=requester_email,
        queue=queue,
        owner=owner,
        team=team or queue.team,
        category=category(category_code) if category_code else None,
        status=status,
        **fields,
    )
    if created_at is not None:
        Case.objects.filter(pk=case.pk).update(created_at=created_at)
        case.refresh_from_db()
    return case


def resolve(case: Case, actor: Any) -> None:
    """What the case services do on a move to "resolved": save, then announce it."""
    old = case.status
    case.status = Case.Status.RESOLVED
    case.resolved_at = timezone.now()
    case.save(update_fields=["status", "resolved_at"])
    case_status_changed.send(sender=Case, case=case, old=old, new=Case.Status.RESOLVED, actor=actor)


def client(owner: User, *, country: str = "FR", email: str = "anne@sge.example") -> tuple[Any, Any]:
    company = make_company(owner=owner, name="Société Générale d'Études", country=country)
    contact = make_contact(owner=owner, company=company, first_name="Anne", emails=[email])
    return company, contact


def answered_survey(
    case: Case, *, score: int | None, comment: str = "", declined: bool = False, **fields: Any
) -> Survey:
    now = timezone.now()
    return Survey.objects.create(
        case=case,
        company=case.company,
        contact=case.contact,
        agent=case.owner,
        queue=case.queue,
        category=case.category,
        email=fields.pop("email", "client@example.com"),
        language="en",
        sent_at=fields.pop("sent_at", now),
        expires_at=now + datetime.timedelta(days=30),
        answered_at=now if (score is not None or declined) else None,
        score=score,
        comment=comment,
        declined=declined,
        **fields,
    )
