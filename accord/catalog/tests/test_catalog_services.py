"""Catalogue services: validation named per field, permissions, audit, nothing half-saved."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accord.catalog import services
from accord.catalog.configurator import configure
from accord.catalog.examples import EXAMPLE_SERVICES
from accord.catalog.models import OptionRule, Price, PriceList, Product, ProductOption, TaxRate
from accord.catalog.selectors import (
    default_price_list,
    default_tax_rate,
    get_product_for,
    price_of,
    products_visible_to,
)
from accord.core.errors import ConflictError
from accord.core.models import AuditEntry, User
from accord.core.testing import user_with_role

pytestmark = pytest.mark.django_db


def option(product: Product, code: str) -> ProductOption:
    return ProductOption.objects.get(group__product=product, code=code)


def test_example_catalog_is_built_with_prices_and_audit(
    example_catalog: list[Product], station: Product, rub: PriceList, eur: PriceList
) -> None:
    assert [p.sku for p in example_catalog] == [s[0] for s in EXAMPLE_SERVICES] + ["KNS-PS-100"]
    design = example_catalog[0]
    assert (price_of(design, rub), price_of(design, eur)) == (Decimal("3500.00"), Decimal("65.00"))
    assert price_of(station, rub, option(station, "no-frame")) == Decimal("-15000.00")
    assert station.option_groups.count() == 3
    assert OptionRule.objects.filter(option__group__product=station).count() == 2
    assert AuditEntry.objects.filter(
        object_type="product", object_id=station.pk, action="create"
    ).exists()
    # Prices, groups, options and rules name the product as related: its history shows them.
    assert AuditEntry.objects.filter(related_type="product", related_id=station.pk).count() == (
        2 + 3 + 8 + 16 + 2
    )
    line = configure(
        product=station,
        option_codes=["v380", "motor-3ph", "remote", "gsm", "no-frame"],
        price_list=eur,
        quantity=Decimal("1"),
    )
    assert line.unit_price == Decimal("24500.00") + 210 + 650 + 780 + 160 - 250
    # Idempotent: the demo may call it twice.
    assert [p.pk for p in services_again(station)] == [p.pk for p in example_catalog]


def services_again(station: Product) -> list[Product]:
    from accord.catalog.examples import create_example_catalog

    return create_example_catalog(User.objects.get(roles__code="head_of_sales"))


def test_sales_manager_views_but_cannot_change_products(
    manager: User, station: Product, rub: PriceList
) -> None:
    assert get_product_for(manager, station.pk) == station
    assert products_visible_to(manager).count() == 4
    with pytest.raises(PermissionDenied):
        services.product_create(actor=manager, sku="X-1", name="Nope")
    with pytest.raises(PermissionDenied):
        services.product_update(actor=manager, product=station, fields={"name": "Renamed"})
    with pytest.raises(PermissionDenied):
        services.price_set(actor=manager, product=station, price_list=rub, amount="1")
    with pytest.raises(PermissionDenied):
        services.rule_create(
            actor=manager,
            option=option(station, "heating"),
            kind="requires",
            target=option(station, "v380"),
        )
    assert not Product.objects.filter(sku="X-1").exists()
    station.refresh_from_db()
    assert station.name == "Sewage pumping station KNS-100"
    assert price_of(station, rub) == Decimal("1450000.00")


def test_user_without_product_grant_sees_no_product(station: Product) -> None:
    nobody = user_with_role("service_agent")
    nobody.roles.clear()
    from django.http import Http404

    from accord.core.permissions import clear_cache

    clear_cache(nobody)
    assert products_visible_to(nobody).count() == 0
    with pytest.raises(Http404):
        get_product_for(nobody, station.pk)


def test_product_bad_input_is_named_and_nothing_saved(head: User, station: Product) -> None:
    with pytest.raises(ValidationError) as exc:
        services.product_create(actor=head, sku="KNS-PS-100", name="", unit="parsec")
    assert set(exc.value.message_dict) == {"sku", "name", "unit"}
    assert Product.objects.count() == 4
    with pytest.raises(ValidationError) as exc:
        services.product_update(actor=head, product=station, fields={"is_configurable": False})
    assert list(exc.value.message_dict) == ["is_configurable"]
    with pytest.raises(ValidationError) as exc:
        services.product_update(actor=head, product=station, fields={"owner": head})
    assert list(exc.value.message_dict) == ["owner"]
    inactive = TaxRate.objects.create(country="RU", name="Old", rate=Decimal("18"), is_active=False)
    with pytest.raises(ValidationError) as exc:
        services.product_update(actor=head, product=station, fields={"tax_rate": inactive})
    assert list(exc.value.message_dict) == ["tax_rate"]


def test_product_update_and_stale_version(head: User, station: Product) -> None:
    version = station.version
    updated = services.product_update(
        actor=head, product=station, fields={"name": "KNS-100 (new)"}, expected_version=version
    )
    assert (updated.name, updated.version) == ("KNS-100 (new)", version + 1)
    with pytest.raises(ConflictError):
        services.product_update(
            actor=head, product=updated, fields={"name": "Stale"}, expected_version=version
        )
    deactivated = services.product_deactivate(actor=head, product=updated)
    assert deactivated.is_active is False
    entry = AuditEntry.objects.filter(object_type="product", object_id=station.pk).latest("id")
    assert entry.changes == {"is_active": [True, False]}


def test_prices_validated_and_replaced(
    head: User, station: Product, rub: PriceList, example_catalog: list[Product]
) -> None:
    design = example_catalog[0]
    version = Product.objects.get(pk=design.pk).version
    for bad, field in (("-1", "amount"), ("abc", "amount"), ("1.005", "amount")):
        with pytest.raises(ValidationError) as exc:
            services.price_set(actor=head, product=design, price_list=rub, amount=bad)
        assert list(exc.value.message_dict) == [field]
    assert price_of(design, rub) == Decimal("3500.00")
    price = services.price_set(actor=head, product=design, price_list=rub, amount="3 900,50")
    assert price.amount == Decimal("3900.50")
    assert Price.objects.filter(product=design, price_list=rub).count() == 1
    assert Product.objects.get(pk=design.pk).version == version + 1
    # An option's adjustment may be negative; another product's option is refused.
    services.price_set(
        actor=head, product=station, price_list=rub, amount="-100", option=option(station, "gsm")
    )
    with pytest.raises(ValidationError) as exc:
        services.price_set(
            actor=head, product=design, price_list=rub, amount="1", option=option(station, "gsm")
        )
    assert list(exc.value.message_dict) == ["option"]
    services.price_remove(actor=head, product=design, price_list=rub)
    assert price_of(design, rub) is None


def test_rules_that_cannot_work_are_refused(head: User, station: Product) -> None:
    other = services.product_create(actor=head, sku="OTHER", name="Other", is_configurable=True)
    group = services.option_group_create(actor=head, product=other, name="Colour")
    red = services.option_create(actor=head, group=group, code="red", name="Red")
    rules_before = OptionRule.objects.count()
    cases = [
        (option(station, "heating"), "requires", red, "This option belongs to another product."),
        (
            option(station, "heating"),
            "requires",
            option(station, "heating"),
            "An option cannot have a rule on itself.",
        ),
        (
            option(station, "v380"),
            "requires",
            option(station, "motor-1ph"),
            "«380 V» cannot both require and exclude «Single-phase motor».",
        ),
        # Single-phase requires 380 V, which excludes single-phase: never choosable.
        (
            option(station, "motor-1ph"),
            "requires",
            option(station, "v380"),
            "With this rule «Single-phase motor» could never be chosen.",
        ),
        # 220 V requiring 380 V: two answers of a single-choice group.
        (
            option(station, "v220"),
            "requires",
            option(station, "v380"),
            "With this rule «220 V» could never be chosen.",
        ),
        # Transitively: heating requires remote (which requires GSM); GSM excludes heating.
        (
            option(station, "gsm"),
            "excludes",
            option(station, "remote"),
            "With this rule «Remote monitoring» could never be chosen.",
        ),
        (option(station, "gsm"), "implies", option(station, "v380"), None),
    ]
    for source, kind, target, message in cases:
        with pytest.raises(ValidationError) as exc:
            services.rule_create(actor=head, option=source, kind=kind, target=target)
        field = "kind" if message is None else "target"
        assert list(exc.value.message_dict) == [field]
        if message:
            assert exc.value.message_dict[field] == [message]
    assert OptionRule.objects.count() == rules_before
    rule = services.rule_create(
        actor=head,
        option=option(station, "heating"),
        kind="requires",
        target=option(station, "v380"),
    )
    services.rule_delete(actor=head, rule=rule)
    assert OptionRule.objects.count() == rules_before


def test_options_codes_unique_per_product_and_one_default(head: User, station: Product) -> None:
    motor = option(station, "motor-1ph").group
    with pytest.raises(ValidationError) as exc:
        services.option_create(actor=head, group=motor, code="v380", name="Clash")
    assert list(exc.value.message_dict) == ["code"]
    with pytest.raises(ValidationError) as exc:
        services.option_create(
            actor=head, group=motor, code="motor-dc", name="DC motor", is_default=True
        )
    assert list(exc.value.message_dict) == ["is_default"]
    with pytest.raises(ValidationError) as exc:
        services.option_create(actor=head, group=motor, code="Bad code!", name="x")
    assert list(exc.value.message_dict) == ["code"]
    assert motor.options.count() == 2
    plain = Product.objects.get(sku="SRV-SURVEY")
    with pytest.raises(ValidationError) as exc:
        services.option_group_create(actor=head, product=plain, name="Size")
    assert list(exc.value.message_dict) == ["product"]
    # A group that becomes single-choice while two answers are defaults is refused.
    extras = option(station, "gsm").group
    services.option_update(actor=head, option=option(station, "gsm"), fields={"is_default": True})
    services.option_update(
        actor=head, option=option(station, "heating"), fields={"is_default": True}
    )
    with pytest.raises(ValidationError) as exc:
        services.option_group_update(actor=head, group=extras, fields={"allows_multiple": False})
    assert list(exc.value.message_dict) == ["allows_multiple"]
    services.option_delete(actor=head, option=option(station, "gsm"))
    assert not OptionRule.objects.filter(target__code="gsm").exists()
    services.option_group_delete(actor=head, group=extras)
    assert station.option_groups.count() == 2


def test_tax_rates_are_for_administrators(head: User, admin: User) -> None:
    with pytest.raises(PermissionDenied):
        services.tax_rate_create(actor=head, country="RU", name="НДС 5 %", rate="5")
    ru = TaxRate.objects.get(country="RU", is_default=True)
    with pytest.raises(PermissionDenied):
        services.tax_rate_update(actor=head, tax_rate=ru, fields={"rate": Decimal("22")})
    with pytest.raises(ValidationError) as exc:
        services.tax_rate_create(actor=admin, country="Russia", name="", rate="120")
    assert set(exc.value.message_dict) == {"country", "name", "rate"}
    assert TaxRate.objects.count() == 8
    new = services.tax_rate_create(
        actor=admin, country="ru", name="НДС 22 %", rate="22", is_default=True
    )
    assert new.country == "RU"
    assert default_tax_rate("RU") == Decimal("22.00")
    ru.refresh_from_db()
    assert ru.is_default is False
    with pytest.raises(ValidationError) as exc:
        services.tax_rate_update(actor=admin, tax_rate=new, fields={"is_default": False})
    assert list(exc.value.message_dict) == ["is_default"]
    with pytest.raises(ValidationError) as exc:
        services.tax_rate_update(actor=admin, tax_rate=new, fields={"is_active": False})
    assert list(exc.value.message_dict) == ["is_active"]
    services.tax_rate_update(actor=admin, tax_rate=ru, fields={"is_default": True})
    assert default_tax_rate("RU") == Decimal("20.00")
    assert AuditEntry.objects.filter(object_type="catalog.taxrate").count() == 4


def test_price_lists_are_for_administrators(head: User, admin: User, rub: PriceList) -> None:
    with pytest.raises(PermissionDenied):
        services.price_list_create(actor=head, name="USD", currency="USD")
    with pytest.raises(ValidationError) as exc:
        services.price_list_create(actor=admin, name="Base RUB", currency="XXX")
    assert set(exc.value.message_dict) == {"name", "currency"}
    usd = services.price_list_create(
        actor=admin, name="USD retail", currency="USD", is_default=True
    )
    assert default_price_list() == usd
    assert default_price_list("RUB") == rub
    rub.refresh_from_db()
    assert rub.is_default is False
    with pytest.raises(ValidationError) as exc:
        services.price_list_update(actor=admin, price_list=usd, fields={"is_default": False})
    assert list(exc.value.message_dict) == ["is_default"]
    renamed = services.price_list_update(
        actor=admin, price_list=usd, fields={"name": "USD list"}, expected_version=usd.version
    )
    assert renamed.version == usd.version + 1
    with pytest.raises(ConflictError):
        services.price_list_update(
            actor=admin, price_list=usd, fields={"name": "Stale"}, expected_version=usd.version
        )


def test_option_with_a_bad_price_is_not_half_saved(
    head: User, station: Product, rub: PriceList, eur: PriceList
) -> None:
    extras = option(station, "gsm").group
    version = Product.objects.get(pk=station.pk).version
    with pytest.raises(ValidationError) as exc:
        services.option_create(
            actor=head,
            group=extras,
            code="lamp",
            name="Warning lamp",
            prices={rub: "1500", eur: "twelve"},
        )
    assert list(exc.value.message_dict) == ["amount"]
    assert not ProductOption.objects.filter(code="lamp").exists()
    assert not Price.objects.filter(option__code="lamp").exists()
    assert Product.objects.get(pk=station.pk).version == version
