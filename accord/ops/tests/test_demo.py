"""``accord demo``: idempotent, valid data, written through the services with audit."""

from __future__ import annotations

import datetime
import io
import zoneinfo

import phonenumbers
import pytest
from django.core.management import call_command
from django.utils import timezone
from stdnum.fr import siren as fr_siren
from stdnum.fr import siret as fr_siret
from stdnum.ru import inn as ru_inn
from stdnum.ru import ogrn as ru_ogrn

from accord.activities.models import Activity
from accord.core.models import AuditEntry, CustomFieldDefinition, User
from accord.ops import demo
from accord.parties.models import Company, Contact, ContactPoint
from accord.sales.models import Lead

SMALL = ["--companies", "12", "--contacts", "30", "--activities", "60"]
CONVERTED = 1  # the demo converts one lead into a new client with its contact (issue #3)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "companies": Company.objects.count(),
        "contacts": Contact.objects.count(),
        "activities": Activity.objects.count(),
        "audit": AuditEntry.objects.count(),
        "points": ContactPoint.objects.count(),
    }


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_demo_twice_creates_everything_once_and_prints_the_logins():
    first = _run(*SMALL)
    after_first = _counts()
    second = _run(*SMALL)

    assert _counts() == after_first
    assert after_first["companies"] == 12 + CONVERTED
    assert after_first["contacts"] == 30 + CONVERTED
    # 60 from the client base, plus the follow-up tasks the service desk's demo opens (low
    # survey scores, contract renewals), which depend on its clients' answers
    assert after_first["activities"] >= 60
    assert set(User.objects.values_list("username", flat=True)) == {
        "admin",
        "head",
        "manager",
        "manager2",
        "agent",
        "servicehead",
        "engineer",
        "marketing",
        "readonly",
        # the service desk's demo adds agents to its queues and a second engineer
        "agent2",
        "agent3",
        "expert",
        "expert2",
        "engineer2",
    }
    assert "Demo data created" in first
    assert "Demo data already loaded; nothing created." in second
    for text in (first, second):
        assert "http://127.0.0.1:8000/" in text
        assert "manager2     Sales manager    accord-demo" in text
    manager = User.objects.get(username="manager")
    assert manager.check_password(demo.DEMO_PASSWORD)
    assert (manager.language, manager.time_zone) == ("ru", "Europe/Moscow")
    assert list(manager.roles.values_list("code", flat=True)) == ["sales_manager"]
    assert list(manager.teams.values_list("name", flat=True)) == ["Moscow office"]
    manager2 = User.objects.get(username="manager2")
    assert (manager2.language, manager2.time_zone) == ("fr", "Europe/Paris")


@pytest.mark.django_db
def test_demo_data_is_valid_and_audited():
    _run(*SMALL)

    # The client made from a converted lead has what the lead had (no OGRN): checked apart.
    converted = Lead.objects.filter(status="converted").values("converted_company")
    companies = list(Company.objects.exclude(pk__in=converted))
    assert len(companies) == 12
    assert {c.country for c in companies} <= {"RU", "FR", "GB"}
    for company in companies:
        if company.country == "RU":
            assert ru_inn.is_valid(company.inn), company.inn
            assert ru_ogrn.is_valid(company.ogrn), company.ogrn
            assert len(company.kpp) == 9
        if company.country == "FR":
            assert fr_siren.is_valid(company.siren)
            assert fr_siret.is_valid(company.siret)
            assert company.siret.startswith(company.siren)
        assert company.search_text
        assert company.website.endswith(".example/")
    phones = ContactPoint.objects.filter(kind=ContactPoint.Kind.PHONE)
    assert phones.exists()
    for value in phones.values_list("normalized", flat=True):
        assert phonenumbers.is_valid_number(phonenumbers.parse(value, None)), value
    for value in ContactPoint.objects.filter(kind="email").values_list("normalized", flat=True):
        assert value.endswith(".example") and value == value.lower()
    created = AuditEntry.objects.filter(action=AuditEntry.Kind.CREATE, source="command")
    assert created.filter(object_type="company").count() == 12 + CONVERTED
    assert created.filter(object_type="contact").count() == 30 + CONVERTED
    # every activity, the service desk's follow-up tasks included, was created and audited
    assert created.filter(object_type="activity").count() == Activity.objects.count() >= 60
    assert set(CustomFieldDefinition.objects.values_list("model", "name")) == {
        ("company", "design_stage"),
        ("contact", "preferred_language"),
    }
    assert Company.objects.exclude(custom={}).exists()


@pytest.mark.django_db
def test_demo_fills_my_day_of_the_managers():
    _run(*SMALL)

    for username in ("manager", "manager2"):
        user = User.objects.get(username=username)
        zone = zoneinfo.ZoneInfo(user.time_zone)
        now = timezone.now().astimezone(zone)
        start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        end = start + datetime.timedelta(days=1)
        open_tasks = Activity.objects.filter(owner=user, kind="task", is_done=False)
        assert open_tasks.filter(at__gte=start, at__lt=end).count() >= 4
        assert open_tasks.filter(at__lt=start).count() >= 3
        assert Activity.objects.filter(
            owner=user, kind="meeting", at__gte=start, at__lt=end
        ).exists()
    assert Activity.objects.filter(kind="call", is_done=False).exclude(outcome="").exists()
    assert Activity.objects.filter(kind="task", is_done=True).exists()


@pytest.mark.django_db
def test_demo_keeps_an_existing_administrator_and_their_password():
    from accord.core.services import administrator_ensure

    administrator_ensure(username="admin", email="boss@crm.example", password="Own-secret-42")

    output = _run(*SMALL)

    admin = User.objects.get(username="admin")
    assert admin.check_password("Own-secret-42")
    assert "admin        Administrator    (your own)" in output
    assert Company.objects.count() == 12 + CONVERTED


@pytest.mark.django_db
def test_demo_prints_in_the_default_language_whatever_a_request_left_active():
    from django.utils import translation

    translation.activate("ru")
    try:
        output = _run(*SMALL)
    finally:
        translation.deactivate()

    assert "manager2     Sales manager    accord-demo" in output
