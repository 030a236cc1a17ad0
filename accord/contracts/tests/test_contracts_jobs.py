"""The daily job: expiry of ended contracts and renewal reminders, idempotent."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accord.activities.models import Activity
from accord.contracts.models import ServiceContract
from accord.contracts.services import contracts_expire, contracts_remind
from accord.contracts.tasks import run_daily
from accord.contracts.tests.factories import make_contract
from accord.core.models import AuditEntry, Notification
from accord.core.testing import user_with_role
from accord.parties.tests.factories import make_company

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def today() -> datetime.date:
    return timezone.localdate()


@pytest.fixture
def owner():
    return user_with_role("service_manager")


@pytest.fixture
def acme(owner):
    return make_company(owner=owner, name="Acme")


def test_reminders_go_to_contracts_inside_their_notice_period_once(owner, acme, today):
    due = make_contract(acme, starts_on=today - 300 * DAY, ends_on=today + 20 * DAY, owner=owner)
    not_yet = make_contract(acme, starts_on=today, ends_on=today + 40 * DAY, owner=owner)
    long_notice = make_contract(
        acme, starts_on=today, ends_on=today + 40 * DAY, owner=owner, renewal_notice_days=60
    )
    make_contract(acme, starts_on=today, ends_on=today + 5 * DAY, owner=owner, active=False)
    assert contracts_remind(today) == 2
    assert contracts_remind(today) == 0
    tasks = Activity.objects.filter(kind=Activity.Kind.TASK).order_by("subject")
    assert [t.subject for t in tasks] == [
        f"Renew service contract {due.number} (Acme)",
        f"Renew service contract {long_notice.number} (Acme)",
    ]
    assert {t.owner for t in tasks} == {owner}
    assert {t.company for t in tasks} == {acme}
    notes = Notification.objects.filter(user=owner).order_by("id")
    assert [n.url for n in notes] == [due.get_absolute_url(), long_notice.get_absolute_url()]
    due.refresh_from_db()
    not_yet.refresh_from_db()
    assert due.renewal_reminded_at is not None
    assert not_yet.renewal_reminded_at is None
    assert (
        AuditEntry.objects.filter(
            object_type="service_contract", object_id=due.pk, message="Renewal reminder sent"
        ).count()
        == 1
    )


def test_no_reminder_when_the_renewal_is_signed_already(owner, acme, today):
    from accord.contracts.services import contract_renew

    contract = make_contract(
        acme, starts_on=today - 300 * DAY, ends_on=today + 10 * DAY, owner=owner
    )
    renewal = contract_renew(actor=owner, contract=contract)
    ServiceContract.objects.filter(pk=renewal.pk).update(status=ServiceContract.Status.ACTIVE)
    assert contracts_remind(today) == 0
    assert not Activity.objects.exists()


def test_expiry_turns_ended_active_contracts_expired(owner, acme, today):
    ended = make_contract(acme, starts_on=today - 30 * DAY, ends_on=today - DAY)
    running = make_contract(acme, starts_on=today - 30 * DAY, ends_on=today)
    cancelled = make_contract(acme, starts_on=today - 30 * DAY, ends_on=today - DAY, active=False)
    ServiceContract.objects.filter(pk=cancelled.pk).update(status=ServiceContract.Status.CANCELLED)
    assert run_daily() == (1, 1)
    assert run_daily() == (0, 0)
    statuses = dict(ServiceContract.objects.values_list("pk", "status"))
    assert statuses == {ended.pk: "expired", running.pk: "active", cancelled.pk: "cancelled"}
    entry = AuditEntry.objects.get(object_type="service_contract", object_id=ended.pk, source="job")
    assert entry.changes == {"status": ["active", "expired"]}


def test_command_runs_the_same_work(owner, acme, today):
    make_contract(acme, starts_on=today - 30 * DAY, ends_on=today + 3 * DAY)
    out = StringIO()
    call_command("contracts-remind", "--date", (today + 10 * DAY).isoformat(), stdout=out)
    assert out.getvalue().strip() == "expired: 1, reminded: 0"
    assert contracts_expire(today + 10 * DAY) == 0
