"""Sending a quote through a REAL SMTP server on 127.0.0.1 (aiosmtpd), and a refusing one."""

import email
import email.policy

import pytest
from aiosmtpd.controller import Controller
from django.core.exceptions import ValidationError

from accord.activities.models import Activity
from accord.commerce import mail
from accord.commerce.models import Quote
from accord.commerce.tests.test_quotes_helpers import make_quote
from accord.core.testing import user_with_role
from accord.parties.tests.factories import make_company

pytestmark = pytest.mark.django_db


class Recorder:
    """Keeps every message the server accepts."""

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
    settings.DEFAULT_FROM_EMAIL = "sales@bureau.example"
    return handler


@pytest.fixture
def smtp_server(request, settings):
    return _server(request, settings, Recorder())


@pytest.fixture
def refusing_smtp_server(request, settings):
    return _server(request, settings, Recorder("550 5.7.1 Message rejected by policy"))


def _quote(manager):
    company = make_company(owner=manager, name="Société Générale d'Études", country="FR")
    return make_quote(owner=manager, company=company, contact_email="anne@sge.example")


def test_send_draft_is_prefilled_in_the_quotes_language():
    manager = user_with_role("sales_manager", first_name="Ivan", last_name="Petrov")
    quote = _quote(manager)

    draft = mail.send_draft(quote, manager)

    assert draft.to == "anne@sge.example"
    assert quote.number in draft.subject
    assert quote.number in draft.message and "Ivan Petrov" in draft.message


def test_quote_sent_through_smtp_with_pdf_attached_and_logged_on_the_deal(smtp_server):
    manager = user_with_role("sales_manager", email="ivan@bureau.example")
    quote = _quote(manager)

    sent = mail.quote_send(
        actor=manager,
        quote=quote,
        to="anne@sge.example",
        cc="boss@sge.example; archive@sge.example",
        subject=f"Devis {quote.number}",
        message="Veuillez trouver ci-joint notre devis.",
        expected_version=quote.version,
    )

    assert len(smtp_server.messages) == 1
    envelope = smtp_server.messages[0]
    assert sorted(envelope.rcpt_tos) == [
        "anne@sge.example",
        "archive@sge.example",
        "boss@sge.example",
    ]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert message["Subject"] == f"Devis {quote.number}"
    assert message["Reply-To"] == "ivan@bureau.example"
    attachments = list(message.iter_attachments())
    assert [a.get_filename() for a in attachments] == [f"{quote.number}.pdf"]
    assert attachments[0].get_content_type() == "application/pdf"
    assert attachments[0].get_content()[:5] == b"%PDF-"

    quote.refresh_from_db()
    assert sent.status == quote.status == "sent" and quote.sent_at is not None
    assert quote.sent_to == "anne@sge.example, boss@sge.example, archive@sge.example"
    activity = Activity.objects.get(kind="email")
    assert activity.deal_id == quote.deal_id and activity.company_id == quote.company_id
    assert activity.subject == f"Devis {quote.number}"
    assert list(activity.contacts.all()) == [quote.contact]


def test_a_refusing_server_leaves_the_quote_a_draft_with_a_clear_error(refusing_smtp_server):
    manager = user_with_role("sales_manager")
    quote = _quote(manager)
    version = quote.version

    with pytest.raises(mail.QuoteSendError) as refused:
        mail.quote_send(
            actor=manager,
            quote=quote,
            to="anne@sge.example",
            subject="Quote",
            message="Hello",
        )

    assert "550" in str(refused.value) and "unchanged" in str(refused.value)
    quote = Quote.objects.get(pk=quote.pk)
    assert (quote.status, quote.sent_at, quote.sent_to, quote.version) == (
        "draft",
        None,
        "",
        version,
    )
    assert not Activity.objects.exists()
    assert refusing_smtp_server.messages == []


def test_bad_addresses_are_refused_naming_the_field_and_nothing_is_sent(smtp_server):
    manager = user_with_role("sales_manager")
    quote = _quote(manager)

    with pytest.raises(ValidationError) as refused:
        mail.quote_send(
            actor=manager, quote=quote, to="", cc="not-an-address", subject="", message=""
        )

    assert set(refused.value.message_dict) == {"to", "cc", "subject"}
    assert "not-an-address" in refused.value.message_dict["cc"][0]
    assert Quote.objects.get(pk=quote.pk).status == "draft"
    assert smtp_server.messages == []


def test_read_only_user_cannot_send(smtp_server):
    from django.core.exceptions import PermissionDenied

    manager = user_with_role("sales_manager")
    viewer = user_with_role("read_only")
    quote = _quote(manager)

    with pytest.raises(PermissionDenied):
        mail.quote_send(
            actor=viewer, quote=quote, to="anne@sge.example", subject="Quote", message="Hi"
        )

    assert Quote.objects.get(pk=quote.pk).status == "draft"
    assert smtp_server.messages == []
