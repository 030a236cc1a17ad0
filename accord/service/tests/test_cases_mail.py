"""Replies on a case go out through a REAL SMTP server on 127.0.0.1 (aiosmtpd), threaded by
their Message-ID, only after commit; a refusing server leaves the reply and tells its author."""

from __future__ import annotations

import email
import email.policy

import pytest
from aiosmtpd.controller import Controller

from accord.core.models import Notification
from accord.service import services
from accord.service.models import CaseMessage
from accord.service.tests.test_cases_helpers import make_case, make_desk

pytestmark = pytest.mark.django_db


class Recorder:
    def __init__(self, reply: str = "250 Message accepted for delivery") -> None:
        self.reply = reply
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        if self.reply.startswith("250"):
            self.messages.append(envelope)
        return self.reply


class LocalController(Controller):
    """Listens on a free port (port=0); aiosmtpd's start-up probe must use the real one."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def _server(request, settings, handler: Recorder) -> Recorder:
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
    return handler


@pytest.fixture
def smtp_server(request, settings):
    return _server(request, settings, Recorder())


@pytest.fixture
def refusing_smtp_server(request, settings):
    return _server(request, settings, Recorder("550 5.7.1 Message rejected by policy"))


def test_a_reply_reaches_the_smtp_server_after_commit_threaded_with_its_files(
    smtp_server, django_capture_on_commit_callbacks
):
    desk = make_desk()
    case = make_case(desk)
    services.add_message(
        actor=None,
        case=case,
        kind="inbound",
        body_text="Any news?",
        from_address="anna@uralproekt.example",
        message_id="<q1@uralproekt.example>",
    )

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reply = services.add_message(
            actor=desk.agent,
            case=case,
            kind="reply",
            body_text="Обновление: инженер приедет завтра.",
            attachments=[("акт.pdf", b"%PDF-1.4 test", "application/pdf")],
        )
    assert smtp_server.messages == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()

    assert len(smtp_server.messages) == 1
    envelope = smtp_server.messages[0]
    assert envelope.rcpt_tos == ["anna@uralproekt.example"]
    parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert parsed["Subject"] == f"[CS-{case.pk}] Pump P-12 leaks"
    assert parsed["Message-ID"] == reply.message_id
    assert parsed["In-Reply-To"] == "<q1@uralproekt.example>"
    assert parsed["From"] == "service@bureau.example"
    body = parsed.get_body(preferencelist=("plain",)).get_content()
    assert "инженер приедет завтра" in body
    files = [part.get_filename() for part in parsed.iter_attachments()]
    assert files == ["акт.pdf"]
    assert CaseMessage.objects.get(pk=reply.pk).message_id == reply.message_id


def test_a_refused_reply_stays_on_the_case_and_its_author_is_told(
    refusing_smtp_server, django_capture_on_commit_callbacks
):
    desk = make_desk()
    case = make_case(desk)

    with django_capture_on_commit_callbacks(execute=True):
        reply = services.add_message(actor=desk.agent, case=case, kind="reply", body_text="Hello")

    assert CaseMessage.objects.filter(pk=reply.pk).exists()
    notification = Notification.objects.get(user=desk.agent)
    assert notification.text.startswith(f"Your reply on CS-{case.pk} could not be sent:")
    assert "550" in notification.text
