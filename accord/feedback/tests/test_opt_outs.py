"""Opt-outs recorded by agents, the client card's feedback panel, and their API."""

import pytest
from django.urls import reverse

from accord.core.models import AuditEntry
from accord.core.testing import user_with_role
from accord.feedback.models import Survey, SurveyOptOut
from accord.feedback.tests.helpers import answered_survey, make_case, resolve
from accord.feedback.tests.helpers import client as make_client

pytestmark = pytest.mark.django_db


def test_an_agent_records_and_removes_an_opt_out(client):
    agent = user_with_role("service_agent")
    company, contact = client_pair(agent)
    client.force_login(agent)

    added = client.post(reverse("feedback:opt_out_add"), {"contact": contact.pk, "next": "/x/"})

    assert added.status_code == 302 and added["Location"] == "/x/"
    opt_out = SurveyOptOut.objects.get()
    assert (opt_out.email, opt_out.source, opt_out.company_id) == (
        "anne@sge.example",
        "agent",
        company.pk,
    )
    case = make_case(owner=agent, company=company, contact=contact)
    resolve(case, agent)
    assert not Survey.objects.filter(case=case).exists()

    removed = client.post(reverse("feedback:opt_out_remove", args=[opt_out.pk]))

    assert removed.status_code == 302
    assert SurveyOptOut.objects.count() == 0
    kinds = list(
        AuditEntry.objects.filter(object_type="feedback.surveyoptout")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert kinds == ["create", "delete"]


def client_pair(owner):
    return make_client(owner)


def test_a_viewer_without_contact_change_rights_cannot_opt_out(client):
    owner = user_with_role("service_agent")
    _company, contact = client_pair(owner)
    engineer = user_with_role("field_engineer")  # sees contacts, may not change them
    client.force_login(engineer)

    response = client.post(reverse("feedback:opt_out_add"), {"contact": contact.pk})

    assert response.status_code == 403
    assert SurveyOptOut.objects.count() == 0


def test_company_panel_shows_ratings_and_opt_outs(client):
    agent = user_with_role("service_agent")
    company, contact = client_pair(agent)
    answered_survey(make_case(owner=agent, company=company, contact=contact), score=5)
    answered_survey(
        make_case(owner=agent, company=company, contact=contact), score=2, comment="Late"
    )
    SurveyOptOut.objects.create(email="boss@sge.example", company=company, source="survey")
    client.force_login(agent)

    response = client.get(reverse("feedback:company_panel", args=[company.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Average 3.50 of 5 from 2 ratings" in body
    assert "Late" in body and "boss@sge.example" in body
    assert f'<option value="{contact.pk}">' in body


def test_opt_out_api(client):
    agent = user_with_role("service_agent")
    company, contact = client_pair(agent)
    client.force_login(agent)

    created = client.post(
        "/api/feedback/opt-outs", {"contact": contact.pk}, content_type="application/json"
    )
    listed = client.get("/api/feedback/opt-outs", {"company": company.pk})
    deleted = client.delete(f"/api/feedback/opt-outs/{created.json()['id']}")

    assert created.status_code == 201 and created.json()["email"] == "anne@sge.example"
    assert [item["contact"] for item in listed.json()["items"]] == [contact.pk]
    assert deleted.status_code == 204 and SurveyOptOut.objects.count() == 0
