"""Demo data for client feedback: surveys on the demo's resolved cases (made by the case demo
through the real status service, or here for resolved cases that have none yet), answered the
way clients answer: mostly 4s and 5s with a short comment in their language, a few low scores
that open follow-up tasks, a refusal or two, and some never answered.

Runs after the service desk demo. A second call creates nothing.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable

from django.utils import timezone

from accord.feedback import services
from accord.feedback.models import Survey
from accord.service.models import Case

SCORES = (5, 5, 5, 5, 5, 4, 4, 4, 4, 3, 3, 2, 1)
COMMENTS = {
    "ru": {
        5: (
            "Быстро и по делу, спасибо инженеру!",
            "Всё объяснили, проблема решена с первого раза.",
        ),
        4: ("Хорошо, но ответа пришлось ждать до вечера.", "Решили, спасибо."),
        3: ("Решили, но пришлось дважды повторять одно и то же.",),
        2: ("Инженер приехал на день позже обещанного.",),
        1: ("Проблема вернулась через два дня, никто не перезвонил.",),
    },
    "fr": {
        5: ("Rapide et efficace, merci au technicien !", "Très bonne explication, problème réglé."),
        4: ("Bien, mais la réponse a mis une demi-journée.", "Réglé, merci."),
        3: ("Résolu, mais il a fallu relancer deux fois.",),
        2: ("Le technicien est arrivé un jour en retard.",),
        1: ("La panne est revenue deux jours après et personne n'a rappelé.",),
    },
    "de": {
        5: ("Schnell und kompetent, danke an den Techniker!", "Gut erklärt, Problem gelöst."),
        4: ("Gut, aber die Antwort kam erst am Nachmittag.", "Gelöst, danke."),
        3: ("Gelöst, aber ich musste zweimal nachfragen.",),
        2: ("Der Techniker kam einen Tag später als vereinbart.",),
        1: ("Der Fehler kam nach zwei Tagen wieder, niemand hat zurückgerufen.",),
    },
    "en": {
        5: (
            "Quick and to the point, thanks to the engineer!",
            "Clear explanation, fixed first time.",
        ),
        4: ("Good, but the first answer took half a day.", "Fixed, thanks."),
        3: ("Fixed, but I had to chase twice.",),
        2: ("The engineer came a day later than agreed.",),
        1: ("The fault came back two days later and nobody called back.",),
    },
}


def is_loaded() -> bool:
    return Survey.objects.filter(answered_at__isnull=False).exists()


def _missing_surveys() -> int:
    """Surveys for resolved demo cases that have none (a client with an e-mail address)."""
    made = 0
    cases = (
        Case.objects.filter(status__in=(Case.Status.RESOLVED, Case.Status.CLOSED), surveys=None)
        .select_related("contact", "company")
        .order_by("id")[:200]
    )
    for case in cases:
        email = services._address(case.contact, case.requester_email)
        if not email or services.is_opted_out(email=email, contact=case.contact):
            continue
        sent = case.resolved_at or timezone.now()
        Survey.objects.create(
            case=case,
            company=case.company,
            contact=case.contact,
            agent_id=case.owner_id,
            queue_id=case.queue_id,
            category_id=case.category_id,
            email=email,
            language=services.survey_language(case.company),
            sent_at=sent,
            expires_at=sent + datetime.timedelta(days=services.survey_days()),
        )
        made += 1
    return made


def seed_demo(*, say: Callable[[str], None] | None = None, seed: int = 2026) -> dict[str, int]:
    """Answer the demo's surveys; returns counts for the summary."""
    report = say or (lambda _line: None)
    if is_loaded():
        return {}
    created = _missing_surveys()
    rng = random.Random(seed)
    answered = declined = low = 0
    surveys = list(
        Survey.objects.filter(answered_at__isnull=True, case__isnull=False)
        .select_related("case", "case__owner", "case__queue", "contact", "company")
        .order_by("id")
    )
    # Everything "sent" is made to look sent, so the response rate reads naturally.
    Survey.objects.filter(pk__in=[s.pk for s in surveys], sent_at__isnull=True).update(
        sent_at=timezone.now()
    )
    for survey in surveys:
        roll = rng.random()
        if roll < 0.2:
            continue  # never answered
        if roll < 0.27:
            services.survey_answer(survey=survey, score=None, opt_out=True)
            declined += 1
            continue
        score = rng.choice(SCORES)
        comments = COMMENTS.get(survey.language, COMMENTS["en"])[score]
        comment = rng.choice(comments) if rng.random() < 0.7 or score <= 2 else ""
        done = services.survey_answer(survey=survey, score=score, comment=comment)
        answered += 1
        if score <= services.follow_up_at():
            low += 1
            owner = done.case.owner if done.case is not None else None
            if score == 1 and owner is not None and services.may_change(owner, done):
                services.survey_mark_complaint(actor=owner, survey=done, is_complaint=True)
    report(
        f"feedback: {created} surveys added, {answered} answered "
        f"({low} low scores with follow-up tasks), {declined} declined"
    )
    return {"surveys": created, "answered": answered, "declined": declined, "low": low}
