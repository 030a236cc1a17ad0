"""The survey page in a real Chromium at 390 px, without logging in: tap a score, write a
comment, send; the thank-you shows and the answer is stored."""

from __future__ import annotations

import os
from typing import Any

import pytest

from accord.core.testing import user_with_role
from accord.feedback import services
from accord.feedback.models import Survey
from accord.feedback.tests.helpers import client as make_client
from accord.feedback.tests.helpers import make_case, resolve

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_answer_the_survey_on_a_phone(chromium: Any, live_server: Any, settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"
    agent = user_with_role("service_agent")
    company, contact = make_client(agent, country="GB")
    case = make_case(owner=agent, company=company, contact=contact)
    resolve(case, agent)
    survey = Survey.objects.get(case=case)
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server.url}/feedback/s/{services.survey_token(survey)}/")
        buttons = page.locator(".score-button span")
        assert buttons.count() == 5
        box = buttons.nth(4).bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 44
        # No sideways scrolling on a phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        if os.environ.get("ACCORD_SCREENSHOTS"):
            page.screenshot(
                path=os.environ["ACCORD_SCREENSHOTS"] + "/survey-390.png", full_page=True
            )
        buttons.nth(3).click()
        page.fill("#id_comment", "Fixed on the first visit.")
        page.click("button[value=answer]")
        page.wait_for_selector("text=Thank you!")
        survey.refresh_from_db()
        assert (survey.score, survey.comment) == (4, "Fixed on the first visit.")
    finally:
        context.close()
