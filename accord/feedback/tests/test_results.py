"""Results page, CSV export, case panel, complaint mark and the API: exact figures on a known
data set, scoped by the cases the viewer may see."""

import csv
import io

import pytest
from django.urls import reverse

from accord.core.errors import ConflictError
from accord.core.models import AuditEntry
from accord.core.testing import TeamFactory, assert_num_queries, user_with_role
from accord.feedback import services
from accord.feedback.models import Survey, SurveyOptOut
from accord.feedback.results import feedback_results
from accord.feedback.tests.helpers import answered_survey, make_case
from accord.parties.tests.factories import make_company
from accord.servicereports.filters import parse_filter

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(settings):
    settings.LANGUAGE_CODE = "en"
    team_a, team_b = TeamFactory(name="Line A"), TeamFactory(name="Line B")
    alice = user_with_role("service_agent", team=team_a, first_name="Alice", last_name="Arnaud")
    boris = user_with_role("service_agent", team=team_b, first_name="Boris", last_name="Belov")
    head = user_with_role("service_manager")
    company = make_company(owner=head, name="Uralproekt")
    cases = {
        "a5": make_case(owner=alice, team=team_a, company=company),
        "a2": make_case(owner=alice, team=team_a, company=company),
        "b4": make_case(owner=boris, team=team_b, company=company, category_code="complaint"),
        "b_none": make_case(owner=boris, team=team_b, company=company, category_code="question"),
        "b_declined": make_case(owner=boris, team=team_b, company=company),
    }
    answered_survey(cases["a5"], score=5, comment='=HYPERLINK("http://evil")')
    low = answered_survey(cases["a2"], score=None)
    services.survey_answer(survey=low, score=2, comment="Slow")
    answered_survey(cases["b4"], score=4, is_complaint=True)
    answered_survey(cases["b_none"], score=None)
    answered_survey(cases["b_declined"], score=None, declined=True)
    SurveyOptOut.objects.create(email="gone@client.example", company=company, source="survey")
    return {"alice": alice, "boris": boris, "head": head, "team_a": team_a, "cases": cases}


def _filter(user, **params):
    _form, report_filter = parse_filter(params, user)
    assert report_filter is not None
    return report_filter


def test_figures_on_a_known_data_set(data):
    result = feedback_results(data["head"], _filter(data["head"]))

    assert (result.sent, result.answered, result.declined) == (5, 3, 1)
    assert str(result.average) == "3.67"
    assert str(result.response_rate) == "60.0"
    assert [(s, n, str(p)) for s, n, p in result.distribution] == [
        (5, 1, "33.3"),
        (4, 1, "33.3"),
        (3, 0, "0.0"),
        (2, 1, "33.3"),
        (1, 0, "0.0"),
    ]
    assert [
        (r["name"], r["sent"], r["answered"], str(r["average"]), r["low"], r["declined"])
        for r in result.per_agent
    ] == [("Alice Arnaud", 2, 2, "3.50", 1, 0), ("Boris Belov", 3, 1, "4.00", 0, 1)]
    assert [(r["name"], r["sent"], r["answered"]) for r in result.per_category] == [
        ("Question", 1, 0),
        ("Fault or breakdown", 3, 2),
        ("Complaint", 1, 1),
    ]
    assert [(r["sent"], r["answered"], str(r["response_rate"])) for r in result.per_month] == [
        (5, 3, "60.0")
    ]
    assert [s.score for s in result.low_scores] == [2] and result.low_open == 1
    assert (result.complaint_cases, result.complaint_surveys, result.complaints) == (1, 1, 2)
    assert (result.opt_outs, result.refusals) == (1, 2)


def test_filters_narrow_by_agent_and_category(data):
    by_agent = feedback_results(data["head"], _filter(data["head"], agent=str(data["boris"].pk)))
    assert (by_agent.sent, by_agent.answered, by_agent.declined) == (3, 1, 1)

    complaint = data["cases"]["b4"].category
    by_category = feedback_results(data["head"], _filter(data["head"], category=str(complaint.pk)))
    assert (by_category.sent, by_category.complaint_cases) == (1, 1)


def test_a_team_scoped_viewer_sees_only_its_teams_surveys(data):
    engineer = user_with_role("field_engineer", team=data["team_a"])

    result = feedback_results(engineer, _filter(engineer))

    assert (result.sent, result.answered, str(result.average)) == (2, 2, "3.50")
    assert result.complaint_cases == 0


def test_results_page_and_its_query_budget(data, client):
    client.force_login(data["head"])
    client.get(reverse("feedback:results"))  # warm caches (content types, sessions)

    with assert_num_queries(18):
        response = client.get(reverse("feedback:results"))

    assert response.status_code == 200
    body = response.content.decode()
    assert "3.67 / 5" in body and "60.0 %" in body and "Alice Arnaud" in body
    assert "Slow" in body


