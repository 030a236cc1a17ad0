"""Surveys on resolution and order completion, sent after commit through a REAL SMTP server
on 127.0.0.1 (aiosmtpd): once per case, never to opted-out clients or without an address."""

import email
import email.policy
import re

import pytest
from django.core import signing
from django.utils.translation import gettext, override

from accord.core.models import AuditEntry
from accord.core.testing import UserFactory, user_with_role
from accord.feedback import services
from accord.feedback.models import Survey, SurveyOptOut
from accord.feedback.tests.helpers import client, make_case, resolve
from accord.parties.tests.factories import make_company

pytestmark = pytest.mark.django_db


def _in(language: str, msgid: str, **values: str) -> str:
    """The expected text in the client's language (translations are compiled by the lead)."""
    with override(language):
        return gettext(msgid) % values


def _parsed(envelope):
    return email.message_from_bytes(envelope.content, policy=email.policy.default)


def test_resolving_a_case_mails_a_survey_in_the_clients_language(
    smtp_server, django_capture_on_commit_callbacks
):
    agent = user_with_role("service_agent")
    company, contact = client(agent, country="FR")
    case = make_case(owner=agent, company=company, contact=contact)

    with django_capture_on_commit_callbacks(execute=True):
        resolve(case, agent)

    survey = Survey.objects.get(case=case)
    assert (survey.email, survey.language, survey.agent_id) == ("anne@sge.example", "fr", agent.pk)
    assert survey.sent_at is not None and survey.send_error == ""
    assert len(smtp_server.messages) == 1
    envelope = smtp_server.messages[0]
    assert envelope.rcpt_tos == ["anne@sge.example"]
    message = _parsed(envelope)
    assert message["Subject"] == _in(
        "fr", "How did we do? Your request %(reference)s", reference=f"CS-{case.pk}"
    )
    text = message.get_body(preferencelist=("plain",)).get_content()
    with override("fr"):
        assert gettext("Hello %(name)s,") % {"name": "Anne"} in text
    links = re.findall(r"https://crm\.bureau\.example/feedback/s/([^/]+)/", text)
    assert len(links) == 6  # five one-tap scores and the page itself
    assert signing.loads(links[0], salt=services.SIGNING_SALT) == {"s": survey.pk}
    assert (
        AuditEntry.objects.filter(object_type="feedback.survey", object_id=survey.pk).count() == 1
    )


def test_a_case_resolved_twice_is_surveyed_once(smtp_server, django_capture_on_commit_callbacks):
    agent = user_with_role("service_agent")
    company, contact = client(agent)
    case = make_case(owner=agent, company=company, contact=contact)
    with django_capture_on_commit_callbacks(execute=True):
        resolve(case, agent)
    case.status = "in_progress"
    case.save()

    with django_capture_on_commit_callbacks(execute=True):
        resolve(case, agent)

    assert Survey.objects.filter(case=case).count() == 1
    assert len(smtp_server.messages) == 1


def test_no_survey_for_opted_out_clients_or_without_an_address(
    smtp_server, django_capture_on_commit_callbacks
):
    agent = user_with_role("service_agent")
    company, contact = client(agent, email="opted@out.example")
    SurveyOptOut.objects.create(email="opted@out.example", source="survey")
    opted = make_case(owner=agent, company=company, contact=contact)
    no_address = make_case(owner=agent, company=company, contact=None, requester_email="")
    bad_address = make_case(owner=agent, company=company, requester_email="not an address")
    _c, do_not_mail = client(agent, email="quiet@client.example")
    do_not_mail.do_not_email = True
    do_not_mail.save()
    quiet = make_case(owner=agent, company=company, contact=do_not_mail)

    with django_capture_on_commit_callbacks(execute=True):
        for case in (opted, no_address, bad_address, quiet):
            resolve(case, agent)

    assert Survey.objects.count() == 0
    assert smtp_server.messages == []


