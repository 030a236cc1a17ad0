import pytest

from accord.core.testing import user_with_role
from accord.feedback import demo
from accord.feedback.models import Survey
from accord.feedback.tests.helpers import client, make_case

pytestmark = pytest.mark.django_db


def test_demo_answers_surveys_once():
    agent = user_with_role("service_agent")
    company, contact = client(agent)
    for _n in range(12):
        make_case(owner=agent, company=company, contact=contact, status="resolved")

    first = demo.seed_demo()
    second = demo.seed_demo()

    assert first["surveys"] == 12
    assert (
        first["answered"] + first["declined"]
        == Survey.objects.filter(answered_at__isnull=False).count()
    )
    assert first["answered"] > 0
    assert second == {}
