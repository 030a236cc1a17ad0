"""Every report's figures on the hand-made dataset (see dataset.py), computed by hand."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from accord.analytics import queries
from accord.analytics.filters import ReportFilter, require_filter
from accord.analytics.tests.dataset import MSK, Dataset, build
from accord.core.testing import assert_num_queries, user_with_role

pytestmark = pytest.mark.django_db

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


@pytest.fixture
def data(settings) -> Dataset:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build()


def march(data: Dataset, viewer=None, **params: str):
    viewer = viewer or data.head
    return require_filter({**MARCH, **params}, viewer)


def rows(report, *keys):
    return [tuple(row[k] for k in keys) for row in report.rows]


def test_pipeline_value_by_stage_per_currency(data):
    report = queries.pipeline_report(data.head, march(data))

    assert rows(report, "stage", "currency", "deals", "amount", "weighted") == [
        ("Design contracts · Enquiry", "RUB", 1, D("1000.00"), D("100.00")),
        ("Design contracts · Commercial proposal", "EUR", 1, D("500.00"), D("200.00")),
        ("Design contracts · Negotiation", "RUB", 1, D("2000.00"), D("1200.00")),
        ("Equipment · Offer", "EUR", 1, D("300.00"), D("90.00")),
    ]
    assert [(s.name, s.values) for s in report.chart.series] == [
        ("EUR", [None, D("500.00"), None, D("300.00")]),
        ("RUB", [D("1000.00"), None, D("2000.00"), None]),
    ]
    assert report.summary[1:] == [
        ("Weighted", D("290.00"), "money", "EUR"),
        ("Weighted", D("1300.00"), "money", "RUB"),
    ]


def test_pipeline_filtered_by_pipeline_shows_stage_names_alone(data):
    report = queries.pipeline_report(data.head, march(data, pipeline=str(data.equipment.pk)))

    assert rows(report, "stage", "currency", "deals", "weighted") == [
        ("Offer", "EUR", 1, D("90.00"))
    ]


def test_forecast_by_month_with_won_amount_in_the_readers_time_zone(data):
    report = queries.forecast_report(data.head, march(data))

    # W2 won at 23:30 Moscow on 31 March counts for March; X1 at 00:30 on 1 April does not.
    assert rows(report, "month", "currency", "deals", "amount", "weighted", "won_deals", "won") == [
        (datetime.date(2026, 3, 1), "EUR", 2, D("800.00"), D("290.00"), 1, D("1000.00")),
        (datetime.date(2026, 3, 1), "RUB", 1, D("1000.00"), D("100.00"), 1, D("3000.00")),
    ]


def test_forecast_months_cover_the_whole_period(data):
    report = queries.forecast_report(data.head, march(data, to="2026-04-30"))

    assert rows(report, "month", "currency", "weighted", "won") == [
        (datetime.date(2026, 3, 1), "EUR", D("290.00"), D("1000.00")),
        (datetime.date(2026, 3, 1), "RUB", D("100.00"), D("3000.00")),
        (datetime.date(2026, 4, 1), "RUB", D("1200.00"), D("9999.00")),
    ]
    assert report.chart.labels == [datetime.date(2026, 3, 1), datetime.date(2026, 4, 1)]


def test_win_rate_by_count_and_amount_overall_and_per_manager(data):
    report = queries.win_rate_report(data.head, march(data))

    assert rows(
        report, "manager", "currency", "won", "lost", "rate", "won_amount", "lost_amount",
        "amount_rate",
    ) == [
        ("All managers", "EUR", 1, 2, D("33.3"), D("1000.00"), D("900.00"), D("52.6")),
        ("All managers", "RUB", 1, 1, D("50.0"), D("3000.00"), D("1500.00"), D("66.7")),
        ("Anna Alpha", "RUB", 1, 1, D("50.0"), D("3000.00"), D("1500.00"), D("66.7")),
        ("Boris Beta", "EUR", 1, 2, D("33.3"), D("1000.00"), D("900.00"), D("52.6")),
    ]  # fmt: skip
    assert report.summary == [("Win rate", D("40.0"), "percent", "")]


def test_average_sales_cycle(data):
    report = queries.cycle_report(data.head, march(data))

    assert rows(report, "manager", "deals", "days") == [
        ("All managers", 2, D("15.0")),
        ("Anna Alpha", 1, D("10.0")),
        ("Boris Beta", 1, D("20.0")),
    ]


def test_funnel_counts_deals_that_got_at_least_as_far_as_each_stage(data):
    report = queries.funnel_report(data.head, march(data))

    # Created in March in the design pipeline: D1 (enquiry), D2 (negotiation), W1 (won,
    # skipping two stages), W2 (won, no recorded moves), X1 (won), L1 (lost after the
    # commercial proposal).
    assert rows(report, "stage", "deals", "of_first", "conversion") == [
        ("Enquiry", 6, D("100.0"), None),
        ("Technical assignment", 5, D("83.3"), D("83.3")),
        ("Commercial proposal", 5, D("83.3"), D("100.0")),
        ("Negotiation", 4, D("66.7"), D("80.0")),
        ("Contract", 3, D("50.0"), D("75.0")),
        ("Won", 3, D("50.0"), D("100.0")),
    ]


def test_funnel_of_another_pipeline(data):
    report = queries.funnel_report(data.head, march(data, pipeline=str(data.equipment.pk)))

    # D4 is open in "Offer"; L3 was lost with no recorded moves, so it reached nothing.
    assert rows(report, "stage", "deals") == [("Offer", 1), ("Won", 0)]


def test_breakdown_by_region(data):
    report = queries.regions_report(data.head, march(data))

    assert rows(report, "region", "currency", "leads", "deals", "amount", "won_deals", "won") == [
        ("North", "RUB", 1, 4, D("15999.00"), 1, D("3000.00")),
        ("South", "EUR", 1, 3, D("1500.00"), 1, D("1000.00")),
        ("Not set", "RUB", 0, 1, D("1500.00"), 0, D("0.00")),
    ]


def test_breakdown_by_region_in_the_readers_language(data):
    with translation.override("ru"):
        report = queries.regions_report(data.head, march(data))

    assert [row["region"] for row in report.rows][:2] == ["Север", "South"]


def test_breakdown_by_source(data):
    report = queries.sources_report(data.head, march(data))

    assert rows(report, "source", "currency", "leads", "deals", "amount", "won_deals", "won") == [
        ("Website", "RUB", 1, 5, D("17499.00"), 1, D("3000.00")),
        ("Referral", "EUR", 1, 1, D("1000.00"), 1, D("1000.00")),
        ("Not set", "EUR", 0, 2, D("500.00"), 0, D("0.00")),
    ]


def test_lost_reasons(data):
    report = queries.lost_reasons_report(data.head, march(data))

    assert rows(report, "reason", "currency", "deals", "amount") == [
        ("Price too high", "EUR", 1, D("700.00")),
        ("Price too high", "RUB", 1, D("1500.00")),
        ("No reason given", "EUR", 1, D("200.00")),
    ]
    assert report.chart.labels == ["Price too high", "No reason given"]
    assert report.chart.series[0].values == [2, 1]


def test_repeat_purchases_exclude_cancelled_orders(data):
    report = queries.repeat_report(data.head, march(data))

    assert rows(
        report, "currency", "clients", "repeat_clients", "orders", "revenue", "repeat_revenue",
        "share",
    ) == [
        ("EUR", 1, 0, 1, D("50.00"), D("0.00"), D("0.0")),
        ("RUB", 2, 1, 3, D("370.00"), D("300.00"), D("81.1")),
    ]  # fmt: skip
    assert report.summary == [
        ("Clients who ordered", 3, "int", ""),
        ("Repeat clients", 1, "int", ""),
    ]


def test_retention_against_the_previous_period_of_equal_length(data):
    report = queries.retention_report(data.head, march(data))

    assert report.rows == [
        {
            "previous_start": datetime.date(2026, 1, 29),
            "previous_end": datetime.date(2026, 2, 28),
            "previous_clients": 3,
            "current_clients": 3,
            "retained": 2,
            "new_clients": 1,
            "rate": D("66.7"),
        }
    ]


def test_activity_per_manager(data):
    report = queries.activity_report(data.head, march(data))

    assert rows(report, "manager", "calls", "reached", "meetings", "tasks", "total") == [
        ("Anna Alpha", 2, 1, 1, 1, 4),
        ("Boris Beta", 1, 1, 1, 0, 2),
    ]


# --- scoping --------------------------------------------------------------------------------


def test_a_sales_manager_sees_only_own_and_team_figures(data):
    anna = data.anna
    pipeline = queries.pipeline_report(anna, march(data, anna))
    win_rate = queries.win_rate_report(anna, march(data, anna))
    retention = queries.retention_report(anna, march(data, anna))
    activity = queries.activity_report(anna, march(data, anna))

    assert rows(pipeline, "stage", "currency", "amount") == [
        ("Enquiry", "RUB", D("1000.00")),
        ("Negotiation", "RUB", D("2000.00")),
    ]
    assert rows(win_rate, "manager", "won", "lost") == [
        ("All managers", 1, 1),
        ("Anna Alpha", 1, 1),
    ]
    assert rows(retention, "previous_clients", "current_clients", "retained", "rate") == [
        (2, 2, 1, D("50.0"))
    ]
    assert rows(activity, "manager", "total") == [("Anna Alpha", 4)]


def test_a_deal_shared_with_the_team_counts_for_the_teammate(data):
    colleague = user_with_role("sales_manager", team=data.team_b, first_name="Carl")
    data.deals["D3"].team = data.team_b
    data.deals["D3"].save(update_fields=["team"])

    report = queries.pipeline_report(colleague, march(data, colleague))

    # Boris's deals are visible through his company to nobody else; D3 is shared with the team.
    assert rows(report, "stage", "currency", "amount") == [
        ("Commercial proposal", "EUR", D("500.00"))
    ]


def test_filters_by_team_and_manager(data):
    by_team = queries.win_rate_report(data.head, march(data, team=str(data.team_b.pk)))
    by_owner = queries.cycle_report(data.head, march(data, owner=str(data.anna.pk)))

    assert rows(by_team, "manager", "won", "lost") == [
        ("All managers", 1, 2),
        ("Boris Beta", 1, 2),
    ]
    assert rows(by_owner, "manager", "days") == [
        ("All managers", D("10.0")),
        ("Anna Alpha", D("10.0")),
    ]


def test_a_manager_may_not_filter_by_another_team_or_manager(data):
    with pytest.raises(ValidationError) as error:
        march(data, data.anna, team=str(data.team_b.pk), owner=str(data.boris.pk))

    assert set(error.value.message_dict) == {"team", "owner"}


def test_each_report_runs_in_a_few_queries(data):
    report_filter = march(data)
    budgets = {
        "pipeline": 1,
        "forecast": 2,
        "win-rate": 1,
        "cycle": 1,
        "funnel": 3,  # with no pipeline chosen, the default one is looked up
        "regions": 2,
        "sources": 2,
        "lost-reasons": 1,
        "repeat": 2,
        "retention": 1,
        "activity": 2,
    }
    for slug, budget in budgets.items():
        with assert_num_queries(budget):
            queries.run_report(slug, data.head, report_filter)


def test_an_empty_period_gives_empty_reports_not_errors(data):
    report_filter = ReportFilter(datetime.date(2030, 1, 1), datetime.date(2030, 1, 31), MSK)
    for slug in queries.REPORTS:
        report = queries.run_report(slug, data.head, report_filter)
        if slug == "funnel":
            assert [row["deals"] for row in report.rows] == [0] * 6
        elif slug == "retention":
            assert report.rows[0]["rate"] is None
        elif slug != "pipeline":
            assert report.rows == [] or all(row.get("deals", 0) == 0 for row in report.rows), slug
