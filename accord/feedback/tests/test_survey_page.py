"""The public survey page: no login, the signed link is the key. Tampered → 400, expired →
410, reused after answering → a thank-you that changes nothing; bad scores refused; a low
score opens a follow-up task and a notification."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accord.activities.models import Activity
from accord.core.models import AuditEntry, Notification
from accord.core.testing import user_with_role
from accord.feedback import services
from accord.feedback.models import Survey, SurveyOptOut
from accord.feedback.tests.helpers import client as make_client
from accord.feedback.tests.helpers import default_queue, make_case, resolve

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(settings):
    settings.LANGUAGE_CODE = "en"
    agent = user_with_role("service_agent", first_name="Olga", last_name="Smirnova")
    company, contact = make_client(agent, country="GB")
    case = make_case(owner=agent, company=company, contact=contact)
    resolve(case, agent)
    return Survey.objects.select_related("case").get(case=case)


def _url(survey: Survey) -> str:
    return reverse("feedback:survey", args=[services.survey_token(survey)])


def test_the_page_shows_five_big_score_buttons_without_login(survey, client):
    response = client.get(_url(survey) + "?score=4")

    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('name="score"') == 5
    assert 'value="4" checked' in body
    assert f"CS-{survey.case_id}" in body
    assert "csrftoken" in response.cookies
    assert response["Cache-Control"] == "no-store"


def test_answering_records_the_score_once(survey, client):
    response = client.post(_url(survey), {"score": "4", "comment": "Quick and polite."})

    assert response.status_code == 200
    assert "Thank you!" in response.content.decode()
    survey.refresh_from_db()
    assert (survey.score, survey.comment, survey.declined) == (4, "Quick and polite.", False)
    assert survey.answered_at is not None and survey.follow_up_id is None
    entry = AuditEntry.objects.filter(object_type="feedback.survey", action="change").get()
    assert entry.changes == {"score": [None, 4], "comment": [None, "Quick and polite."]}
    assert entry.actor_id is None


def test_a_tampered_link_is_refused_with_400(survey, client):
    token = services.survey_token(survey)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    get = client.get(reverse("feedback:survey", args=[tampered]))
    post = client.post(reverse("feedback:survey", args=[tampered]), {"score": "5"})

    assert get.status_code == post.status_code == 400
    assert "This link is not valid" in get.content.decode()
    survey.refresh_from_db()
    assert survey.answered_at is None and survey.score is None


def test_a_link_for_a_deleted_survey_is_not_valid(survey, client):
    url = _url(survey)
    survey.delete()

    assert client.get(url).status_code == 400


def test_an_expired_survey_answers_410_and_changes_nothing(survey, client):
    Survey.objects.filter(pk=survey.pk).update(expires_at=timezone.now() - datetime.timedelta(1))

    get = client.get(_url(survey))
    post = client.post(_url(survey), {"score": "5"})

    assert get.status_code == post.status_code == 410
    assert "This survey has expired" in post.content.decode()
    survey.refresh_from_db()
    assert survey.answered_at is None and survey.score is None


def test_a_reused_link_thanks_and_changes_nothing(survey, client):
    client.post(_url(survey), {"score": "5", "comment": "Great"})
    survey.refresh_from_db()
    answered_at = survey.answered_at
    entries = AuditEntry.objects.count()

    again = client.post(_url(survey), {"score": "1", "comment": "Changed my mind"})

    assert again.status_code == 200
    assert "Thank you, you already answered on" in again.content.decode()
    survey.refresh_from_db()
    assert (survey.score, survey.comment, survey.answered_at) == (5, "Great", answered_at)
    assert AuditEntry.objects.count() == entries
    with pytest.raises(services.SurveyAlreadyAnswered):
        services.survey_answer(survey=survey, score=2)


@pytest.mark.parametrize("score", ["", "0", "6", "five", "2.5"])
def test_a_bad_score_is_refused_and_nothing_is_saved(survey, client, score):
    response = client.post(_url(survey), {"score": score, "comment": "x"})

    assert response.status_code == 400
    assert "Choose a score from 1 to 5." in response.content.decode()
    survey.refresh_from_db()
    assert survey.answered_at is None and survey.comment == ""


def test_a_too_long_comment_is_refused(survey):
    with pytest.raises(services.ValidationError) as error:
        services.survey_answer(survey=survey, score=3, comment="x" * 4001)

    assert error.value.message_dict == {
        "comment": ["The comment is too long: at most 4000 characters."]
    }
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_declining_opts_the_client_out_of_future_surveys(survey, client):
    response = client.post(_url(survey), {"action": "decline", "score": "3"})

    assert response.status_code == 200
    survey.refresh_from_db()
    assert (survey.declined, survey.score) == (True, None)
    opt_out = SurveyOptOut.objects.get()
    assert (opt_out.email, opt_out.contact_id, opt_out.source) == (
        "anne@sge.example",
        survey.contact_id,
        "survey",
    )
    next_case = make_case(owner=survey.agent, company=survey.company, contact=survey.contact)
    resolve(next_case, survey.agent)
    assert Survey.objects.filter(case=next_case).exists() is False


def test_a_score_with_dont_ask_again_keeps_the_score(survey, client):
    client.post(_url(survey), {"score": "5", "opt_out": "1"})

    survey.refresh_from_db()
    assert (survey.score, survey.declined) == (5, True)
    assert SurveyOptOut.objects.count() == 1


def test_a_low_score_opens_a_follow_up_task_for_the_agent(survey, client):
    response = client.post(_url(survey), {"score": "2", "comment": "Nobody called back."})

    assert "Someone from our team will get in touch" in response.content.decode()
    survey.refresh_from_db()
    task = survey.follow_up
    assert task is not None
    assert (task.kind, task.owner_id, task.is_done, task.company_id) == (
        Activity.Kind.TASK,
        survey.agent_id,
        False,
        survey.company_id,
    )
    assert task.subject == f"Call the client back: rated 2 of 5 on CS-{survey.case_id}"
    assert task.body == "Nobody called back."
    assert list(task.contacts.values_list("pk", flat=True)) == [survey.contact_id]
    notification = Notification.objects.get(user=survey.agent)
    assert notification.text == task.subject
    assert notification.url == survey.subject_url


def test_the_threshold_is_configurable(survey, settings):
    settings.ACCORD_SURVEY_FOLLOW_UP_AT = 3

    services.survey_answer(survey=survey, score=3)

    survey.refresh_from_db()
    assert survey.follow_up is not None


def test_a_good_score_opens_no_task(survey):
    services.survey_answer(survey=survey, score=3)

    assert Activity.objects.count() == 0 and Notification.objects.count() == 0


def test_without_an_agent_the_queue_supervisor_follows_up(settings):
    settings.LANGUAGE_CODE = "en"
    supervisor = user_with_role("service_manager")
    queue = default_queue()
    queue.supervisor = supervisor
    queue.save()
    company, contact = make_client(supervisor)
    case = make_case(owner=None, company=company, contact=contact, queue=queue)
    resolve(case, supervisor)
    survey = Survey.objects.get(case=case)

    services.survey_answer(survey=survey, score=1)

    survey.refresh_from_db()
    assert survey.follow_up is not None and survey.follow_up.owner_id == supervisor.pk
    assert Notification.objects.filter(user=supervisor).count() == 1


def test_csrf_is_enforced_and_works_without_a_session(survey):
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(_url(survey))
    token = page.cookies["csrftoken"].value

    refused = Client(enforce_csrf_checks=True).post(_url(survey), {"score": "5"})
    accepted = browser.post(_url(survey), {"score": "5", "csrfmiddlewaretoken": token})

    assert refused.status_code == 403
    assert accepted.status_code == 200
    survey.refresh_from_db()
    assert survey.score == 5


def test_an_order_survey_follows_up_with_the_orders_owner(client, settings):
    from accord.commerce.models import Order
    from accord.commerce.services_orders import _set_status
    from accord.parties.tests.factories import make_company

    settings.LANGUAGE_CODE = "en"
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager, name="Werk GmbH", country="DE")
    _c, contact = make_client(manager, email="einkauf@werk.example")
    order = Order.objects.create(
        number="ORD-7",
        company=company,
        contact=contact,
        currency="EUR",
        owner=manager,
        ordered_on="2026-11-01",
        status=Order.Status.SHIPPED,
    )
    _set_status(actor=manager, order=order, status=Order.Status.COMPLETED)
    survey = Survey.objects.get(order=order)
    assert survey.language == "de"

    page = client.get(_url(survey))
    assert "ORD-7" in page.content.decode()
    client.post(_url(survey), {"score": "1", "comment": "Lieferung unvollständig"})

    survey.refresh_from_db()
    assert survey.follow_up is not None and survey.follow_up.owner_id == manager.pk
    assert survey.follow_up.subject.endswith("ORD-7")
