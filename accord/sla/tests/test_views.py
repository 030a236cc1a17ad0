"""The SLA pages: case panel, settings (policies, calendars, holidays), compliance report."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accord.core.models import AuditEntry, Team
from accord.core.testing import assert_num_queries, user_with_role
from accord.service.models import Case
from accord.sla.models import Holiday, SlaPolicy, SlaTarget, WorkCalendar
from accord.sla.tests.factories import make_case, make_policy, only_policy

pytestmark = pytest.mark.django_db


def client_for(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


# --- case panel ------------------------------------------------------------------------------


def test_case_panel_shows_targets_time_left_and_met() -> None:
    only_policy(make_policy(name="Gold", targets={"normal": (60, 480)}))
    agent = user_with_role("service_agent")
    now = timezone.now()
    case = make_case(created_at=now - datetime.timedelta(minutes=1), owner=agent)
    Case.objects.filter(pk=case.pk).update(first_responded_at=now)
    response = client_for(agent).get(reverse("sla:case_panel", args=[case.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Policy: Gold" in html
    assert 'data-state="met"' in html
    assert 'data-state="running"' in html or 'data-state="paused"' in html or "due" in html


def test_case_panel_overdue_paused_and_missed_states() -> None:
    only_policy(make_policy(name="Gold", targets={"normal": (60, 480)}))
    agent = user_with_role("service_agent")
    old = timezone.now() - datetime.timedelta(days=30)
    case = make_case(created_at=old, owner=agent)
    html = client_for(agent).get(reverse("sla:case_panel", args=[case.pk])).content.decode()
    assert html.count('data-state="overdue"') == 2
    assert "overdue by" in html
    Case.objects.filter(pk=case.pk).update(status="waiting", sla_paused_at=timezone.now())
    html = client_for(agent).get(reverse("sla:case_panel", args=[case.pk])).content.decode()
    assert 'data-state="paused"' in html
    assert "waiting for the client" in html
    Case.objects.filter(pk=case.pk).update(
        status="resolved",
        resolved_at=timezone.now(),
        resolution_breached=True,
        first_response_breached=True,
        sla_paused_at=None,
    )
    html = client_for(agent).get(reverse("sla:case_panel", args=[case.pk])).content.decode()
    assert html.count('data-state="missed"') == 2


def test_case_panel_without_policy() -> None:
    SlaPolicy.objects.update(is_active=False)
    agent = user_with_role("service_agent")
    case = make_case(created_at=timezone.now(), owner=agent)
    html = client_for(agent).get(reverse("sla:case_panel", args=[case.pk])).content.decode()
    assert "No SLA policy applies" in html


def test_case_panel_is_404_for_a_case_the_user_may_not_see() -> None:
    engineer = user_with_role("field_engineer")
    case = make_case(created_at=timezone.now(), owner=user_with_role("service_agent"))
    response = client_for(engineer).get(reverse("sla:case_panel", args=[case.pk]))
    assert response.status_code == 404


def test_case_panel_query_count() -> None:
    only_policy(make_policy(targets={"normal": (60, 480)}))
    agent = user_with_role("service_agent")
    case = make_case(created_at=timezone.now(), owner=agent)
    client = client_for(agent)
    client.get(reverse("sla:case_panel", args=[case.pk]))
    # session, user, grants, case (with policy), calendar, hours, holidays, unread count
    with assert_num_queries(8):
        client.get(reverse("sla:case_panel", args=[case.pk]))


# --- settings --------------------------------------------------------------------------------


def test_settings_pages_are_for_administrators_and_the_head_of_service() -> None:
    for role, status in (("service_agent", 403), ("service_manager", 200), ("administrator", 200)):
        client = client_for(user_with_role(role))
        assert client.get(reverse("sla:settings")).status_code == status
        assert client.get(reverse("sla:policy_create")).status_code == status
        calendar = WorkCalendar.objects.first()
        assert calendar is not None
        assert client.get(reverse("sla:calendar_edit", args=[calendar.pk])).status_code == status


def _policy_post(calendar: WorkCalendar, **extra: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Key accounts",
        "name_ru": "Ключевые клиенты",
        "name_fr": "Grands comptes",
        "name_de": "Schlüsselkunden",
        "calendar": calendar.pk,
        "warn_at_percent": 75,
        "is_active": "on",
        "urgent_first_response_hours": "0",
        "urgent_first_response_minutes": "15",
        "urgent_resolution_hours": "4",
        "urgent_resolution_minutes": "0",
        "normal_first_response_hours": "2",
        "normal_first_response_minutes": "30",
        "normal_resolution_hours": "16",
        "normal_resolution_minutes": "",
    }
    data.update(extra)
    return data


def test_policy_create_with_targets_in_hours_and_minutes() -> None:
    manager = user_with_role("service_manager")
    calendar = WorkCalendar.objects.get(is_default=True)
    response = client_for(manager).post(reverse("sla:policy_create"), _policy_post(calendar))
    assert response.status_code == 302
    policy = SlaPolicy.objects.get(name="Key accounts")
    assert policy.name_de == "Schlüsselkunden"
    assert policy.warn_at_percent == 75
    assert {
        t.priority: (t.first_response_minutes, t.resolution_minutes)
        for t in SlaTarget.objects.filter(policy=policy)
    } == {"urgent": (15, 240), "normal": (150, 960)}
    entry = AuditEntry.objects.get(object_type="sla.slapolicy", object_id=policy.pk)
    assert entry.changes["target_urgent"] == [None, [15, 240]]


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"warn_at_percent": "100"}, "warn_at_percent", "less than or equal to 99"),
        ({"urgent_first_response_minutes": "75"}, "urgent_first_response_minutes", "59"),
        (
            {"urgent_resolution_hours": "", "urgent_resolution_minutes": ""},
            "urgent_first_response_hours",
            "Give both the first-response and the resolution target, or neither.",
        ),
        (
            {"urgent_first_response_minutes": "0"},
            "urgent_first_response_hours",
            "The target must be at least a minute.",
        ),
        (
            {"normal_resolution_hours": "1"},
            "normal_resolution_hours",
            "Resolution cannot be due before the first response.",
        ),
    ],
)
def test_policy_bad_input_is_refused_and_nothing_saved(
    extra: dict[str, str], field: str, message: str
) -> None:
    manager = user_with_role("service_manager")
    calendar = WorkCalendar.objects.get(is_default=True)
    before = SlaPolicy.objects.count()
    response = client_for(manager).post(
        reverse("sla:policy_create"), _policy_post(calendar, **extra)
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any(message in error for error in errors[field])
    assert SlaPolicy.objects.count() == before
    assert not SlaTarget.objects.filter(policy__name="Key accounts").exists()


def test_policy_edit_refuses_a_stale_version() -> None:
    manager = user_with_role("service_manager")
    calendar = WorkCalendar.objects.get(is_default=True)
    policy = make_policy(calendar=calendar, name="Old")
    client = client_for(manager)
    url = reverse("sla:policy_edit", args=[policy.pk])
    assert client.post(url, _policy_post(calendar, version=1, name="New")).status_code == 302
    policy.refresh_from_db()
    assert (policy.name, policy.version) == ("New", 2)
    response = client.post(url, _policy_post(calendar, version=1, name="Stale"))
    assert response.status_code == 200
    assert "Someone else changed this policy" in response.content.decode()
    policy.refresh_from_db()
    assert policy.name == "New"


def test_agent_cannot_post_a_policy() -> None:
    agent = user_with_role("service_agent")
    calendar = WorkCalendar.objects.get(is_default=True)
    before = SlaPolicy.objects.count()
    response = client_for(agent).post(reverse("sla:policy_create"), _policy_post(calendar))
    assert response.status_code == 403
    assert SlaPolicy.objects.count() == before


def test_policy_move_changes_the_order() -> None:
    admin = user_with_role("administrator")
    first = make_policy(position=0, name="First")
    second = make_policy(position=1, name="Second")
    client_for(admin).post(reverse("sla:policy_move", args=[second.pk]), {"direction": "up"})
    names = list(SlaPolicy.objects.order_by("position", "id").values_list("name", flat=True))
    assert names.index("Second") < names.index("First")
    # Standard (0), First (0), Second (1) → Standard, Second, First: only First's place changes.
    moved = AuditEntry.objects.get(object_type="sla.slapolicy", object_id=first.pk)
    assert moved.changes == {"position": [0, 2]}
    assert not AuditEntry.objects.filter(object_type="sla.slapolicy", object_id=second.pk).exists()


def test_calendar_create_with_lunch_break_and_saturday() -> None:
    admin = user_with_role("administrator")
    data = {
        "name": "Paris office",
        "time_zone": "Europe/Paris",
        "country": "FR",
        **{f"day_{d}": "9:00-12:30, 13:30-18:00" for d in range(5)},
        "day_5": "10-14",
        "day_6": "",
    }
    response = client_for(admin).post(reverse("sla:calendar_create"), data)
    assert response.status_code == 302
    calendar = WorkCalendar.objects.get(name="Paris office")
    hours = list(calendar.hours.order_by("weekday", "start").values_list("weekday", "start", "end"))
    assert len(hours) == 11
    assert hours[0] == (0, datetime.time(9), datetime.time(12, 30))
    assert hours[-1] == (5, datetime.time(10), datetime.time(14))


@pytest.mark.parametrize(
    "hours", ["18:00-9:00", "9:00-13:00, 12:00-18:00", "nine to five", "25:00-26:00"]
)
def test_calendar_bad_hours_are_refused_and_nothing_saved(hours: str) -> None:
    admin = user_with_role("administrator")
    data = {"name": "Broken", "time_zone": "Europe/Paris", "day_0": hours}
    response = client_for(admin).post(reverse("sla:calendar_create"), data)
    assert response.status_code == 200
    assert "Write intervals as 9:00-13:00, 14:00-18:00" in str(
        response.context["form"].errors["day_0"]
    )
    assert not WorkCalendar.objects.filter(name="Broken").exists()


def test_calendar_without_any_hours_is_refused() -> None:
    admin = user_with_role("administrator")
    response = client_for(admin).post(
        reverse("sla:calendar_create"), {"name": "Empty", "time_zone": "Europe/Paris"}
    )
    assert "at least one day" in str(response.context["form"].errors["day_0"])
    assert not WorkCalendar.objects.filter(name="Empty").exists()


def test_add_a_working_saturday_and_remove_it() -> None:
    manager = user_with_role("service_manager")
    calendar = WorkCalendar.objects.get(is_default=True)
    client = client_for(manager)
    response = client.post(
        reverse("sla:holiday_add", args=[calendar.pk]),
        {"date": "2027-02-20", "name": "Worked Saturday", "is_working_day": "on"},
    )
    assert response.status_code == 302
    holiday = Holiday.objects.get(calendar=calendar, date=datetime.date(2027, 2, 20))
    assert holiday.is_working_day is True
    again = client.post(
        reverse("sla:holiday_add", args=[calendar.pk]), {"date": "2027-02-20", "name": "x"}
    )
    assert again.status_code == 200
    assert "already in the calendar" in str(again.context["holiday_form"].errors["date"])
    client.post(reverse("sla:holiday_delete", args=[holiday.pk]))
    assert not Holiday.objects.filter(pk=holiday.pk).exists()


def test_load_public_holidays_page() -> None:
    manager = user_with_role("service_manager", language="ru")
    calendar = WorkCalendar.objects.get(is_default=True)
    client = client_for(manager)
    response = client.post(reverse("sla:holidays_load", args=[calendar.pk]), {"year": "2027"})
    assert response.status_code == 302
    names = dict(
        Holiday.objects.filter(calendar=calendar, date__year=2027).values_list("date", "name")
    )
    assert names[datetime.date(2027, 1, 7)] == "Рождество Христово"
    page = client.get(reverse("sla:calendar_edit", args=[calendar.pk]) + "?year=2027")
    assert "Рождество Христово" in page.content.decode()
    bad = client.post(reverse("sla:holidays_load", args=[calendar.pk]), {"year": "1800"})
    assert bad.status_code == 200
    assert bad.context["load_form"].errors["year"]


# --- compliance ------------------------------------------------------------------------------


def _decided_cases() -> tuple[object, object]:
    policy = only_policy(make_policy(name="Std", targets={"normal": (60, 480), "high": (30, 240)}))
    team = Team.objects.create(name="Desk")
    agent = user_with_role("service_agent", team=team)
    opened = timezone.now() - datetime.timedelta(days=3)
    met = make_case(created_at=opened, owner=agent, team=team)
    Case.objects.filter(pk=met.pk).update(
        first_responded_at=opened, status="resolved", resolved_at=opened
    )
    missed = make_case(created_at=opened, owner=agent, team=team, priority="high")
    Case.objects.filter(pk=missed.pk).update(first_response_breached=True, resolution_breached=True)
    make_case(created_at=timezone.now(), owner=agent, team=team)  # undecided
    return policy, agent


def test_compliance_by_priority_and_totals() -> None:
    _policy, agent = _decided_cases()
    response = client_for(agent).get(reverse("sla:compliance") + "?group=priority")
    assert response.status_code == 200
    rows = {row.key: row for row in response.context["rows"]}
    assert (rows["normal"].cases, rows["normal"].first_met, rows["normal"].first_total) == (2, 1, 1)
    assert (rows["high"].first_met, rows["high"].first_total) == (0, 1)
    total = response.context["total"]
    assert (total.cases, total.first_percent, total.resolution_percent) == (3, 50, 50)
    assert "<svg" in response.content.decode()


def test_compliance_groups_and_query_count() -> None:
    _policy, agent = _decided_cases()
    client = client_for(agent)
    for group in ("month", "week", "queue", "agent", "policy", "priority"):
        response = client.get(reverse("sla:compliance") + f"?group={group}")
        assert response.context["total"].cases == 3, group
    client.get(reverse("sla:compliance") + "?group=agent")
    # session, user, grants, report, agent names, 2 role checks (menu), unread count
    with assert_num_queries(8):
        client.get(reverse("sla:compliance") + "?group=agent")


def test_compliance_counts_only_visible_cases() -> None:
    _decided_cases()
    engineer = user_with_role("field_engineer")
    response = client_for(engineer).get(reverse("sla:compliance"))
    assert response.context["total"].cases == 0


def test_compliance_is_404_without_case_access() -> None:
    assert client_for(user_with_role("marketing")).get(reverse("sla:compliance")).status_code == 404


def test_compliance_csv_is_formula_safe() -> None:
    policy, agent = _decided_cases()
    SlaPolicy.objects.filter(pk=policy.pk).update(name="=HYPERLINK(1)")  # type: ignore[attr-defined]
    response = client_for(agent).get(reverse("sla:compliance") + "?group=policy&format=csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    lines = text.splitlines()
    assert lines[0].startswith("Policy,Cases,First response met")
    assert lines[1] == "'=HYPERLINK(1),3,1,2,50.0,1,2,50.0"
    assert lines[2] == "Total,3,1,2,50.0,1,2,50.0"


def test_compliance_end_before_start_is_reported() -> None:
    _policy, agent = _decided_cases()
    response = client_for(agent).get(reverse("sla:compliance") + "?start=2026-12-31&end=2026-01-01")
    assert "The end of the period is before its start." in response.content.decode()


def test_compliance_counts_an_unflagged_overdue_case_as_missed() -> None:
    only_policy(make_policy(targets={"normal": (60, 480)}))
    agent = user_with_role("service_manager")
    make_case(created_at=timezone.now() - datetime.timedelta(days=20), owner=agent)
    response = client_for(agent).get(reverse("sla:compliance") + "?group=priority")
    total = response.context["total"]
    assert (total.first_met, total.first_total, total.resolution_met, total.resolution_total) == (
        0,
        1,
        0,
        1,
    )


def test_compliance_leaves_out_merged_duplicates_and_unanswered_closed_cases() -> None:
    only_policy(make_policy(targets={"normal": (60, 480)}))
    agent = user_with_role("service_manager")
    old = timezone.now() - datetime.timedelta(days=20)
    primary = make_case(created_at=old, owner=agent)
    Case.objects.filter(pk=primary.pk).update(
        status="closed", resolved_at=old, closed_at=old, first_responded_at=old
    )
    duplicate = make_case(created_at=old, owner=agent)
    Case.objects.filter(pk=duplicate.pk).update(status="closed", merged_into=primary)
    closed_unanswered = make_case(created_at=old, owner=agent)
    Case.objects.filter(pk=closed_unanswered.pk).update(status="closed", resolved_at=old)
    response = client_for(agent).get(reverse("sla:compliance") + "?group=priority")
    total = response.context["total"]
    assert (total.cases, total.first_met, total.first_total) == (2, 1, 1)
    assert (total.resolution_met, total.resolution_total) == (2, 2)


def test_settings_list_shows_targets_in_hours_most_urgent_first() -> None:
    html = client_for(user_with_role("administrator")).get(reverse("sla:settings")).content.decode()
    urgent = html.index("Urgent: 30 min / 4 h 00 min")
    assert urgent < html.index("High: 1 h 00 min / 9 h 00 min")
    assert html.index("Normal: 4 h 00 min / 27 h 00 min") < html.index(
        "Low: 9 h 00 min / 45 h 00 min"
    )
