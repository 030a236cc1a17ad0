"""The configurator (K4): turns a choice of options of a configurable product into a priced line.

One function decides whether a choice is valid and what it costs, so the product page's "try
it" form, the line picker of quotes and orders, and the API can never disagree. Every broken
rule is explained in a sentence naming both options, so a salesperson knows what to change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accord.catalog.models import OptionGroup, OptionRule, PriceList, Product, ProductOption
from accord.catalog.selectors import prices_in, tax_rate_of
from accord.commerce.pricing import HUNDRED, ZERO, LineDraft, money


@dataclass
class OptionDescription:
    option: ProductOption
    price: Decimal  # adjustment in the price list (zero when the list names none)
    requires: list[ProductOption] = field(default_factory=list)
    excludes: list[ProductOption] = field(default_factory=list)


@dataclass
class GroupDescription:
    group: OptionGroup
    options: list[OptionDescription] = field(default_factory=list)

    @property
    def default_codes(self) -> list[str]:
        return [o.option.code for o in self.options if o.option.is_default]


@dataclass
class ProductDescription:
    """What the UI needs to ask the configurator's questions: groups, options, their price
    adjustments and their rules, all loaded in a fixed number of queries."""

    product: Product
    price_list: PriceList | None
    price: Decimal | None  # the product's own price; None when the list has none
    groups: list[GroupDescription] = field(default_factory=list)

    @property
    def default_codes(self) -> list[str]:
        return [code for group in self.groups for code in group.default_codes]

    @property
    def options_by_code(self) -> dict[str, OptionDescription]:
        return {o.option.code: o for group in self.groups for o in group.options}


def _load(product: Product) -> list[OptionGroup]:
    """The product's groups with options and rules (three queries, whatever the size)."""
    if not product.is_configurable:
        return []
    return list(
        OptionGroup.objects.filter(product=product).prefetch_related("options__rules__target")
    )


def describe(product: Product, price_list: PriceList | None) -> ProductDescription:
    """The configurator's questions for a product, priced in ``price_list`` (may be None:
    then no prices are shown)."""
    groups = _load(product)
    own: Decimal | None = None
    adjustments: dict[int, Decimal] = {}
    if price_list is not None:
        own, adjustments = prices_in(product, price_list)
    described = ProductDescription(product=product, price_list=price_list, price=own)
    for group in groups:
        entry = GroupDescription(group=group)
        for option in group.options.all():
            rules = list(option.rules.all())
            entry.options.append(
                OptionDescription(
                    option=option,
                    price=adjustments.get(option.pk, ZERO),
                    requires=[r.target for r in rules if r.kind == OptionRule.Kind.REQUIRES],
                    excludes=[r.target for r in rules if r.kind == OptionRule.Kind.EXCLUDES],
                )
            )
        described.groups.append(entry)
    return described


def _quoted(option: ProductOption) -> str:
    return f"«{option.name}»"


def check_choice(description: ProductDescription, option_codes: Sequence[str]) -> list[str]:
    """Every reason the choice is invalid, as translated sentences (empty: valid)."""
    problems: list[str] = []
    product = description.product
    codes = list(dict.fromkeys(str(c).strip() for c in option_codes if str(c).strip()))
    if not product.is_configurable:
        if codes:
            problems.append(
                _("«%(product)s» has no options to choose.") % {"product": product.name}
            )
        return problems
    known = description.options_by_code
    chosen: list[OptionDescription] = []
    for code in codes:
        if code in known:
            chosen.append(known[code])
        else:
            problems.append(
                _("There is no option «%(code)s» for «%(product)s».")
                % {"code": code, "product": product.name}
            )
    chosen_ids = {o.option.pk for o in chosen}
    for group in description.groups:
        in_group = [o for o in group.options if o.option.pk in chosen_ids]
        if group.group.is_required and not in_group:
            problems.append(_("Choose an option for «%(group)s».") % {"group": group.group.name})
        if not group.group.allows_multiple and len(in_group) > 1:
            problems.append(
                _("Only one option can be chosen for «%(group)s»: %(options)s.")
                % {
                    "group": group.group.name,
                    "options": ", ".join(_quoted(o.option) for o in in_group),
                }
            )
    reported: set[frozenset[int]] = set()
    for entry in chosen:
        for target in entry.requires:
            if target.pk not in chosen_ids:
                problems.append(
                    _("%(option)s requires %(other)s.")
                    % {"option": _quoted(entry.option), "other": _quoted(target)}
                )
        for target in entry.excludes:
            pair = frozenset((entry.option.pk, target.pk))
            if target.pk in chosen_ids and pair not in reported:
                reported.add(pair)
                problems.append(
                    _("%(option)s cannot be combined with %(other)s.")
                    % {"option": _quoted(entry.option), "other": _quoted(target)}
                )
    return problems


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None


