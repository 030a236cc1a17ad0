"""Service reports: exact figures on a known data set for each report, scoping by the cases
the viewer may see, the pages, the CSV export and the API."""

import csv
import datetime
import io
import zoneinfo
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accord.core.testing import TeamFactory, assert_num_queries, user_with_role
from accord.feedback.tests.helpers import answered_survey, default_queue, make_case
from accord.service.models import Case, Queue
from accord.servicereports import reports
from accord.servicereports.filters import parse_filter

pytestmark = pytest.mark.django_db
MSK = zoneinfo.ZoneInfo("Europe/Moscow")
H = datetime.timedelta(hours=1)


def at(month: int, day: int, hour: int = 12) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, tzinfo=MSK)


@pytest.fixture
def data(settings):
    settings.LANGUAGE_CODE = "en"
    head = user_with_role("service_manager")
    engineers = TeamFactory(name="Engineers")
    engineer = user_with_role("field_engineer", team=engineers)
    first = default_queue()
    second = Queue.objects.create(name="Engineers", name_ru="Инженеры", team=engineers, position=5)
    c1 = make_case(owner=head, channel="email", queue=first, created_at=at(9, 10))
    c2 = make_case(owner=head, channel="phone", queue=first, created_at=at(10, 3))
    c3 = make_case(
        owner=engineer,
        channel="email",
        queue=second,
        category_code="question",
        created_at=at(10, 20),
    )
    c4 = make_case(
        owner=engineer,
        channel="portal",
        queue=second,
        category_code="complaint",
        created_at=at(11, 15),
        status=Case.Status.WAITING,
    )
    make_case(owner=head, channel="email", queue=first, created_at=at(8, 20), status="new")
    Case.objects.filter(pk=c1.pk).update(
        first_responded_at=at(9, 10, 14),
        resolved_at=at(9, 10, 22),
        status="resolved",
        first_response_due_at=at(9, 10, 16),
        resolution_due_at=at(9, 11),
    )
    Case.objects.filter(pk=c2.pk).update(
        first_responded_at=at(10, 3, 16),
        resolved_at=at(10, 3, 12) + 30 * H,
        status="closed",
        first_response_due_at=at(10, 3, 14),
        resolution_due_at=at(10, 4),
        first_response_breached=True,
        resolution_breached=True,
    )
    Case.objects.filter(pk=c3.pk).update(
        first_responded_at=at(10, 20, 13),
        first_response_due_at=at(10, 20, 16),
        resolution_due_at=at(12, 1),
    )
    Case.objects.filter(pk=c4.pk).update(first_responded_at=at(11, 15, 18))
    survey = answered_survey(c3, score=4)
    from accord.feedback.models import Survey

    Survey.objects.filter(pk=survey.pk).update(created_at=at(10, 21))
    return {"head": head, "engineer": engineer, "first": first, "second": second}


def _filter(user, **params):
    params = {"from": "2026-09-01", "to": "2026-11-30", **params}
    _form, report_filter = parse_filter(params, user)
    assert report_filter is not None
    return report_filter


def _table(report):
    return [[row.get(column.key) for column in report.columns] for row in report.rows]


def test_volume_by_channel_per_month(data):
    report = reports.volume_by_channel(data["head"], _filter(data["head"]))

    assert [str(c.label) for c in report.columns] == [
        "Month",
        "Phone",
        "E-mail",
        "Client portal",
        "Total",
    ]
    assert _table(report) == [
        [datetime.date(2026, 9, 1), 0, 1, 0, 1],
        [datetime.date(2026, 10, 1), 1, 1, 0, 2],
        [datetime.date(2026, 11, 1), 0, 0, 1, 1],
    ]
    assert report.summary[0][1] == 4


def test_volume_by_category_per_week_for_short_periods(data):
    report = reports.volume_by_category(
        data["head"], _filter(data["head"], **{"from": "2026-10-01", "to": "2026-10-31"})
    )

    assert [str(c.label) for c in report.columns] == [
        "Week of",
        "Question",
        "Fault or breakdown",
        "Total",
    ]
    assert _table(report) == [
        [datetime.date(2026, 9, 28), 0, 1, 1],
        [datetime.date(2026, 10, 5), 0, 0, 0],
        [datetime.date(2026, 10, 12), 0, 0, 0],
        [datetime.date(2026, 10, 19), 1, 0, 1],
        [datetime.date(2026, 10, 26), 0, 0, 0],
    ]


def test_first_response_and_resolution_times(data):
    report = reports.response_times(data["head"], _filter(data["head"]))

    d = Decimal
    assert _table(report) == [
        ["First line", 2, d("3.0"), d("3.8"), 2, d("20.0"), d("28.0")],
        ["Engineers", 2, d("3.5"), d("5.5"), 0, None, None],
        ["Total", 4, d("3.0"), d("5.4"), 2, d("20.0"), d("28.0")],
    ]


def test_sla_compliance(data):
    report = reports.sla_compliance(data["head"], _filter(data["head"]))

    d = Decimal
    assert _table(report) == [
        ["First line", 2, 1, d("50.0"), 2, 1, d("50.0")],
        ["Engineers", 1, 1, d("100.0"), 1, 1, d("100.0")],
        ["Total", 3, 2, d("66.7"), 3, 2, d("66.7")],
    ]


