"""Field-service pages: the engineer's phone view, the dispatcher's board, the work order
page and its one-tap actions, the case panel, the reports; scope and query budgets."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accord.core.testing import assert_num_queries, user_with_role
from accord.fieldservice import services, services_onsite, services_time
from accord.fieldservice.models import TimeEntry, WorkOrder
from accord.fieldservice.tests.factories import make_case, make_work_order
from accord.parties.tests.factories import make_company

pytestmark = pytest.mark.django_db

H = datetime.timedelta(hours=1)


def _today_at(hour: int, days: int = 0) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def manager():
    return user_with_role("service_manager")


@pytest.fixture
def engineer():
    return user_with_role("field_engineer")


def _visits(manager, engineer, count, days=0):
    return [
        make_work_order(
            actor=manager,
            lead=engineer,
            start=_today_at(8 + 2 * i, days),
            checklist=["Check pressure", "Clean burner"],
            instructions="Bring the ladder.",
        )
        for i in range(count)
    ]


def test_my_visits_shows_todays_and_tomorrows_own_visits_in_fixed_queries(
    client, manager, engineer
):
    other = user_with_role("field_engineer")
    _visits(manager, engineer, 1)
    make_work_order(actor=manager, lead=other, start=_today_at(9))
    client.force_login(engineer)
    url = reverse("fieldservice:my_visits")
    client.get(url)  # warm the session and permission caches
    with assert_num_queries(10) as one:
        response = client.get(url)
    assert response.status_code == 200
    _visits(manager, engineer, 2, days=1)
    with assert_num_queries(len(one.captured_queries)):
        response = client.get(url)
    body = response.content.decode()
    mine = WorkOrder.objects.filter(owner=engineer)
    assert all(wo.number in body for wo in mine)
    assert "Start travel" in body and 'capture="environment"' in body
    assert WorkOrder.objects.get(owner=other).number not in body


def test_one_tap_start_work_goes_back_to_the_phone_view(client, manager, engineer):
    (visit,) = _visits(manager, engineer, 1)
    client.force_login(engineer)
    back = reverse("fieldservice:my_visits")
    response = client.post(
        reverse("fieldservice:work_order_status", args=[visit.pk]),
        {"status": "in_progress", "next": back},
    )
    assert response.status_code == 302
    assert response["Location"] == back
    visit.refresh_from_db()
    assert visit.status == "in_progress"
    assert TimeEntry.objects.get().kind == "work"
    response = client.post(
        reverse("fieldservice:work_order_status", args=[visit.pk]),
        {"status": "scheduled", "next": "https://evil.example/"},
    )
    assert response["Location"] == visit.get_absolute_url()


def test_illegal_move_comes_back_as_a_message(client, manager, engineer):
    (visit,) = _visits(manager, engineer, 1)
    client.force_login(engineer)
    response = client.post(
        reverse("fieldservice:work_order_status", args=[visit.pk]), {"status": "done"}, follow=True
    )
    assert "A work order cannot go from “Scheduled” to “Done”." in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == "scheduled"


def test_stranger_gets_404_and_read_only_gets_403(client, manager, engineer):
    (visit,) = _visits(manager, engineer, 1)
    stranger = user_with_role("field_engineer")
    client.force_login(stranger)
    assert client.get(visit.get_absolute_url()).status_code == 404
    assert (
        client.post(
            reverse("fieldservice:work_order_status", args=[visit.pk]), {"status": "travelling"}
        ).status_code
        == 404
    )
    reader = user_with_role("read_only")
    client.force_login(reader)
    assert client.get(visit.get_absolute_url()).status_code == 200
    response = client.post(
        reverse("fieldservice:work_order_status", args=[visit.pk]), {"status": "travelling"}
    )
    assert response.status_code == 403
    visit.refresh_from_db()
    assert visit.status == "scheduled"
    assert not TimeEntry.objects.exists()


def test_detail_page_in_fixed_queries(client, manager, engineer):
    (visit,) = _visits(manager, engineer, 1)
    services_onsite.material_add(
        actor=engineer, work_order=visit, description="Gasket", quantity="1", unit_cost="10"
    )
    client.force_login(manager)
    client.get(visit.get_absolute_url())
    with assert_num_queries(14):
        response = client.get(visit.get_absolute_url())
    body = response.content.decode()
    assert "Gasket" in body and "Check pressure" in body


def test_manual_time_form_reports_negative_time(client, manager, engineer):
    (visit,) = _visits(manager, engineer, 1)
    client.force_login(engineer)
    response = client.post(
        reverse("fieldservice:time_add", args=[visit.pk]),
        {"kind": "work", "day": timezone.localdate().isoformat(), "start": "10:00", "end": "09:00"},
        follow=True,
    )
    assert "The end must be after the start: time cannot be negative." in response.content.decode()
    assert not TimeEntry.objects.exists()


def test_dispatch_flags_overlaps_and_lists_unscheduled(client, manager, engineer):
    first = make_work_order(actor=manager, lead=engineer, start=_today_at(9), hours=3)
    second = make_work_order(actor=manager, lead=engineer, start=_today_at(11), hours=1)
    apart = make_work_order(actor=manager, lead=engineer, start=_today_at(14), hours=1)
    waiting = make_work_order(actor=manager)
    client.force_login(manager)
    url = reverse("fieldservice:dispatch") + "?days=1&date=" + timezone.localdate().isoformat()
    client.get(url)
    with assert_num_queries(9):
        response = client.get(url)
    context = response.context
    assert context["conflict_count"] == 2
    flagged = {b["visit"].pk for _d, blocks in context["day_list"] for b in blocks if b["conflict"]}
    assert flagged == {first.pk, second.pk}
    assert apart.pk not in flagged
    assert [wo.pk for wo in context["unscheduled"]] == [waiting.pk]


def test_plan_form_schedules_and_warns(client, manager, engineer):
    make_work_order(actor=manager, lead=engineer, start=_today_at(9), hours=3)
    waiting = make_work_order(actor=manager)
    client.force_login(manager)
    response = client.post(
        reverse("fieldservice:work_order_schedule", args=[waiting.pk]),
        {
            "day": timezone.localdate().isoformat(),
            "start": "10:00",
            "end": "11:00",
            "lead_engineer": engineer.pk,
            "version": waiting.version,
        },
        follow=True,
    )
    assert response.status_code == 200
    waiting.refresh_from_db()
    assert waiting.owner_id == engineer.pk
    assert waiting.scheduled_start == _today_at(10)
    assert "already has" in response.content.decode()


def test_engineer_may_not_plan(client, manager, engineer):
    (visit,) = _visits(manager, engineer, 1)
    client.force_login(engineer)
    assert (
        client.get(reverse("fieldservice:work_order_schedule", args=[visit.pk])).status_code == 403
    )


def test_case_panel_and_new_work_order_from_case(client, manager, engineer):
    case = make_case()
    client.force_login(manager)
    panel = client.get(reverse("fieldservice:case_work_orders", args=[case.pk]))
    assert "New work order" in panel.content.decode()
    response = client.post(
        reverse("fieldservice:work_order_create"),
        {
            "case": case.pk,
            "day": timezone.localdate().isoformat(),
            "start": "09:00",
            "lead_engineer": engineer.pk,
            "site_address": "Lenina 1, Tver",
            "checklist": "Step one\nStep two",
        },
    )
    work_order = WorkOrder.objects.get(case=case)
    assert response["Location"] == work_order.get_absolute_url()
    assert work_order.site_address == "Lenina 1, Tver"
    assert work_order.checklist_items.count() == 2
    panel = client.get(reverse("fieldservice:case_work_orders", args=[case.pk]))
    assert work_order.number in panel.content.decode()


def test_cost_report_sums_and_csv_is_formula_safe(client, manager, engineer):
    company = make_company(owner=manager, name="=HYPERLINK(1)")
    visit = make_work_order(actor=manager, lead=engineer, case=make_case(company=company))
    start = timezone.now().replace(microsecond=0) - 3 * H
    services_time.time_add(
        actor=engineer, work_order=visit, started_at=start, ended_at=start + 2 * H
    )
    services_onsite.material_add(
        actor=engineer, work_order=visit, description="Pump", quantity="1", unit_cost="1000"
    )
    services.work_order_set_status(actor=engineer, work_order=visit, status="in_progress")
    services.work_order_set_status(actor=engineer, work_order=visit, status="done")
    client.force_login(manager)
    response = client.get(reverse("fieldservice:cost_report"))
    (row,) = response.context["report"].rows
    assert (row.visits, row.labour, row.materials) == (1, Decimal("7000.00"), Decimal("1000.00"))
    assert row.total >= Decimal("8000.00")
    assert str(row.labour) == "7000.00" and str(row.materials) == "1000.00"
    csv = b"".join(
        client.get(reverse("fieldservice:cost_report") + "?format=csv").streaming_content
    ).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in csv
    assert ",=HYPERLINK" not in csv


def test_cost_report_refuses_reversed_period(client, manager):
    client.force_login(manager)
    response = client.get(reverse("fieldservice:cost_report") + "?start=2026-05-10&end=2026-05-01")
    assert response.context["errors"] == ["The end of the period is before its start."]


def test_utilisation_counts_hours_and_visits(client, manager, engineer):
    visit = make_work_order(actor=manager, lead=engineer)
    start = timezone.now().replace(microsecond=0) - 5 * H
    services_time.time_add(
        actor=engineer, work_order=visit, started_at=start, ended_at=start + 2 * H
    )
    services_time.time_add(
        actor=engineer,
        work_order=visit,
        kind="travel",
        started_at=start + 2 * H,
        ended_at=start + 3 * H,
    )
    services.work_order_set_status(actor=engineer, work_order=visit, status="in_progress")
    services.work_order_set_status(actor=engineer, work_order=visit, status="done")
    client.force_login(manager)
    today = timezone.localdate().isoformat()
    response = client.get(
        reverse("fieldservice:utilisation_report") + f"?start={today}&end={today}"
    )
    row = next(r for r in response.context["rows"] if r.engineer.pk == engineer.pk)
    assert row.travel_hours == Decimal("1.00")
    assert row.work_hours >= Decimal("2.00")
    assert row.visits == 1


def test_client_card_panel_lists_visible_visits(client, manager, engineer):
    company = make_company(owner=manager, name="ООО Теплосервис")
    visit = make_work_order(actor=manager, lead=engineer, case=make_case(company=company))
    client.force_login(engineer)
    body = client.get(reverse("fieldservice:company_work_orders", args=[company.pk])).content
    assert visit.number in body.decode()
    stranger = user_with_role("field_engineer")
    client.force_login(stranger)
    body = client.get(reverse("fieldservice:company_work_orders", args=[company.pk])).content
    assert visit.number not in body.decode()


def test_checklist_settings_are_for_the_head_of_service(client, manager, engineer):
    client.force_login(engineer)
    assert client.get(reverse("fieldservice:checklist_templates")).status_code == 403
    client.force_login(manager)
    response = client.post(
        reverse("fieldservice:checklist_template_create"),
        {"name": "Boiler", "items": "Check pressure\nClean burner", "is_active": "on"},
    )
    assert response.status_code == 302
    page = client.get(reverse("fieldservice:checklist_templates")).content.decode()
    assert "Boiler" in page


def test_work_order_list_in_fixed_queries(client, manager, engineer):
    for _ in range(3):
        make_work_order(actor=manager, lead=engineer)
    client.force_login(manager)
    url = reverse("fieldservice:work_order_list")
    client.get(url)
    with assert_num_queries(7) as first:
        client.get(url)
    make_work_order(actor=manager, lead=engineer)
    with assert_num_queries(len(first.captured_queries)):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 4


def test_forms_render_and_edit_saves_with_version(client, manager, engineer):
    (visit,) = _visits(manager, engineer, 1)
    client.force_login(manager)
    for url in (
        reverse("fieldservice:work_order_create") + f"?case={visit.case_id}",
        reverse("fieldservice:work_order_edit", args=[visit.pk]),
        reverse("fieldservice:work_order_schedule", args=[visit.pk]),
        reverse("fieldservice:checklist_template_create"),
        reverse("fieldservice:work_order_list") + "?status=all&q=WO-" + str(visit.pk),
    ):
        assert client.get(url).status_code == 200, url
    response = client.post(
        reverse("fieldservice:work_order_edit", args=[visit.pk]),
        {"site_address": "Tverskaya 7", "travel_km": "-1", "version": visit.version},
    )
    assert "The distance cannot be negative." in response.content.decode()
    response = client.post(
        reverse("fieldservice:work_order_edit", args=[visit.pk]),
        {"site_address": "Tverskaya 7", "travel_km": "12,5", "version": visit.version},
    )
    assert response.status_code == 302
    stale = client.post(
        reverse("fieldservice:work_order_edit", args=[visit.pk]),
        {"site_address": "Elsewhere", "travel_km": "1", "version": visit.version},
    )
    assert "changed by someone else" in stale.content.decode()
    visit.refresh_from_db()
    assert (visit.site_address, visit.travel_km, visit.version) == (
        "Tverskaya 7",
        Decimal("12.5"),
        2,
    )


def test_labour_rates_page(client, manager, engineer):
    from accord.fieldservice.models import EngineerRate

    client.force_login(engineer)
    assert client.get(reverse("fieldservice:labour_rates")).status_code == 403
    client.force_login(manager)
    bad = client.post(reverse("fieldservice:labour_rates"), {f"rate-{engineer.pk}": "-5"})
    assert "The rate cannot be negative." in bad.content.decode()
    assert not EngineerRate.objects.exists()
    ok = client.post(reverse("fieldservice:labour_rates"), {f"rate-{engineer.pk}": "4200,50"})
    assert ok.status_code == 302
    assert EngineerRate.objects.get(user=engineer).hourly_rate == Decimal("4200.50")


def test_dispatch_shows_an_engineer_only_the_visits_they_may_see(client, manager, engineer):
    mine = make_work_order(actor=manager, lead=engineer, start=_today_at(9))
    other = make_work_order(
        actor=manager, lead=user_with_role("field_engineer"), start=_today_at(10)
    )
    client.force_login(engineer)
    response = client.get(reverse("fieldservice:dispatch") + "?days=1")
    shown = {b["visit"].pk for _d, blocks in response.context["day_list"] for b in blocks}
    assert shown == {mine.pk}
    assert other.pk not in shown
    assert response.context["can_plan"] is False


def test_cost_report_in_fixed_queries(client, manager, engineer):
    client.force_login(manager)
    url = reverse("fieldservice:cost_report")
    client.get(url)
    with assert_num_queries(6) as empty:
        client.get(url)
    for _ in range(2):
        visit = make_work_order(actor=manager, lead=engineer, case=make_case())
        services.work_order_set_status(actor=engineer, work_order=visit, status="in_progress")
        services.work_order_set_status(actor=engineer, work_order=visit, status="done")
    with assert_num_queries(len(empty.captured_queries)):
        response = client.get(url)
    assert len(response.context["report"].rows) == 2


def test_result_and_signature_from_the_phone(client, manager, engineer):
    (visit,) = _visits(manager, engineer, 1)
    client.force_login(engineer)
    back = reverse("fieldservice:my_visits")
    response = client.post(
        reverse("fieldservice:work_order_edit", args=[visit.pk]),
        {
            "next": back,
            "version": visit.version,
            "result_notes": "Burner cleaned, pressure OK.",
            "signed_by": "И. Петров",
            "travel_km": "18",
        },
    )
    assert response["Location"] == back
    visit.refresh_from_db()
    assert visit.instructions == "Bring the ladder."  # not sent, so not blanked
    assert (visit.result_notes, visit.signed_by, visit.travel_km) == (
        "Burner cleaned, pressure OK.",
        "И. Петров",
        Decimal("18.0"),
    )