def configure(
    *,
    product: Product,
    option_codes: Sequence[str],
    price_list: PriceList,
    quantity: Decimal,
    discount_percent: Decimal = Decimal("0"),
    description: ProductDescription | None = None,
) -> LineDraft:
    """A priced line for ``product`` with the chosen options, or ValidationError naming
    ``configuration`` (broken rules), ``price_list`` (no price), ``product`` (inactive),
    ``quantity`` or ``discount_percent``.

    Unit price = the product's price in the list + the chosen options' adjustments (which may
    be negative, but the result may not). VAT: the product's own rate, else the default rate
    of the seller's country.
    """
    errors: dict[str, list[str]] = {}
    if not product.is_active:
        errors["product"] = [_("«%(product)s» is no longer sold.") % {"product": product.name}]
    if price_list is None or not price_list.is_active:
        errors["price_list"] = [_("Choose an active price list.")]
    amount = _decimal(quantity)
    if amount is None or not amount.is_finite() or amount <= 0:
        errors["quantity"] = [_("The quantity must be greater than zero.")]
    discount = _decimal(discount_percent if discount_percent is not None else ZERO)
    if discount is None or not discount.is_finite() or discount < 0 or discount > HUNDRED:
        errors["discount_percent"] = [_("A discount must be between 0 and 100 %.")]
    if errors:
        raise ValidationError(errors)
    if description is None or description.price_list != price_list:
        description = describe(product, price_list)
    problems = check_choice(description, option_codes)
    if problems:
        raise ValidationError({"configuration": problems})
    if description.price is None:
        raise ValidationError(
            {
                "price_list": [
                    _("«%(product)s» has no price in the price list «%(price_list)s».")
                    % {"product": product.name, "price_list": price_list.name}
                ]
            }
        )
    codes = list(dict.fromkeys(str(c).strip() for c in option_codes if str(c).strip()))
    by_code = description.options_by_code
    group_of = {o.option.pk: g.group for g in description.groups for o in g.options}
    chosen = [by_code[code] for code in codes]
    # Options listed in the order the configurator asks them, not the order they were sent.
    order = {o.option.pk: i for i, o in enumerate(by_code.values())}
    chosen.sort(key=lambda o: order[o.option.pk])
    unit_price = description.price + sum((o.price for o in chosen), ZERO)
    if unit_price < 0:
        raise ValidationError(
            {
                "configuration": [
                    _("With these options the price would be negative (%(price)s).")
                    % {"price": money(unit_price)}
                ]
            }
        )
    tax_rate = tax_rate_of(product)
    if price_list.prices_include_tax and tax_rate:
        # Documents are priced net of VAT: a list price "VAT included" becomes the net price
        # whose total with VAT is the list price.
        unit_price = unit_price * HUNDRED / (HUNDRED + tax_rate)
    text = product.name
    if chosen:
        text = "{} ({})".format(product.name, ", ".join(o.option.name for o in chosen))
    assert amount is not None and discount is not None
    return LineDraft(
        description=text,
        quantity=amount,
        unit_price=money(unit_price),
        unit=product.unit,
        discount_percent=discount,
        tax_rate=tax_rate,
        product_id=product.pk,
        configuration=[
            {
                "group": group_of[o.option.pk].name,
                "code": o.option.code,
                "name": o.option.name,
                "price": str(o.price),
            }
            for o in chosen
        ],
    )
