from decimal import Decimal

import pytest
from django.urls import reverse

from accord.core.models import AuditEntry, Picklist, PicklistOption
from accord.core.testing import assert_num_queries, user_with_role
from accord.parties.tests.factories import make_company
from accord.sales.models import Deal, Pipeline, Stage, StageChange
from accord.sales.services_deals import deal_create

pytestmark = pytest.mark.django_db


def _stages() -> dict[str, Stage]:
    return {s.name: s for s in Pipeline.objects.get(is_default=True).stages.all()}


def _login(client, role="sales_manager", **kwargs):
    user = user_with_role(role, **kwargs)
    client.force_login(user)
    return user


def test_pages_render(client):
    user = _login(client)
    company = make_company(owner=user, name="Alpha")
    deal = deal_create(actor=user, company=company, name="Big one", amount=Decimal("1500"))
    for url in (
        reverse("sales:deal_board"),
        reverse("sales:deal_list"),
        reverse("sales:deal_detail", args=[deal.pk]),
        reverse("sales:deal_edit", args=[deal.pk]),
        reverse("sales:deal_create") + f"?company={company.pk}",
        reverse("sales:deal_move", args=[deal.pk]),
        reverse("sales:company_deals_panel", args=[company.pk]),
        reverse("sales:deal_export"),
        company.get_absolute_url(),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    body = client.get(reverse("sales:deal_board")).content.decode()
    assert "Big one" in body