def test_a_bad_period_is_refused_naming_the_field(data, client):
    client.force_login(data["head"])

    response = client.get(reverse("feedback:results"), {"from": "2026-05-01", "to": "2026-04-01"})

    assert response.status_code == 400
    assert "The end of the period is before its start." in response.content.decode()


def test_no_case_permission_no_results(data, client):
    client.force_login(user_with_role("marketing"))

    assert client.get(reverse("feedback:results")).status_code == 403


def test_csv_export_is_formula_safe_and_scoped(data, client):
    client.force_login(data["head"])

    response = client.get(reverse("feedback:results"), {"format": "csv", "from": "2020-01-01"})

    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["Survey", "Case or order", "Client"]
    assert len(rows) == 6
    comments = [row[10] for row in rows[1:]]
    assert '\'=HYPERLINK("http://evil")' in comments


def test_case_panel_shows_the_rating_and_hides_invisible_cases(data, client):
    case = data["cases"]["a2"]
    client.force_login(data["alice"])

    client.get(reverse("feedback:case_panel", args=[case.pk]))
    # session, user, grants, case, survey with task and agent, unread notifications
    with assert_num_queries(6):
        response = client.get(reverse("feedback:case_panel", args=[case.pk]))

    assert response.status_code == 200
    body = response.content.decode()
    assert "2 of 5" in body and "Slow" in body and "Mark as a complaint" in body
    outsider = user_with_role("field_engineer", team=TeamFactory(name="Elsewhere"))
    client.force_login(outsider)
    assert client.get(reverse("feedback:case_panel", args=[case.pk])).status_code == 404


def test_marking_a_complaint_needs_the_change_permission(data, client):
    survey = Survey.objects.get(case=data["cases"]["a5"])
    client.force_login(data["boris"])  # sees all cases, changes only his team's

    response = client.post(
        reverse("feedback:survey_complaint", args=[survey.pk]), {"is_complaint": "1"}
    )

    assert response.status_code == 403
    survey.refresh_from_db()
    assert survey.is_complaint is False
    assert not AuditEntry.objects.filter(
        object_type="feedback.survey", actor=data["boris"]
    ).exists()


def test_marking_a_complaint_is_audited_and_versioned(data):
    survey = Survey.objects.get(case=data["cases"]["a5"])

    marked = services.survey_mark_complaint(
        actor=data["alice"], survey=survey, is_complaint=True, expected_version=survey.version
    )

    assert marked.is_complaint is True and marked.version == survey.version + 1
    entry = AuditEntry.objects.get(object_type="feedback.survey", actor=data["alice"])
    assert entry.changes == {"is_complaint": [False, True]}
    with pytest.raises(ConflictError):
        services.survey_mark_complaint(
            actor=data["alice"], survey=survey, is_complaint=False, expected_version=survey.version
        )
    unanswered = Survey.objects.get(case=data["cases"]["b_none"])
    with pytest.raises(services.ValidationError) as error:
        services.survey_mark_complaint(actor=data["head"], survey=unanswered, is_complaint=True)
    assert error.value.message_dict == {
        "is_complaint": ["Only an answered survey can be marked as a complaint."]
    }


def test_api_lists_surveys_and_results(data, client):
    client.force_login(data["head"])

    listing = client.get("/api/feedback/surveys", {"answered": "true"})
    results = client.get("/api/feedback/results")
    bad = client.get("/api/feedback/results", {"from": "nonsense"})

    assert listing.status_code == 200, listing.content
    assert sorted(item["score"] or 0 for item in listing.json()["items"]) == [0, 2, 4, 5]
    body = results.json()
    assert (body["sent"], body["answered"], body["average"], body["response_rate"]) == (
        5,
        3,
        "3.67",
        "60.0",
    )
    assert body["complaints"] == {"cases": 1, "surveys": 1, "total": 2}
    assert body["refusals"] == {"declined": 1, "opt_outs": 1, "total": 2}
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "from"


def test_api_complaint_mark_and_scope(data, client):
    survey = Survey.objects.get(case=data["cases"]["a5"])
    client.force_login(data["alice"])

    response = client.post(
        f"/api/feedback/surveys/{survey.pk}/complaint",
        {"is_complaint": True, "version": survey.version},
        content_type="application/json",
    )

    assert response.status_code == 200 and response.json()["is_complaint"] is True
    outsider = user_with_role("field_engineer", team=TeamFactory(name="Elsewhere"))
    client.force_login(outsider)
    assert client.get(f"/api/feedback/surveys/{survey.pk}").status_code == 404