def test_backlog_age_by_queue(data):
    now = timezone.now()
    second = data["second"]
    for hours in (2, 50, 24 * 10, 24 * 40):
        make_case(owner=data["head"], queue=second, created_at=now - hours * H, status="new")
    make_case(owner=data["head"], queue=second, created_at=now - 5 * H, status="resolved")

    report = reports.backlog_age(data["head"], _filter(data["head"]))

    # First line: the case of 20 August (open, "new"); Engineers: c3 (in progress, from
    # 20 October), c4 (waiting, 15 November) and the four above.
    rows = {row["queue"]: row for row in report.rows}
    assert rows["Engineers"]["total"] == 6
    assert rows["Engineers"]["age_0_1"] == 1 and rows["Engineers"]["age_1_3"] == 1
    assert rows["First line"]["total"] == 1 and rows["First line"]["age_30"] == 1
    assert rows["Total"]["total"] == 7
    assert sum(rows["Total"][key] for key, *_r in reports.BACKLOG_BUCKETS) == 7


def test_satisfaction_per_month(data):
    report = reports.satisfaction(data["head"], _filter(data["head"]))

    assert _table(report) == [
        [datetime.date(2026, 10, 1), 1, 1, Decimal("100.0"), Decimal("4.00"), 0]
    ]


def test_reports_count_only_the_cases_the_viewer_may_see(data):
    engineer = data["engineer"]  # sees his team's cases: the "Engineers" queue

    volume = reports.volume_by_channel(engineer, _filter(engineer))
    sla = reports.sla_compliance(engineer, _filter(engineer))

    assert [row["total"] for row in volume.rows] == [0, 1, 1]
    assert [row["queue"] for row in sla.rows] == ["Engineers", "Total"]


def test_filters_by_queue_and_agent(data):
    by_queue = reports.volume_by_channel(
        data["head"], _filter(data["head"], queue=str(data["first"].pk))
    )
    by_agent = reports.volume_by_channel(
        data["head"], _filter(data["head"], agent=str(data["engineer"].pk))
    )

    assert by_queue.summary[0][1] == 2 and by_agent.summary[0][1] == 2


def test_queue_names_in_the_readers_language(data):
    from django.utils.translation import override

    with override("ru"):
        report = reports.sla_compliance(data["head"], _filter(data["head"]))
    assert report.rows[1]["queue"] == "Инженеры"


def test_pages_cards_and_query_budget(data, client):
    client.force_login(data["head"])
    query = "from=2026-09-01&to=2026-11-30"
    client.get(reverse("servicereports:dashboard"))

    dashboard = client.get(reverse("servicereports:dashboard") + "?" + query)
    assert dashboard.status_code == 200
    assert dashboard.content.decode().count("/card/?") == len(reports.REPORTS)
    for slug in reports.REPORTS:
        assert (
            client.get(reverse("servicereports:card", args=[slug]) + "?" + query).status_code == 200
        )
    with assert_num_queries(10):
        page = client.get(reverse("servicereports:report", args=["sla"]) + "?" + query)
    assert page.status_code == 200
    assert "66.7" in page.content.decode()


def test_bad_filters_are_refused_naming_the_field(data, client):
    client.force_login(data["head"])

    response = client.get(reverse("servicereports:report", args=["times"]), {"from": "2026-13-01"})
    unknown = client.get(reverse("servicereports:report", args=["times"]), {"queue": "999999"})

    assert response.status_code == 400 and "Enter a valid date." in response.content.decode()
    assert unknown.status_code == 400
    assert "Choose one of the listed options." in unknown.content.decode()
    assert client.get(reverse("servicereports:report", args=["nope"])).status_code == 404


def test_no_case_permission_no_reports(data, client):
    client.force_login(user_with_role("marketing"))

    assert client.get(reverse("servicereports:dashboard")).status_code == 403
    assert client.get("/api/service/reports/sla").status_code == 403


def test_csv_export(data, client):
    client.force_login(data["head"])

    response = client.get(
        reverse("servicereports:report", args=["times"]),
        {"from": "2026-09-01", "to": "2026-11-30", "format": "csv"},
    )

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["Queue", "Answered", "First response, median (h)"]
    assert rows[1:] == [
        ["First line", "2", "3.0", "3.8", "2", "20.0", "28.0"],
        ["Engineers", "2", "3.5", "5.5", "0", "", ""],
        ["Total", "4", "3.0", "5.4", "2", "20.0", "28.0"],
    ]


def test_api(data, client):
    client.force_login(data["head"])

    body = client.get("/api/service/reports/sla", {"from": "2026-09-01", "to": "2026-11-30"}).json()
    bad = client.get("/api/service/reports/sla", {"from": "2026-11-30", "to": "2026-09-01"})

    assert body["rows"][-1] == {
        "queue": "Total",
        "first_targets": 3,
        "first_met": 2,
        "first_rate": "66.7",
        "resolve_targets": 3,
        "resolve_met": 2,
        "resolve_rate": "66.7",
    }
    assert bad.status_code == 422
    assert bad.json()["detail"] == [
        {"field": "to", "messages": ["The end of the period is before its start."]}
    ]
