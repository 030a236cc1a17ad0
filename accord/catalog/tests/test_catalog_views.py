"""Catalogue pages: list (query budget), product page, editing rights, picker, admin pages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.test import Client
from django.urls import reverse

from accord.catalog.forms import line_from_post
from accord.catalog.models import OptionRule, PriceList, Product, ProductOption, TaxRate
from accord.catalog.selectors import price_of
from accord.core.models import User
from accord.core.testing import assert_num_queries, user_with_role

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post_data(**values: object) -> QueryDict:
    data = QueryDict(mutable=True)
    for key, value in values.items():
        if isinstance(value, list):
            data.setlist(key.replace("__", "-"), [str(v) for v in value])
        else:
            data[key.replace("__", "-")] = str(value)
    return data


def test_product_list_renders_with_a_fixed_number_of_queries(
    manager: User, example_catalog: list[Product]
) -> None:
    client = client_for(manager)
    url = reverse("catalog:product_list")
    client.get(url)  # warm caches (session, content types)
    with assert_num_queries(8):
        response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Sewage pumping station KNS-100" in html
    assert "1,450,000.00" in html
    assert reverse("catalog:product_create") not in html  # a manager cannot add products
    filtered = client.get(url, {"search": "surv", "kind": "service"})
    assert "Engineering survey" in filtered.content.decode()
    assert "KNS-100" not in filtered.content.decode()


def test_product_export_is_csv(head: User, example_catalog: list[Product]) -> None:
    response = client_for(head).get(reverse("catalog:product_export"))
    body = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    assert body.splitlines()[0].startswith("Article,Name,Type")
    assert "KNS-PS-100" in body


def test_product_detail_shows_prices_options_and_try_form(manager: User, station: Product) -> None:
    response = client_for(manager).get(reverse("catalog:product_detail", args=[station.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Remote monitoring" in html and "requires «GSM modem»" in html
    assert 'name="try-options" value="remote"' in html  # checkboxes share one name
    assert 'name="try-options-' in html  # each single-choice group has its own radios
    assert "1,740,000.00" in html  # 1 450 000 net + 20 % VAT with the defaults
    assert reverse("catalog:product_edit", args=[station.pk]) not in html


def test_manager_cannot_reach_edit_pages(manager: User, station: Product) -> None:
    client = client_for(manager)
    assert client.get(reverse("catalog:product_edit", args=[station.pk])).status_code == 404
    assert client.get(reverse("catalog:product_create")).status_code == 403
    response = client.post(
        reverse("catalog:product_price", args=[station.pk]),
        {"price_list": PriceList.objects.get(name="Base RUB").pk, "amount": "1"},
    )
    assert response.status_code == 404
    assert price_of(station, PriceList.objects.get(name="Base RUB")) == Decimal("1450000.00")


def test_head_of_sales_creates_and_edits_products(head: User, rub: PriceList) -> None:
    client = client_for(head)
    response = client.post(
        reverse("catalog:product_create"),
        {"sku": "P-1", "name": "Pump", "kind": "product", "unit": "pcs"},
    )
    product = Product.objects.get(sku="P-1")
    assert response.url == product.get_absolute_url()  # type: ignore[attr-defined]
    response = client.post(
        reverse("catalog:product_edit", args=[product.pk]),
        {"sku": "", "name": "Pump", "kind": "product", "unit": "pcs", "version": product.version},
    )
    assert "This field is required." in response.content.decode()
    client.post(
        reverse("catalog:product_price", args=[product.pk]),
        {"price_list": rub.pk, "amount": "12 500,00"},
    )
    assert price_of(product, rub) == Decimal("12500.00")
    response = client.post(
        reverse("catalog:product_price", args=[product.pk]),
        {"price_list": rub.pk, "amount": "-5"},
        follow=True,
    )
    assert "The price cannot be negative." in response.content.decode()
    assert price_of(product, rub) == Decimal("12500.00")


def test_options_and_rules_edited_through_pages(
    head: User, station: Product, rub: PriceList
) -> None:
    client = client_for(head)
    extras = ProductOption.objects.get(group__product=station, code="gsm").group
    response = client.post(
        reverse("catalog:option_create", args=[station.pk, extras.pk]),
        {"code": "lamp", "name": "Warning lamp", f"price_{rub.pk}": "abc"},
    )
    assert "Enter an amount, e.g. 1250.50." in response.content.decode()
    assert not ProductOption.objects.filter(code="lamp").exists()
    client.post(
        reverse("catalog:option_create", args=[station.pk, extras.pk]),
        {"code": "lamp", "name": "Warning lamp", f"price_{rub.pk}": "1500"},
    )
    lamp = ProductOption.objects.get(code="lamp")
    assert price_of(station, rub, lamp) == Decimal("1500.00")
    response = client.post(
        reverse("catalog:rule_create", args=[station.pk]),
        {"option": lamp.pk, "kind": "excludes", "target": lamp.pk},
    )
    assert "An option cannot have a rule on itself." in response.content.decode()
    heating = ProductOption.objects.get(group__product=station, code="heating")
    client.post(
        reverse("catalog:rule_create", args=[station.pk]),
        {"option": lamp.pk, "kind": "requires", "target": heating.pk},
    )
    rule = OptionRule.objects.get(option=lamp)
    assert rule.target == heating
    client.post(reverse("catalog:rule_delete", args=[station.pk, rule.pk]))
    assert not OptionRule.objects.filter(option=lamp).exists()


def test_line_picker_search_and_preview(manager: User, station: Product, rub: PriceList) -> None:
    client = client_for(manager)
    html = client.get(
        reverse("catalog:line_picker"), {"price_list": rub.pk, "prefix": "line_1"}
    ).content.decode()
    assert 'name="line_1-search"' in html
    Product.objects.filter(sku="SRV-SURVEY").update(is_active=False)
    results = client.get(
        reverse("catalog:product_search"),
        {"price_list": rub.pk, "prefix": "line_1", "line_1-search": "s"},
    ).content.decode()
    assert "Sewage pumping station KNS-100" in results
    assert "Engineering survey" not in results  # no longer sold
    picked = client.get(
        reverse("catalog:line_picker"),
        {"price_list": rub.pk, "prefix": "line_1", "product": station.pk},
    ).content.decode()
    assert f'name="line_1-product" value="{station.pk}"' in picked
    assert 'value="v220" checked' in picked
    assert 'name="line_1-quantity"' in picked
    preview = client.get(
        reverse("catalog:line_preview"),
        {
            "prefix": "line_1",
            "price_list": rub.pk,
            "line_1-product": station.pk,
            "line_1-options": ["v380", "motor-1ph"],
            "line_1-quantity": "1",
        },
    ).content.decode()
    assert "«380 V» cannot be combined with «Single-phase motor»." in preview


def test_line_from_post(manager: User, station: Product, rub: PriceList) -> None:
    data = post_data(l1__product=station.pk, l1__options=["v380", "motor-3ph"], l1__quantity="2,5")
    line = line_from_post(data, "l1", price_list=rub, user=manager)
    assert (line.quantity, line.unit_price, line.product_id) == (
        Decimal("2.5"),
        Decimal("1500000.00"),
        station.pk,
    )
    assert [c["code"] for c in line.configuration] == ["v380", "motor-3ph"]
    cases = [
        (post_data(l1__quantity="1"), ["l1-product"]),
        (post_data(l1__product=station.pk, l1__options=["v220", "motor-1ph"]), ["l1-quantity"]),
        (
            post_data(l1__product=station.pk, l1__options=["v220"], l1__quantity="-1"),
            ["l1-quantity"],
        ),
        (
            post_data(l1__product=station.pk, l1__options=["v220"], l1__quantity="1"),
            ["configuration"],
        ),
        (
            post_data(
                l1__product=station.pk,
                l1__options=["v220", "motor-1ph"],
                l1__quantity="1",
                l1__discount_percent="120",
            ),
            ["l1-discount_percent"],
        ),
        (post_data(l1__product="999999", l1__quantity="1"), ["l1-product"]),
    ]
    for data, fields in cases:
        with pytest.raises(ValidationError) as exc:
            line_from_post(data, "l1", price_list=rub, user=manager)
        assert list(exc.value.message_dict) == fields
    nobody = user_with_role("marketing")
    nobody.roles.clear()
    from accord.core.permissions import clear_cache

    clear_cache(nobody)
    with pytest.raises(ValidationError) as exc:
        line_from_post(
            post_data(l1__product=station.pk, l1__quantity="1"), "l1", price_list=rub, user=nobody
        )
    assert list(exc.value.message_dict) == ["l1-product"]


def test_admin_pages_for_administrators_only(head: User, admin: User) -> None:
    assert client_for(head).get(reverse("catalog:tax_rates")).status_code == 403
    assert client_for(head).get(reverse("catalog:price_lists")).status_code == 403
    client = client_for(admin)
    assert "НДС 20 %" in client.get(reverse("catalog:tax_rates")).content.decode()
    response = client.post(
        reverse("catalog:tax_rate_create"),
        {"country": "FR", "name": "TVA 2,1 %", "rate": "150", "is_active": "on"},
    )
    assert response.status_code == 200
    assert not TaxRate.objects.filter(name="TVA 2,1 %").exists()
    client.post(
        reverse("catalog:tax_rate_create"),
        {"country": "FR", "name": "TVA 2,1 %", "rate": "2.1", "is_active": "on"},
    )
    assert TaxRate.objects.get(name="TVA 2,1 %").rate == Decimal("2.10")
    assert "Base EUR" in client.get(reverse("catalog:price_lists")).content.decode()
    client.post(
        reverse("catalog:price_list_create"),
        {"name": "USD retail", "currency": "USD", "is_active": "on"},
    )
    usd = PriceList.objects.get(name="USD retail")
    response = client.post(
        reverse("catalog:price_list_edit", args=[usd.pk]),
        {"name": "USD retail", "currency": "USD", "version": usd.version},
    )
    assert response.status_code == 302
    usd.refresh_from_db()
    assert usd.is_active is False


def test_product_page_shows_its_history_with_prices_and_options(
    head: User, station: Product
) -> None:
    client = client_for(head)
    html = client.get(reverse("catalog:product_detail", args=[station.pk])).content.decode()
    assert 'id="history"' in html
    assert "Remote monitoring requires GSM modem" in html  # the rule's creation, newest first
    from accord.core.models import AuditEntry

    created = AuditEntry.objects.get(object_type="product", object_id=station.pk)
    more = client.get(
        reverse("catalog:product_history", args=[station.pk]), {"before": created.pk + 1}
    ).content.decode()
    assert "<dt>Configurable</dt><dd>— → yes</dd>" in more  # the creation, last
    assert "<ul" not in more  # a fragment of the list it extends


def test_read_only_sees_but_cannot_edit_and_anonymous_must_sign_in(station: Product) -> None:
    reader = user_with_role("read_only")
    client = client_for(reader)
    assert client.get(reverse("catalog:product_list")).status_code == 200
    html = client.get(reverse("catalog:product_detail", args=[station.pk])).content.decode()
    assert reverse("catalog:group_create", args=[station.pk]) not in html
    assert client.post(reverse("catalog:rule_create", args=[station.pk])).status_code == 404
    anonymous = Client().get(reverse("catalog:product_detail", args=[station.pk]))
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


def test_option_groups_created_and_edited_through_pages(head: User, station: Product) -> None:
    client = client_for(head)
    response = client.post(
        reverse("catalog:group_create", args=[station.pk]),
        {"name": "Warranty", "allows_multiple": ""},
    )
    assert response.status_code == 302
    group = station.option_groups.get(name="Warranty")
    assert (group.position, group.is_required) == (4, False)
    client.post(
        reverse("catalog:group_edit", args=[station.pk, group.pk]),
        {"name": "Extended warranty", "is_required": "on"},
    )
    group.refresh_from_db()
    assert (group.name, group.is_required, group.position) == ("Extended warranty", True, 4)
    client.post(reverse("catalog:group_delete", args=[station.pk, group.pk]))
    assert not station.option_groups.filter(pk=group.pk).exists()
