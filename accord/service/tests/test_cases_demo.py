"""The cases demo loads once, through the services, in every status with messages."""

from __future__ import annotations

import pytest

from accord.core.models import AuditEntry
from accord.core.testing import user_with_role
from accord.parties.tests.factories import make_company, make_contact
from accord.service import demo
from accord.service.models import Case, CaseMessage

pytestmark = pytest.mark.django_db


def test_demo_creates_cases_in_every_status_once():
    admin = user_with_role("administrator")
    for n in range(4):
        company = make_company(owner=admin, name=f"Client {n}")
        make_contact(owner=admin, company=company, emails=[f"c{n}@client.example"])

    counts = demo.seed_demo()

    assert counts["cases"] == len(demo.CASES) == 40
    statuses = set(Case.objects.values_list("status", flat=True))
    assert statuses == {"new", "in_progress", "waiting", "resolved", "closed"}
    assert CaseMessage.objects.filter(kind="note").exists()
    assert CaseMessage.objects.filter(kind="reply").count() > 20
    merged = Case.objects.get(merged_into__isnull=False)
    assert merged.merged_into.subject == demo.MARKER_SUBJECT
    assert AuditEntry.objects.filter(object_type="case").count() > 100
    oldest = Case.objects.order_by("created_at").first()
    assert (Case.objects.order_by("-created_at").first().created_at - oldest.created_at).days >= 25
    assert demo.seed_demo() == {}
    assert Case.objects.count() == 40
