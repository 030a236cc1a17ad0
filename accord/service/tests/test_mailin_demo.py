"""The incoming-mail demo: real messages filed through the mail-in path, once."""

from __future__ import annotations

import pytest

from accord.core.testing import user_with_role
from accord.parties.tests.factories import make_contact
from accord.service.demo_mailin import seed_demo
from accord.service.models import Case, CaseAttachment, CaseMessage

pytestmark = pytest.mark.django_db


def test_demo_mail_is_filed_once():
    owner = user_with_role("service_manager")
    for index in range(3):
        make_contact(owner=owner, emails=[f"client{index}@demo.example"])

    counts = seed_demo()

    assert counts == {"mail_cases": 4, "mail_replies": 1, "mail_ignored": 2}
    assert Case.objects.count() == 4
    boiler = Case.objects.get(subject="Котёл остановился, ошибка F28")
    assert list(boiler.messages.values_list("body_text", flat=True))[-1] == (
        "Инженер приехал, котёл работает. Спасибо!"
    )
    french = Case.objects.get(subject="Imprimante grand format en panne")
    html = french.messages.get().body_html
    assert "<script" not in html
    logo = CaseAttachment.objects.get(message__case=french)
    assert f'<img src="/cases/files/{logo.pk}/" alt="logo">' in html
    assert CaseAttachment.objects.filter(name="Prüfbericht Lüftung №7.pdf").count() == 1
    assert seed_demo() == {}
    assert CaseMessage.objects.filter(case__in=Case.objects.all()).count() == 5
