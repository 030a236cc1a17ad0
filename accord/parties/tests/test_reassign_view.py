"""The bulk reassignment page (M2): preview, move all or ticked companies, 403 for others."""

import pytest
from django.urls import reverse

from accord.core.models import AuditEntry
from accord.core.testing import user_with_role
from accord.parties.models import Company
from accord.parties.tests.factories import make_company, make_contact

pytestmark = pytest.mark.django_db
URL = reverse("parties:clients_reassign")


def test_sales_manager_gets_403_and_nothing_moves(client):
    leaving = user_with_role("sales_manager")
    successor = user_with_role("sales_manager")
    company = make_company(owner=leaving, name="Stays")
    client.force_login(user_with_role("sales_manager"))

    get = client.get(URL)
    post = client.post(URL, {"from_user": leaving.pk, "to_user": successor.pk, "scope": "all"})

    assert (get.status_code, post.status_code) == (403, 403)
    company.refresh_from_db()
    assert company.owner == leaving
    assert not AuditEntry.objects.filter(action="reassign").exists()


def test_preview_shows_what_would_move(client):
    head = user_with_role("head_of_sales")
    leaving = user_with_role("sales_manager")
    successor = user_with_role("sales_manager")
    first = make_company(owner=leaving, name="Alpha")
    make_company(owner=leaving, name="Beta")
    make_company(owner=successor, name="Not theirs")
    make_contact(owner=leaving, company=first)
    client.force_login(head)

    response = client.get(URL, {"from_user": leaving.pk, "to_user": successor.pk})

    preview = response.context["preview"]
    assert response.status_code == 200
    assert (preview.companies, preview.contacts, preview.open_activities) == (2, 1, 0)
    assert [c.name for c in preview.listed] == ["Alpha", "Beta"]
    assert Company.objects.filter(owner=leaving).count() == 2


def test_head_of_sales_moves_all_companies_and_sees_counts(client):
    head = user_with_role("head_of_sales")
    leaving = user_with_role("sales_manager")
    successor = user_with_role("sales_manager")
    company = make_company(owner=leaving, name="Alpha")
    make_company(owner=leaving, name="Beta")
    make_contact(owner=leaving, company=company)
    client.force_login(head)

    response = client.post(
        URL, {"from_user": leaving.pk, "to_user": successor.pk, "scope": "all"}, follow=True
    )

    assert response.status_code == 200
    assert Company.objects.filter(owner=successor).count() == 2
    assert not Company.objects.filter(owner=leaving).exists()
    text = " ".join(str(m) for m in response.context["messages"])
    assert "2 companies" in text and "1 contact," in text
    assert AuditEntry.objects.filter(action="reassign", actor=head).count() == 3


def test_admin_moves_only_ticked_companies(client):
    admin = user_with_role("administrator")
    leaving = user_with_role("sales_manager")
    successor = user_with_role("sales_manager")
    moved = make_company(owner=leaving, name="Moved")
    kept = make_company(owner=leaving, name="Kept")
    client.force_login(admin)

    response = client.post(
        URL,
        {
            "from_user": leaving.pk,
            "to_user": successor.pk,
            "scope": "selected",
            "company": [moved.pk],
        },
    )

    assert response.status_code == 302
    moved.refresh_from_db()
    kept.refresh_from_db()
    assert (moved.owner, kept.owner) == (successor, leaving)


def test_same_user_or_missing_successor_is_refused_with_field_error(client):
    head = user_with_role("head_of_sales")
    leaving = user_with_role("sales_manager")
    company = make_company(owner=leaving, name="Alpha")
    client.force_login(head)

    same = client.post(URL, {"from_user": leaving.pk, "to_user": leaving.pk, "scope": "all"})
    missing = client.post(URL, {"from_user": leaving.pk, "scope": "all"})

    assert "to_user" in same.context["form"].errors
    assert "to_user" in missing.context["form"].errors
    company.refresh_from_db()
    assert company.owner == leaving