def test_unknown_requester_gets_the_survey_at_the_requester_address(
    smtp_server, django_capture_on_commit_callbacks, settings
):
    settings.LANGUAGE_CODE = "en"
    agent = user_with_role("service_agent")
    case = make_case(owner=agent, requester_email="Ivan@Example.COM")

    with django_capture_on_commit_callbacks(execute=True):
        resolve(case, agent)

    survey = Survey.objects.get(case=case)
    assert survey.language == "en"
    assert smtp_server.messages[0].rcpt_tos == ["Ivan@Example.COM"]
    assert (
        _parsed(smtp_server.messages[0])["Subject"] == f"How did we do? Your request CS-{case.pk}"
    )


def test_a_refused_survey_stays_unsent_and_is_retried(
    refusing_smtp_server, django_capture_on_commit_callbacks, request, settings
):
    agent = user_with_role("service_agent")
    company, contact = client(agent, country="RU", email="oleg@uralproekt.example")
    case = make_case(owner=agent, company=company, contact=contact)

    with django_capture_on_commit_callbacks(execute=True):
        resolve(case, agent)

    survey = Survey.objects.get(case=case)
    assert survey.sent_at is None
    assert "550" in survey.send_error and survey.language == "ru"
    # The server accepts again: the periodic job sends it, once.
    refusing_smtp_server.reply = "250 OK"
    assert services.surveys_send_pending() == 1
    assert services.surveys_send_pending() == 0
    survey.refresh_from_db()
    assert survey.sent_at is not None and survey.send_error == ""
    assert len(refusing_smtp_server.messages) == 1
    # A long encoded subject is folded onto its own line; unfolding leaves a leading space.
    subject = _parsed(refusing_smtp_server.messages[0])["Subject"].strip()
    assert subject == _in(
        "ru", "How did we do? Your request %(reference)s", reference=f"CS-{case.pk}"
    )


def test_completing_an_order_sends_a_survey(smtp_server, django_capture_on_commit_callbacks):
    from accord.commerce.models import Order
    from accord.commerce.services_orders import _set_status

    manager = user_with_role("sales_manager")
    company = make_company(owner=manager, name="Uralproekt", country="RU")
    _c, contact = client(manager, email="buyer@uralproekt.example")
    order = Order.objects.create(
        number="ORD-1",
        company=company,
        contact=contact,
        currency="RUB",
        owner=manager,
        ordered_on="2026-11-01",
        status=Order.Status.SHIPPED,
    )

    with django_capture_on_commit_callbacks(execute=True):
        _set_status(actor=manager, order=order, status=Order.Status.COMPLETED)

    survey = Survey.objects.get(order=order)
    assert (survey.agent_id, survey.language, survey.email) == (
        manager.pk,
        "ru",
        "buyer@uralproekt.example",
    )
    subject = _parsed(smtp_server.messages[0])["Subject"].strip()
    assert subject == _in("ru", "How did we do? Your order %(number)s", number="ORD-1")


def test_survey_is_not_made_for_other_status_moves():
    agent = user_with_role("service_agent")
    company, contact = client(agent)
    case = make_case(owner=agent, company=company, contact=contact)
    from accord.service.signals import case_status_changed

    case_status_changed.send(sender=None, case=case, old="new", new="waiting", actor=agent)

    assert Survey.objects.count() == 0


def test_token_for_another_purpose_is_refused():
    other = signing.dumps({"s": 1}, salt="something.else")
    with pytest.raises(services.SurveyLinkInvalid):
        services.survey_from_token(other)
    with pytest.raises(services.SurveyLinkInvalid):
        services.survey_from_token("garbage")
    UserFactory()  # the factory still works after the refusals (no half-open transaction)


def test_end_to_end_with_the_case_services(smtp_server, django_capture_on_commit_callbacks):
    from accord.service import services as case_services

    agent = user_with_role("service_agent")
    company, contact = client(agent, country="DE", email="jonas@werk.example")
    case = case_services.open_case(
        actor=agent, subject="Heizung fällt aus", company=company, contact=contact, owner=agent
    )
    case_services.change_status(actor=agent, case=case, status="in_progress")

    with django_capture_on_commit_callbacks(execute=True):
        case_services.change_status(
            actor=agent, case=case, status="resolved", reason="Sensor replaced."
        )

    survey = Survey.objects.get(case=case)
    assert (survey.language, survey.agent_id, survey.email) == (
        "de",
        agent.pk,
        "jonas@werk.example",
    )
    assert smtp_server.messages[0].rcpt_tos == ["jonas@werk.example"]
