"""``accord demo``, sales side: every stage filled, the document chain, idempotent."""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.core.management import call_command
from stdnum.ru import inn as ru_inn
from stdnum.ru import ogrn as ru_ogrn

from accord.catalog.examples import STATION_SKU
from accord.commerce.models import Invoice, Order, Quote, SellerProfile, Shipment
from accord.core.models import AuditEntry
from accord.ops import demo_sales
from accord.projects.models import Project
from accord.sales.models import Deal, Lead, Pipeline, StageChange

SMALL = ["--companies", "12", "--contacts", "30", "--activities", "20"]
SALES_APPS = ("sales", "catalog", "commerce", "projects")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _run() -> str:
    out = io.StringIO()
    call_command("demo", *SMALL, stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    counted = {
        m._meta.label: m._default_manager.count()
        for m in apps.get_models()
        if m._meta.app_label in SALES_APPS
    }
    counted["audit"] = AuditEntry.objects.count()
    return counted


@pytest.mark.django_db
def test_demo_sales_data_goes_through_the_services_and_a_second_run_changes_nothing():
    first = _run()
    after_first = _counts()
    second = _run()

    assert _counts() == after_first
    assert "Demo data already loaded; nothing created." in second
    assert "deals:" in first

    pipeline = Pipeline.objects.get(is_default=True)
    for stage in pipeline.stages.all():
        assert Deal.objects.filter(stage=stage).exists(), stage.name
    for deal in Deal.objects.filter(is_closed=True):
        assert (deal.won_reason_id if deal.is_won else deal.lost_reason_id) is not None
        chain = list(StageChange.objects.filter(deal=deal).order_by("at", "id"))
        assert chain[0].from_stage_id is None
        assert chain[-1].to_stage_id == deal.stage_id
    created = AuditEntry.objects.filter(object_type="deal", action="create", source="command")
    assert created.count() == Deal.objects.count()

    assert set(Lead.objects.values_list("status", flat=True)) == {
        "new",
        "contacted",
        "qualified",
        "converted",
    }
    converted = Lead.objects.get(status="converted")
    assert converted.converted_deal is not None

    draft = Quote.objects.get(status="draft")
    assert draft.lines.count() == 3
    accepted = Quote.objects.get(status="accepted")
    assert accepted.lines.filter(product__sku=STATION_SKU).exists()
    order = Order.objects.get(quote=accepted)
    assert order.status == Order.Status.PARTIALLY_SHIPPED
    assert order.total == accepted.total
    assert Shipment.objects.filter(order=order).count() == 1
    invoice = Invoice.objects.get(order=order)
    assert invoice.status == Invoice.Status.PARTIALLY_PAID
    assert 0 < invoice.amount_paid < invoice.total

    project = Project.objects.get()
    assert project.deal == order.deal
    assert project.deal.is_won
    assert project.template is not None
    assert project.stages.count() == project.template.stages.count()
    assert project.status == Project.Status.ACTIVE

    seller = SellerProfile.objects.get()
    assert seller.country == "RU"
    assert ru_inn.is_valid(seller.inn)
    assert ru_ogrn.is_valid(seller.ogrn)
    assert len(seller.kpp) == 9
    assert "БИК" in seller.bank_details


@pytest.mark.django_db
def test_an_organisation_loaded_before_the_sales_apps_gets_their_data_once(monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(demo_sales.SalesDemo, "load", lambda self: {})
        _run()
    assert not Deal.objects.exists()

    added = _run()
    after = _counts()
    again = _run()

    assert "Demo data created" in added
    assert Deal.objects.filter(name=demo_sales.FIRST_DEAL).exists()
    assert Order.objects.count() == 1
    assert _counts() == after
    assert "nothing created" in again


@pytest.mark.django_db
def test_demo_keeps_company_details_an_administrator_already_gave():
    SellerProfile.objects.create(name="Our own bureau", inn="7707083893", country="RU")

    _run()

    seller = SellerProfile.objects.get()
    assert (seller.name, seller.inn) == ("Our own bureau", "7707083893")
