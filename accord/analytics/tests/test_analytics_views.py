"""Report pages, dashboard cards, CSV export and the API: permissions, query budgets, filter
validation and safe exports."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.urls import reverse

from accord.analytics.tests.dataset import MSK, Dataset, build
from accord.core.models import PicklistOption
from accord.core.testing import assert_num_queries, user_with_role

pytestmark = pytest.mark.django_db

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
SLUGS = [
    "pipeline",
    "forecast",
    "win-rate",
    "cycle",
    "funnel",
    "regions",
    "sources",
    "lost-reasons",
    "repeat",
    "retention",
    "activity",
]


@pytest.fixture
def data(settings) -> Dataset:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build()


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_dashboard_shows_filters_and_a_card_per_report(client, data):
    client.force_login(data.head)
    url = reverse("analytics:dashboard")

    with assert_num_queries(8):
        response = client.get(url, MARCH)

    html = response.content.decode()
    assert response.status_code == 200
    for slug in SLUGS:
        assert reverse("analytics:card", args=[slug]) + "?from=2026-03-01&amp;to=2026-03-31" in html
    assert 'name="from"' in html and 'name="team"' in html and "South office" in html


def test_a_manager_cannot_filter_by_other_teams(client, data):
    client.force_login(data.anna)

    response = client.get(reverse("analytics:dashboard"), MARCH)

    html = response.content.decode()
    assert "North office" in html
    assert "South office" not in html
    assert "Boris" not in html


@pytest.mark.parametrize("slug", SLUGS)
def test_each_report_page_and_card_within_its_query_budget(client, data, slug):
    client.force_login(data.head)
    budgets = {
        "funnel": 3,
        "forecast": 2,
        "regions": 2,
        "sources": 2,
        "repeat": 2,
        "activity": 2,
    }
    report_queries = budgets.get(slug, 1)

    # session, user, grants, unread notifications, is_administrator (menu), the pipeline
    # select, team and manager selects; then the report's own queries
    with assert_num_queries(8 + report_queries):
        page = client.get(reverse("analytics:report", args=[slug]), MARCH)
    # session, user, grants, unread notifications, then the report
    with assert_num_queries(4 + report_queries):
        card = client.get(reverse("analytics:card", args=[slug]), MARCH)

    assert page.status_code == 200
    assert card.status_code == 200
    assert 'table class="list responsive report-table"' in page.content.decode()
    assert "<script" not in page.content.decode().split("<main")[1]


def test_report_page_shows_the_chart_and_the_same_figures_in_a_table(client, data):
    client.force_login(data.head)

    response = client.get(reverse("analytics:report", args=["win-rate"]), MARCH)

    html = response.content.decode()
    assert "<svg" in html and 'viewBox="0 0 800 400"' in html
    assert '<td data-label="Win rate by count" class="num">33.3\xa0%</td>' in html
    assert '<td data-label="Won amount" class="num">€1,000.00</td>' in html


def test_report_page_in_russian_formats_numbers_and_months(client, data):
    data.head.language = "ru"
    data.head.save(update_fields=["language"])
    client.force_login(data.head)

    response = client.get(
        reverse("analytics:report", args=["forecast"]), MARCH, HTTP_ACCEPT_LANGUAGE="ru"
    )

    html = response.content.decode()
    assert "март 2026" in html.lower()
    assert "3\xa0000,00\xa0₽" in html


def test_filter_from_after_to_is_refused_naming_from(client, data):
    client.force_login(data.head)

    response = client.get(
        reverse("analytics:report", args=["pipeline"]), {"from": "2026-04-01", "to": "2026-03-01"}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_from_errors"' in html
    assert "The start of the period must not be after its end." in html


def test_bad_dates_are_named(client, data):
    client.force_login(data.head)

    response = client.get(
        reverse("analytics:report", args=["pipeline"]), {"from": "2026-02-30", "to": "soon"}
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_from_errors"' in html and 'id="id_to_errors"' in html
    assert "Enter a valid date." in html


def test_only_one_date_is_refused(client, data):
    client.force_login(data.head)

    response = client.get(reverse("analytics:report", args=["pipeline"]), {"from": "2026-03-01"})

    assert response.status_code == 400
    assert 'id="id_to_errors"' in response.content.decode()


def test_unknown_report_is_404(client, data):
    client.force_login(data.head)

    assert client.get(reverse("analytics:report", args=["salaries"])).status_code == 404


def test_reports_need_permission_to_see_the_records(client, data):
    agent_without_orders = user_with_role("marketing")  # deals yes, orders no
    client.force_login(agent_without_orders)

    assert client.get(reverse("analytics:report", args=["win-rate"]), MARCH).status_code == 200
    assert client.get(reverse("analytics:report", args=["repeat"]), MARCH).status_code == 403
    dashboard = client.get(reverse("analytics:dashboard"), MARCH).content.decode()
    assert reverse("analytics:card", args=["win-rate"]) in dashboard
    assert reverse("analytics:card", args=["repeat"]) not in dashboard


def test_csv_export_of_a_report(client, data):
    client.force_login(data.head)

    response = client.get(
        reverse("analytics:report", args=["win-rate"]), {**MARCH, "format": "csv"}
    )

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "report-win-rate-2026-03-01-2026-03-31.csv" in response["Content-Disposition"]
    assert read_csv(response) == [
        [
            "Manager",
            "Currency",
            "Won",
            "Lost",
            "Win rate by count",
            "Won amount",
            "Lost amount",
            "Win rate by amount",
        ],
        ["All managers", "EUR", "1", "2", "33.3", "1000.00", "900.00", "52.6"],
        ["All managers", "RUB", "1", "1", "50.0", "3000.00", "1500.00", "66.7"],
        ["Anna Alpha", "RUB", "1", "1", "50.0", "3000.00", "1500.00", "66.7"],
        ["Boris Beta", "EUR", "1", "2", "33.3", "1000.00", "900.00", "52.6"],
    ]


def test_csv_export_refused_without_export_permission(client, data):
    reader = user_with_role("read_only")  # sees all deals, may export nothing
    client.force_login(reader)
    url = reverse("analytics:report", args=["lost-reasons"])

    assert client.get(url, MARCH).status_code == 200
    response = client.get(url, {**MARCH, "format": "csv"})

    assert response.status_code == 403
    assert "Export CSV" not in client.get(url, MARCH).content.decode()


def test_csv_export_is_safe_against_formula_injection(client, data):
    PicklistOption.objects.filter(pk=data.options["price"].pk).update(
        label='=HYPERLINK("http://evil.example","click")'
    )
    data.anna.first_name = "@SUM(A1)"
    data.anna.save(update_fields=["first_name"])
    client.force_login(data.head)

    lost = read_csv(
        client.get(reverse("analytics:report", args=["lost-reasons"]), {**MARCH, "format": "csv"})
    )
    cycle = read_csv(
        client.get(reverse("analytics:report", args=["cycle"]), {**MARCH, "format": "csv"})
    )

    assert lost[1][0] == '\'=HYPERLINK("http://evil.example","click")'
    assert cycle[2][0] == "'@SUM(A1) Alpha"


def test_csv_export_uses_the_export_scope(client, data):
    # Anna may see and export her team's deals: Boris's deals stay out of her export.
    client.force_login(data.anna)

    rows = read_csv(
        client.get(reverse("analytics:report", args=["cycle"]), {**MARCH, "format": "csv"})
    )

    assert rows[1:] == [["All managers", "1", "10.0"], ["Anna Alpha", "1", "10.0"]]


# --- API ------------------------------------------------------------------------------------


def test_api_returns_the_figures_with_decimal_strings(client, data):
    client.force_login(data.head)

    response = client.get("/api/reports/forecast", MARCH)

    assert response.status_code == 200
    body = response.json()
    assert body["filter"] == {
        "start": "2026-03-01",
        "end": "2026-03-31",
        "pipeline": None,
        "team": None,
        "owner": None,
    }
    assert body["rows"] == [
        {
            "month": "2026-03-01",
            "currency": "EUR",
            "deals": 2,
            "amount": "800.00",
            "weighted": "290.00",
            "won_deals": 1,
            "won": "1000.00",
        },
        {
            "month": "2026-03-01",
            "currency": "RUB",
            "deals": 1,
            "amount": "1000.00",
            "weighted": "100.00",
            "won_deals": 1,
            "won": "3000.00",
        },
    ]


def test_api_is_scoped_to_the_viewer(client, data):
    client.force_login(data.anna)

    body = client.get("/api/reports/activity", MARCH).json()

    assert [row["manager"] for row in body["rows"]] == ["Anna Alpha"]


def test_api_refuses_a_bad_period_naming_the_field(client, data):
    client.force_login(data.head)

    response = client.get("/api/reports/pipeline", {"from": "2026-04-01", "to": "2026-03-01"})

    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {"field": "from", "messages": ["The start of the period must not be after its end."]}
        ]
    }


def test_api_unknown_report_and_forbidden_report(client, data):
    client.force_login(user_with_role("marketing"))

    assert client.get("/api/reports/salaries", MARCH).status_code == 404
    assert client.get("/api/reports/retention", MARCH).status_code == 403


def test_period_presets_are_links_and_fill_the_dates(client, data):
    from accord.analytics.filters import preset_range

    client.force_login(data.head)
    today = datetime.datetime.now(MSK).date()
    start, end = preset_range("year", today)

    response = client.get(reverse("analytics:report", args=["win-rate"]), {"period": "year"})

    html = response.content.decode()
    assert '<a class="pill current" href="?period=year" aria-current="true">' in html
    assert f'value="{start.isoformat()}"' in html and f'value="{end.isoformat()}"' in html


def test_preset_ranges():
    from accord.analytics.filters import preset_range

    day = datetime.date(2026, 11, 23)
    assert preset_range("month", day) == (datetime.date(2026, 11, 1), datetime.date(2026, 11, 30))
    assert preset_range("quarter", day) == (
        datetime.date(2026, 10, 1),
        datetime.date(2026, 12, 31),
    )
    assert preset_range("year", day) == (datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))
    assert preset_range("last12", day) == (
        datetime.date(2025, 12, 1),
        datetime.date(2026, 11, 30),
    )


def test_unknown_period_preset_is_named(client, data):
    client.force_login(data.head)

    page = client.get(reverse("analytics:report", args=["cycle"]), {"period": "decade"})
    api = client.get("/api/reports/cycle", {"period": "decade"})

    assert page.status_code == 400
    assert 'id="id_period_errors"' in page.content.decode()
    assert api.status_code == 422
    assert api.json()["detail"][0]["field"] == "period"
