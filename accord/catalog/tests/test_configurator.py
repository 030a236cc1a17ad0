"""The configurator: valid choices priced exactly, every broken rule explained."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accord.catalog.configurator import configure, describe
from accord.catalog.models import OptionGroup, OptionRule, Price, PriceList, Product, ProductOption
from accord.catalog.selectors import default_price_list, default_tax_rate, price_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def kns() -> Product:
    """A pumping station: voltage (required, single), motor (380 V excludes single-phase),
    extras (remote monitoring requires a GSM modem)."""
    rub = PriceList.objects.get(name="Base RUB")
    product = Product.objects.create(
        sku="KNS-1", name="Pumping station KNS-1", is_configurable=True
    )
    Price.objects.create(price_list=rub, product=product, amount=Decimal("450000.00"))
    voltage = OptionGroup.objects.create(
        product=product, name="Voltage", is_required=True, position=1
    )
    motor = OptionGroup.objects.create(product=product, name="Motor", is_required=True, position=2)
    extras = OptionGroup.objects.create(
        product=product, name="Extras", allows_multiple=True, position=3
    )
    options = {}
    for group, code, name, amount, is_default in [
        (voltage, "v220", "220 V", "0", True),
        (voltage, "v380", "380 V", "12500.50", False),
        (motor, "single", "Single-phase motor", "0", True),
        (motor, "three", "Three-phase motor", "30000", False),
        (extras, "remote", "Remote monitoring", "25000", False),
        (extras, "gsm", "GSM modem", "8000.25", False),
        (extras, "noframe", "Without frame", "-5000", False),
    ]:
        option = ProductOption.objects.create(
            group=group, code=code, name=name, is_default=is_default
        )
        Price.objects.create(price_list=rub, product=product, option=option, amount=Decimal(amount))
        options[code] = option
    OptionRule.objects.create(option=options["v380"], kind="excludes", target=options["single"])
    OptionRule.objects.create(option=options["remote"], kind="requires", target=options["gsm"])
    return product


def messages(exc: pytest.ExceptionInfo[ValidationError], field: str) -> list[str]:
    return list(exc.value.message_dict[field])


def test_valid_choice_is_priced_exactly(kns: Product) -> None:
    rub = default_price_list()
    assert rub is not None and rub.currency == "RUB"
    line = configure(
        product=kns,
        option_codes=["gsm", "three", "remote", "v380"],
        price_list=rub,
        quantity=Decimal("2"),
    )
    assert line.unit_price == Decimal("525500.75")
    assert line.quantity == Decimal("2")
    assert line.tax_rate == Decimal("20.00")
    assert line.product_id == kns.pk
    assert line.description == (
        "Pumping station KNS-1 (380 V, Three-phase motor, Remote monitoring, GSM modem)"
    )
    assert line.configuration == [
        {"group": "Voltage", "code": "v380", "name": "380 V", "price": "12500.50"},
        {"group": "Motor", "code": "three", "name": "Three-phase motor", "price": "30000.00"},
        {"group": "Extras", "code": "remote", "name": "Remote monitoring", "price": "25000.00"},
        {"group": "Extras", "code": "gsm", "name": "GSM modem", "price": "8000.25"},
    ]


def test_excludes_rule_names_both_options(kns: Product) -> None:
    rub = default_price_list()
    with pytest.raises(ValidationError) as exc:
        configure(
            product=kns, option_codes=["v380", "single"], price_list=rub, quantity=Decimal("1")
        )
    assert messages(exc, "configuration") == [
        "«380 V» cannot be combined with «Single-phase motor»."
    ]


def test_requires_rule_names_both_options(kns: Product) -> None:
    rub = default_price_list()
    with pytest.raises(ValidationError) as exc:
        configure(
            product=kns,
            option_codes=["v220", "single", "remote"],
            price_list=rub,
            quantity=Decimal("1"),
        )
    assert messages(exc, "configuration") == ["«Remote monitoring» requires «GSM modem»."]


def test_required_group_and_single_choice_and_unknown_code(kns: Product) -> None:
    rub = default_price_list()
    with pytest.raises(ValidationError) as exc:
        configure(
            product=kns,
            option_codes=["v220", "v380", "nope"],
            price_list=rub,
            quantity=Decimal("1"),
        )
    assert messages(exc, "configuration") == [
        "There is no option «nope» for «Pumping station KNS-1».",
        "Only one option can be chosen for «Voltage»: «220 V», «380 V».",
        "Choose an option for «Motor».",
    ]


def test_missing_price_names_price_list(kns: Product) -> None:
    eur = default_price_list("EUR")
    assert eur is not None
    with pytest.raises(ValidationError) as exc:
        configure(
            product=kns, option_codes=["v220", "single"], price_list=eur, quantity=Decimal("1")
        )
    assert messages(exc, "price_list") == [
        "«Pumping station KNS-1» has no price in the price list «Base EUR»."
    ]


def test_negative_final_price_refused(kns: Product) -> None:
    rub = default_price_list()
    assert rub is not None
    Price.objects.filter(price_list=rub, option__code="noframe").update(amount=Decimal("-460000"))
    with pytest.raises(ValidationError) as exc:
        configure(
            product=kns,
            option_codes=["v220", "single", "noframe"],
            price_list=rub,
            quantity=Decimal("1"),
        )
    assert list(exc.value.message_dict) == ["configuration"]


def test_plain_product_takes_no_options_and_quantity_checked(kns: Product) -> None:
    rub = default_price_list()
    assert rub is not None
    plain = Product.objects.create(sku="S-1", name="Survey", kind="service", unit="h")
    Price.objects.create(price_list=rub, product=plain, amount=Decimal("3500"))
    assert price_of(plain, rub) == Decimal("3500.00")
    line = configure(product=plain, option_codes=[], price_list=rub, quantity=Decimal("1.5"))
    assert (line.unit_price, line.unit, line.configuration) == (Decimal("3500.00"), "h", [])
    with pytest.raises(ValidationError) as exc:
        configure(product=plain, option_codes=["x"], price_list=rub, quantity=Decimal("1"))
    assert messages(exc, "configuration") == ["«Survey» has no options to choose."]
    with pytest.raises(ValidationError) as exc:
        configure(product=plain, option_codes=[], price_list=rub, quantity=Decimal("0"))
    assert list(exc.value.message_dict) == ["quantity"]


def test_describe_and_default_tax_rate(kns: Product) -> None:
    rub = default_price_list()
    described = describe(kns, rub)
    assert described.price == Decimal("450000.00")
    assert described.default_codes == ["v220", "single"]
    v380 = described.options_by_code["v380"]
    assert v380.price == Decimal("12500.50")
    assert [o.code for o in v380.excludes] == ["single"]
    assert default_tax_rate("FR") == Decimal("20.00")
    assert default_tax_rate("DE") == Decimal("19.00")
    assert default_tax_rate("US") == Decimal("0")


def test_price_list_with_vat_included_gives_the_net_price(kns: Product) -> None:
    rub = default_price_list()
    assert rub is not None
    PriceList.objects.filter(pk=rub.pk).update(prices_include_tax=True)
    rub.refresh_from_db()
    Price.objects.filter(price_list=rub, product=kns, option__isnull=True).update(
        amount=Decimal("1200.00")
    )
    line = configure(
        product=kns, option_codes=["v220", "single"], price_list=rub, quantity=Decimal("1")
    )
    assert (line.unit_price, line.tax_rate) == (Decimal("1000.00"), Decimal("20.00"))


def test_inactive_product_and_price_list_refused(kns: Product) -> None:
    rub = default_price_list()
    assert rub is not None
    Product.objects.filter(pk=kns.pk).update(is_active=False)
    kns.refresh_from_db()
    rub.is_active = False
    with pytest.raises(ValidationError) as exc:
        configure(product=kns, option_codes=["v220"], price_list=rub, quantity=Decimal("1"))
    assert sorted(exc.value.message_dict) == ["price_list", "product"]
