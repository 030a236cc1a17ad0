"""Settings services: public holidays loading, calendars, policies; permissions and audit."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.utils import translation
from django.utils.translation import gettext

from accord.core.errors import ConflictError
from accord.core.models import AuditEntry, PicklistOption
from accord.core.testing import user_with_role
from accord.sla import services
from accord.sla.models import Holiday, SlaPolicy, WorkCalendar
from accord.sla.tests.factories import make_calendar

pytestmark = pytest.mark.django_db


def test_load_russian_holidays_with_transferred_working_saturday() -> None:
    manager = user_with_role("service_manager")
    calendar = make_calendar(country="RU")
    added = services.holidays_load(actor=manager, calendar=calendar, year=2027, language="ru")
    days = {h.date: h for h in Holiday.objects.filter(calendar=calendar)}
    assert len(added) == len(days)
    assert days[datetime.date(2027, 1, 7)].name == "Рождество Христово"
    assert days[datetime.date(2027, 1, 7)].is_working_day is False
    saturday = days[datetime.date(2027, 2, 20)]
    with translation.override("ru"):
        assert (saturday.is_working_day, saturday.name) == (
            True,
            gettext("Transferred working day"),
        )
    entry = AuditEntry.objects.get(object_type="sla.workcalendar", object_id=calendar.pk)
    assert entry.actor == manager
    assert len(entry.changes["holidays"][1]) == len(days)


def test_loading_twice_adds_nothing_and_keeps_days_entered_by_hand() -> None:
    admin = user_with_role("administrator")
    calendar = make_calendar(country="RU")
    services.holiday_add(
        actor=admin, calendar=calendar, date=datetime.date(2026, 1, 7), name="Our own name"
    )
    first = services.holidays_load(actor=admin, calendar=calendar, year=2026, language="en")
    assert datetime.date(2026, 1, 7) not in {h.date for h in first}
    assert services.holidays_load(actor=admin, calendar=calendar, year=2026) == []
    assert Holiday.objects.get(calendar=calendar, date=datetime.date(2026, 1, 7)).name == (
        "Our own name"
    )
    assert Holiday.objects.get(calendar=calendar, date=datetime.date(2026, 6, 12)).name == (
        "Russia Day"
    )


def test_french_holidays_in_french_and_german_falls_back_to_english() -> None:
    admin = user_with_role("administrator")
    paris = make_calendar(tz="Europe/Paris", country="FR")
    services.holidays_load(actor=admin, calendar=paris, year=2026, language="fr")
    assert Holiday.objects.get(calendar=paris, date=datetime.date(2026, 7, 14)).name == (
        "Fête nationale"
    )
    berlin = make_calendar(tz="Europe/Paris", country="FR")
    services.holidays_load(actor=admin, calendar=berlin, year=2026, language="de")
    assert Holiday.objects.get(calendar=berlin, date=datetime.date(2026, 7, 14)).name == (
        "National Day"
    )


def test_load_holidays_bad_input() -> None:
    admin = user_with_role("administrator")
    calendar = make_calendar()
    with pytest.raises(ValidationError) as error:
        services.holidays_load(actor=admin, calendar=calendar, year=2026)
    assert "country" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.holidays_load(actor=admin, calendar=calendar, year=3000, country="FR")
    assert error.value.message_dict["year"] == ["Enter a year between 1990 and 2100."]
    assert not Holiday.objects.filter(calendar=calendar).exists()


def test_agents_may_not_change_settings_and_nothing_changes() -> None:
    agent = user_with_role("service_agent")
    calendar = make_calendar(country="RU")
    with pytest.raises(PermissionDenied):
        services.holidays_load(actor=agent, calendar=calendar, year=2026)
    with pytest.raises(PermissionDenied):
        services.holiday_add(actor=agent, calendar=calendar, date=datetime.date(2026, 5, 5))
    with pytest.raises(PermissionDenied):
        services.policy_create(actor=agent, fields={"name": "X", "calendar": calendar})
    with pytest.raises(PermissionDenied):
        services.calendar_set_hours(actor=agent, calendar=calendar, week={0: "10-11"})
    assert not Holiday.objects.filter(calendar=calendar).exists()
    assert calendar.hours.count() == 5
    assert not SlaPolicy.objects.filter(name="X").exists()


def test_load_holidays_command() -> None:
    calendar = make_calendar(country="RU")
    out = io.StringIO()
    call_command("load-holidays", "--calendar", str(calendar.pk), "--year", "2027", stdout=out)
    count = Holiday.objects.filter(calendar=calendar).count()
    assert out.getvalue().strip() == f"{count} days added to {calendar.name}."
    assert AuditEntry.objects.get(object_type="sla.workcalendar", object_id=calendar.pk).source == (
        "command"
    )
    with pytest.raises(CommandError, match="No calendar with id 999999"):
        call_command("load-holidays", "--calendar", "999999", "--year", "2027")
    with pytest.raises(CommandError, match="year"):
        call_command("load-holidays", "--calendar", str(calendar.pk), "--year", "1500")


def test_calendar_default_moves_and_used_calendar_cannot_be_deleted() -> None:
    admin = user_with_role("administrator")
    old_default = WorkCalendar.objects.get(is_default=True)
    new = services.calendar_create(
        actor=admin, fields={"name": "Lyon", "time_zone": "Europe/Paris", "is_default": True}
    )
    assert WorkCalendar.objects.get(is_default=True) == new
    old_default.refresh_from_db()
    assert old_default.is_default is False
    with pytest.raises(ValidationError) as error:
        services.calendar_delete(actor=admin, calendar=old_default)  # the seeded policy uses it
    assert "calendar" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.calendar_create(actor=admin, fields={"name": "X", "country": "DE"})
    assert "country" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.calendar_create(actor=admin, fields={"name": "X", "colour": "red"})
    assert error.value.message_dict == {"colour": ["Unknown field."]}


def test_policy_tier_must_be_a_client_tier_and_stale_edit_is_refused() -> None:
    admin = user_with_role("administrator")
    calendar = WorkCalendar.objects.get(is_default=True)
    region = PicklistOption.objects.filter(picklist="region").first()
    if region is not None:
        with pytest.raises(ValidationError) as error:
            services.policy_create(
                actor=admin, fields={"name": "Bad", "calendar": calendar, "tier": region}
            )
        assert error.value.message_dict["tier"] == ["Not a client tier."]
    policy = services.policy_create(
        actor=admin, fields={"name": "Good", "calendar": calendar}, targets={"low": (60, 600)}
    )
    services.policy_update(actor=admin, policy=policy, fields={"name": "Better"}, version=1)
    with pytest.raises(ConflictError):
        services.policy_update(actor=admin, policy=policy, fields={"name": "Stale"}, version=1)
    policy.refresh_from_db()
    assert (policy.name, policy.version) == ("Better", 2)
