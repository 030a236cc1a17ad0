"""Writes to the catalogue (K3, K4). Every path (UI, API, demo data) comes here.

Products, their prices and their configurator (option groups, options, rules) are changed by
those whose role grants "change" on products (head of sales, administrators); VAT rates and
price lists are configuration that only administrators change. A rule that would make the
configurator unusable (an option that can never be chosen) is refused when it is written, not
discovered when a salesperson builds a quote.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accord.catalog.models import (
    OptionGroup,
    OptionRule,
    Price,
    PriceList,
    Product,
    ProductOption,
    TaxRate,
)
from accord.core import audit
from accord.core.errors import ConflictError
from accord.core.models import AuditEntry, User
from accord.core.permissions import Action, require, require_administrator
from accord.core.records import record_create, record_update

PRODUCT_FIELDS = (
    "sku",
    "name",
    "description",
    "kind",
    "unit",
    "tax_rate",
    "is_configurable",
    "is_active",
)
GROUP_FIELDS = ("name", "is_required", "allows_multiple", "position")
OPTION_FIELDS = ("code", "name", "is_default", "position")
TAX_RATE_FIELDS = ("country", "name", "rate", "is_default", "is_active")
PRICE_LIST_FIELDS = ("name", "currency", "prices_include_tax", "is_default", "is_active")


# --- helpers ------------------------------------------------------------------------------


def _refuse_unknown(fields: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in unknown})


def parse_amount(value: Any, field: str, *, allow_negative: bool = False) -> Decimal:
    """A money amount from what a form or the API sent ("1 250,50" too), never a float."""
    if isinstance(value, float):
        value = str(value)
    if isinstance(value, Decimal):
        amount = value
    else:
        text = str(value if value is not None else "").strip().replace("\u00a0", "")
        text = text.replace(" ", "").replace(",", ".")
        try:
            amount = Decimal(text)
        except (InvalidOperation, ValueError):
            raise ValidationError({field: [_("Enter an amount, e.g. 1250.50.")]}) from None
    if not amount.is_finite():
        raise ValidationError({field: [_("Enter an amount, e.g. 1250.50.")]})
    if amount < 0 and not allow_negative:
        raise ValidationError({field: [_("The price cannot be negative.")]})
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError({field: [_("Use at most two decimal places.")]})
    if abs(amount) >= Decimal("1e12"):
        raise ValidationError({field: [_("This amount is too large.")]})
    return amount.quantize(Decimal("0.01"))


def _touch(product: Product) -> None:
    """A change to a product's prices or options is a change to the product: bump its
    version so a form opened before it is refused as stale."""
    Product.objects.filter(pk=product.pk).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    product.refresh_from_db(fields=["version", "updated_at"])


def _check_version(product: Product, expected_version: int | None) -> None:
    if expected_version is None:
        return
    current = Product.objects.filter(pk=product.pk).values_list("version", flat=True).first()
    if current is not None and current != expected_version:
        raise ConflictError(current)


def _record_child(
    *,
    actor: User,
    action: str,
    obj: Any,
    product: Product,
    changes: dict[str, Any],
    message: str = "",
) -> None:
    """Audit a price, group, option or rule with its product as the related record, so the
    product's history shows it."""
    audit.record(
        actor=actor, action=action, obj=obj, changes=changes, related=product, message=message
    )


def _next_position(queryset: Any) -> int:
    current = queryset.aggregate(top=Max("position"))["top"]
    return (current or 0) + 1


# --- products -----------------------------------------------------------------------------


def _check_tax_rate(tax_rate: TaxRate | None) -> None:
    if tax_rate is not None and not tax_rate.is_active:
        raise ValidationError({"tax_rate": [_("This VAT rate is no longer in use.")]})


@transaction.atomic
def product_create(
    *,
    actor: User,
    sku: str,
    name: str,
    description: str = "",
    kind: str = Product.Kind.PRODUCT,
    unit: str = "pcs",
    tax_rate: TaxRate | None = None,
    is_configurable: bool = False,
    is_active: bool = True,
) -> Product:
    """A product or service in the catalogue; its prices are set per price list afterwards."""
    _check_tax_rate(tax_rate)
    product = Product(
        sku=(sku or "").strip(),
        name=(name or "").strip(),
        description=description or "",
        kind=kind,
        unit=unit,
        tax_rate=tax_rate,
        is_configurable=is_configurable,
        is_active=is_active,
    )
    return record_create(obj=product, actor=actor)


@transaction.atomic
def product_update(
    *,
    actor: User,
    product: Product,
    fields: Mapping[str, Any],
    expected_version: int | None = None,
) -> Product:
    """Change a product's facts. Turning "configurable" off is refused while it still has
    option groups, so no quote line silently loses its configuration."""
    _refuse_unknown(fields, PRODUCT_FIELDS)
    data = dict(fields)
    for key in ("sku", "name"):
        if key in data:
            data[key] = (data[key] or "").strip()
    if "tax_rate" in data and data["tax_rate"] != product.tax_rate:
        _check_tax_rate(data["tax_rate"])
    if data.get("is_configurable") is False and product.option_groups.exists():
        raise ValidationError(
            {
                "is_configurable": [
                    _("Remove the option groups first: this product still has options.")
                ]
            }
        )
    updated, _changes = record_update(
        obj=product, data=data, actor=actor, expected_version=expected_version
    )
    return updated


@transaction.atomic
def product_deactivate(
    *, actor: User, product: Product, expected_version: int | None = None
) -> Product:
    """Stop selling a product: it stays on existing documents but cannot be picked for new
    lines (products are never deleted, documents point at them)."""
    return product_update(
        actor=actor, product=product, fields={"is_active": False}, expected_version=expected_version
    )


# --- prices -------------------------------------------------------------------------------


def _check_option_of(product: Product, option: ProductOption | None, field: str) -> None:
    if option is not None and option.group.product_id != product.pk:
        raise ValidationError({field: [_("This option belongs to another product.")]})


@transaction.atomic
def price_set(
    *,
    actor: User,
    product: Product,
    price_list: PriceList,
    amount: Any,
    option: ProductOption | None = None,
    expected_version: int | None = None,
) -> Price:
    """The product's price (or an option's adjustment, which may be negative) in one price
    list; replaces the previous one."""
    require(actor, Action.CHANGE, product)
    _check_version(product, expected_version)
    _check_option_of(product, option, "option")
    value = parse_amount(amount, "amount", allow_negative=option is not None)
    existing = (
        Price.objects.select_for_update()
        .filter(price_list=price_list, product=product, option=option)
        .first()
    )
    old = existing.amount if existing is not None else None
    price = existing or Price(price_list=price_list, product=product, option=option)
    price.amount = value
    price.full_clean()
    if old == value:
        return price
    price.save()
    _record_child(
        actor=actor,
        action=AuditEntry.Kind.CHANGE if existing else AuditEntry.Kind.CREATE,
        obj=price,
        product=product,
        changes={
            "price_list": [None, price_list.name],
            "option": [None, option.name if option else None],
            "amount": [str(old) if old is not None else None, str(value)],
        },
    )
    _touch(product)
    return price


@transaction.atomic
def price_remove(
    *,
    actor: User,
    product: Product,
    price_list: PriceList,
    option: ProductOption | None = None,
) -> None:
    """Take a product (or option adjustment) out of a price list."""
    require(actor, Action.CHANGE, product)
    _check_option_of(product, option, "option")
    price = Price.objects.filter(price_list=price_list, product=product, option=option).first()
    if price is None:
        return
    entry = audit.build(
        actor=actor,
        action=AuditEntry.Kind.DELETE,
        obj=price,
        related=product,
        changes={
            "price_list": [price_list.name, None],
            "option": [option.name if option else None, None],
            "amount": [str(price.amount), None],
        },
    )
    price.delete()
    entry.save()
    _touch(product)


# --- option groups ------------------------------------------------------------------------


def _require_configurable(product: Product) -> None:
    if not product.is_configurable:
        raise ValidationError(
            {"product": [_("Mark the product as configurable before adding options.")]}
        )


@transaction.atomic
def option_group_create(
    *,
    actor: User,
    product: Product,
    name: str,
    is_required: bool = False,
    allows_multiple: bool = False,
    position: int | None = None,
) -> OptionGroup:
    """A question the configurator asks about a product ("Voltage")."""
    require(actor, Action.CHANGE, product)
    _require_configurable(product)
    group = OptionGroup(
        product=product,
        name=(name or "").strip(),
        is_required=is_required,
        allows_multiple=allows_multiple,
        position=position
        if position is not None
        else _next_position(OptionGroup.objects.filter(product=product)),
    )
    group.full_clean()
    group.save()
    _record_child(
        actor=actor,
        action=AuditEntry.Kind.CREATE,
        obj=group,
        product=product,
        changes={k: [None, v] for k, v in audit.snapshot(group).items() if v not in (None, "")},
    )
    _touch(product)
    return group


@transaction.atomic
def option_group_update(
    *, actor: User, group: OptionGroup, fields: Mapping[str, Any]
) -> OptionGroup:
    """Rename a group or change whether it must be answered and how many answers it takes."""
    _refuse_unknown(fields, GROUP_FIELDS)
    product = group.product
    require(actor, Action.CHANGE, product)
    locked = OptionGroup.objects.select_for_update().get(pk=group.pk)
    before = audit.snapshot(locked)
    for key, value in fields.items():
        setattr(locked, key, value.strip() if isinstance(value, str) else value)
    locked.full_clean()
    if not locked.allows_multiple:
        defaults = ProductOption.objects.filter(group=locked, is_default=True).count()
        if defaults > 1:
            raise ValidationError(
                {
                    "allows_multiple": [
                        _("Several options of this group are selected by default; keep one.")
                    ]
                }
            )
    changes = audit.diff(before, audit.snapshot(locked))
    if not changes:
        return locked
    locked.save()
    _check_product_rules(product, field="allows_multiple")
    _record_child(
        actor=actor, action=AuditEntry.Kind.CHANGE, obj=locked, product=product, changes=changes
    )
    _touch(product)
    return locked


@transaction.atomic
def option_group_delete(*, actor: User, group: OptionGroup) -> None:
    """Remove a question with its options and their rules and prices."""
    product = group.product
    require(actor, Action.CHANGE, product)
    entry = audit.build(
        actor=actor,
        action=AuditEntry.Kind.DELETE,
        obj=group,
        related=product,
        changes={
            "name": [group.name, None],
            "options": [[o.code for o in group.options.all()], None],
        },
    )
    group.delete()
    entry.save()
    _touch(product)


# --- options ------------------------------------------------------------------------------


def _check_option(option: ProductOption) -> None:
    """Codes are unique within a product (the configurator is given codes, not groups), and a
    single-choice group has at most one default answer."""
    product_id = option.group.product_id
    clash = ProductOption.objects.filter(group__product_id=product_id, code=option.code)
    if option.pk:
        clash = clash.exclude(pk=option.pk)
    if clash.exists():
        raise ValidationError({"code": [_("Another option of this product has this code.")]})
    if option.is_default and not option.group.allows_multiple:
        others = option.group.options.filter(is_default=True)
        if option.pk:
            others = others.exclude(pk=option.pk)
        if others.exists():
            raise ValidationError(
                {"is_default": [_("Another option of this group is already selected by default.")]}
            )


@transaction.atomic
def option_create(
    *,
    actor: User,
    group: OptionGroup,
    code: str,
    name: str,
    is_default: bool = False,
    position: int | None = None,
    prices: Mapping[PriceList, Any] | None = None,
) -> ProductOption:
    """One answer to a group's question, with its price adjustment per price list."""
    product = group.product
    require(actor, Action.CHANGE, product)
    option = ProductOption(
        group=group,
        code=(code or "").strip(),
        name=(name or "").strip(),
        is_default=is_default,
        position=position
        if position is not None
        else _next_position(ProductOption.objects.filter(group=group)),
    )
    option.full_clean(validate_constraints=False)
    _check_option(option)
    option.save()
    _record_child(
        actor=actor,
        action=AuditEntry.Kind.CREATE,
        obj=option,
        product=product,
        changes={k: [None, v] for k, v in audit.snapshot(option).items() if v not in (None, "")},
    )
    for price_list, amount in (prices or {}).items():
        price_set(actor=actor, product=product, price_list=price_list, amount=amount, option=option)
    _touch(product)
    return option


@transaction.atomic
def option_update(
    *,
    actor: User,
    option: ProductOption,
    fields: Mapping[str, Any],
    prices: Mapping[PriceList, Any] | None = None,
) -> ProductOption:
    """Rename an option, change its code, default or place, and (``prices``: price list ->
    amount, None removes it) its price adjustments, all or nothing."""
    _refuse_unknown(fields, OPTION_FIELDS)
    product = option.group.product
    require(actor, Action.CHANGE, product)
    locked = ProductOption.objects.select_for_update().select_related("group").get(pk=option.pk)
    before = audit.snapshot(locked)
    for key, value in fields.items():
        setattr(locked, key, value.strip() if isinstance(value, str) else value)
    locked.full_clean(validate_constraints=False)
    _check_option(locked)
    changes = audit.diff(before, audit.snapshot(locked))
    if changes:
        locked.save()
        _record_child(
            actor=actor,
            action=AuditEntry.Kind.CHANGE,
            obj=locked,
            product=product,
            changes=changes,
        )
        _touch(product)
    for price_list, amount in (prices or {}).items():
        if amount is None or amount == "":
            price_remove(actor=actor, product=product, price_list=price_list, option=locked)
        else:
            price_set(
                actor=actor, product=product, price_list=price_list, amount=amount, option=locked
            )
    return locked


@transaction.atomic
def option_delete(*, actor: User, option: ProductOption) -> None:
    """Remove an option with its rules (both directions) and price adjustments."""
    product = option.group.product
    require(actor, Action.CHANGE, product)
    entry = audit.build(
        actor=actor,
        action=AuditEntry.Kind.DELETE,
        obj=option,
        related=product,
        changes={"code": [option.code, None], "name": [option.name, None]},
    )
    OptionRule.objects.filter(target=option).delete()
    option.delete()
    entry.save()
    _touch(product)


# --- rules --------------------------------------------------------------------------------


def _impossible_options(
    options: list[ProductOption], rules: list[tuple[int, str, int]]
) -> list[ProductOption]:
    """Options that no valid choice can contain: what an option requires (transitively)
    includes two options that exclude each other, two answers of a single-choice group, or
    the option excludes something it requires. Products have tens of options: cheap."""
    by_id = {o.pk: o for o in options}
    requires: dict[int, set[int]] = {}
    excludes: set[frozenset[int]] = set()
    for source, kind, target in rules:
        if kind == OptionRule.Kind.REQUIRES:
            requires.setdefault(source, set()).add(target)
        else:
            excludes.add(frozenset((source, target)))
    impossible = []
    for option in options:
        closure = {option.pk}
        stack = [option.pk]
        while stack:
            for nxt in requires.get(stack.pop(), ()):
                if nxt not in closure:
                    closure.add(nxt)
                    stack.append(nxt)
        members = [by_id[i] for i in closure if i in by_id]
        broken = any(pair <= closure for pair in excludes)
        if not broken:
            seen_groups: set[int] = set()
            for member in members:
                if member.group.allows_multiple:
                    continue
                if member.group_id in seen_groups:
                    broken = True
                    break
                seen_groups.add(member.group_id)
        if broken:
            impossible.append(option)
    return impossible


def _product_rules(product: Product) -> tuple[list[ProductOption], list[tuple[int, str, int]]]:
    options = list(ProductOption.objects.filter(group__product=product).select_related("group"))
    rules = list(
        OptionRule.objects.filter(option__group__product=product).values_list(
            "option_id", "kind", "target_id"
        )
    )
    return options, rules


def _check_product_rules(product: Product, *, field: str = "target") -> None:
    options, rules = _product_rules(product)
    impossible = _impossible_options(options, rules)
    if impossible:
        raise ValidationError(
            {
                field: [
                    _("With this rule «%(option)s» could never be chosen.")
                    % {"option": impossible[0].name}
                ]
            }
        )


@transaction.atomic
def rule_create(
    *, actor: User, option: ProductOption, kind: str, target: ProductOption
) -> OptionRule:
    """ "Choosing ``option`` requires / excludes ``target``". Refused when it targets another
    product's option, the option itself, contradicts an existing rule, or makes an option
    impossible to choose."""
    product = option.group.product
    require(actor, Action.CHANGE, product)
    if kind not in OptionRule.Kind.values:
        raise ValidationError({"kind": [_("Choose “requires” or “excludes”.")]})
    if target.group.product_id != product.pk:
        raise ValidationError({"target": [_("This option belongs to another product.")]})
    if target.pk == option.pk:
        raise ValidationError({"target": [_("An option cannot have a rule on itself.")]})
    existing = set(
        OptionRule.objects.filter(option=option, target=target).values_list("kind", flat=True)
    )
    if kind in existing:
        raise ValidationError({"target": [_("This rule exists already.")]})
    if existing:
        raise ValidationError(
            {
                "target": [
                    _("«%(option)s» cannot both require and exclude «%(other)s».")
                    % {"option": option.name, "other": target.name}
                ]
            }
        )
    rule = OptionRule(option=option, kind=kind, target=target)
    rule.full_clean()
    rule.save()
    _check_product_rules(product)
    _record_child(
        actor=actor,
        action=AuditEntry.Kind.CREATE,
        obj=rule,
        product=product,
        changes={
            "option": [None, option.code],
            "kind": [None, kind],
            "target": [None, target.code],
        },
    )
    _touch(product)
    return rule


@transaction.atomic
def rule_delete(*, actor: User, rule: OptionRule) -> None:
    """Drop a compatibility rule."""
    product = rule.option.group.product
    require(actor, Action.CHANGE, product)
    entry = audit.build(
        actor=actor,
        action=AuditEntry.Kind.DELETE,
        obj=rule,
        related=product,
        changes={
            "option": [rule.option.code, None],
            "kind": [rule.kind, None],
            "target": [rule.target.code, None],
        },
    )
    rule.delete()
    entry.save()
    _touch(product)


# --- VAT rates (administrators) -----------------------------------------------------------


def _clean_tax_rate(tax_rate: TaxRate) -> None:
    tax_rate.country = (tax_rate.country or "").strip().upper()
    tax_rate.name = (tax_rate.name or "").strip()
    errors: dict[str, list[str]] = {}
    if not (len(tax_rate.country) == 2 and tax_rate.country.isalpha()):
        errors["country"] = [_("Enter the two-letter country code, e.g. RU or FR.")]
    try:
        rate = Decimal(str(tax_rate.rate).replace(",", "."))
    except (InvalidOperation, ValueError):
        rate = None
    if rate is None or not rate.is_finite() or rate < 0 or rate > 100:
        errors["rate"] = [_("A VAT rate must be between 0 and 100 %.")]
    else:
        tax_rate.rate = rate
    if tax_rate.is_default and not tax_rate.is_active:
        errors["is_active"] = [_("The default rate of a country must stay active.")]
    try:
        tax_rate.full_clean(validate_constraints=False, exclude=list(errors))
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _take_default_from_other_rates(actor: User, tax_rate: TaxRate) -> None:
    """Making a rate the default of its country makes the previous default a plain rate."""
    for other in TaxRate.objects.select_for_update().filter(
        country=tax_rate.country, is_default=True
    ):
        if other.pk == tax_rate.pk:
            continue
        other.is_default = False
        other.save(update_fields=["is_default"])
        audit.record(
            actor=actor,
            action=AuditEntry.Kind.CHANGE,
            obj=other,
            changes={"is_default": [True, False]},
        )


@transaction.atomic
def tax_rate_create(
    *,
    actor: User,
    country: str,
    name: str,
    rate: Any,
    is_default: bool = False,
    is_active: bool = True,
) -> TaxRate:
    """A VAT rate of a country; the default one applies to products without their own."""
    require_administrator(actor)
    tax_rate = TaxRate(
        country=country, name=name, rate=rate, is_default=is_default, is_active=is_active
    )
    _clean_tax_rate(tax_rate)
    if tax_rate.is_default:
        _take_default_from_other_rates(actor, tax_rate)
    tax_rate.save()
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CREATE,
        obj=tax_rate,
        changes={k: [None, v] for k, v in audit.snapshot(tax_rate).items() if v not in (None, "")},
    )
    return tax_rate


@transaction.atomic
def tax_rate_update(*, actor: User, tax_rate: TaxRate, fields: Mapping[str, Any]) -> TaxRate:
    """Change a VAT rate. A country keeps exactly one active default once it has one: the
    default moves to another rate, it is not just switched off."""
    require_administrator(actor)
    _refuse_unknown(fields, TAX_RATE_FIELDS)
    locked = TaxRate.objects.select_for_update().get(pk=tax_rate.pk)
    before = audit.snapshot(locked)
    was_default = locked.is_default
    for key, value in fields.items():
        setattr(locked, key, value)
    _clean_tax_rate(locked)
    if was_default and not locked.is_default:
        raise ValidationError(
            {"is_default": [_("Make another rate of this country the default instead.")]}
        )
    changes = audit.diff(before, audit.snapshot(locked))
    if not changes:
        return locked
    if locked.is_default:
        _take_default_from_other_rates(actor, locked)
    locked.save()
    audit.record(actor=actor, action=AuditEntry.Kind.CHANGE, obj=locked, changes=changes)
    return locked


# --- price lists (administrators) ---------------------------------------------------------


def _clean_price_list(price_list: PriceList) -> None:
    price_list.name = (price_list.name or "").strip()
    errors: dict[str, list[str]] = {}
    if price_list.is_default and not price_list.is_active:
        errors["is_active"] = [_("The default price list must stay active.")]
    try:
        price_list.full_clean(validate_constraints=False)
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _take_default_from_other_lists(actor: User, price_list: PriceList) -> None:
    """Making a price list the default makes the previous default a plain list."""
    for other in PriceList.objects.select_for_update().filter(is_default=True):
        if other.pk == price_list.pk:
            continue
        PriceList.objects.filter(pk=other.pk).update(
            is_default=False, version=F("version") + 1, updated_at=timezone.now()
        )
        audit.record(
            actor=actor,
            action=AuditEntry.Kind.CHANGE,
            obj=other,
            changes={"is_default": [True, False]},
        )


@transaction.atomic
def price_list_create(
    *,
    actor: User,
    name: str,
    currency: str,
    prices_include_tax: bool = False,
    is_default: bool = False,
    is_active: bool = True,
) -> PriceList:
    """Prices in one currency for one audience ("RUB retail", "EUR partners")."""
    require_administrator(actor)
    price_list = PriceList(
        name=name,
        currency=currency,
        prices_include_tax=prices_include_tax,
        is_default=is_default,
        is_active=is_active,
    )
    _clean_price_list(price_list)
    if price_list.is_default:
        _take_default_from_other_lists(actor, price_list)
    return record_create(obj=price_list, actor=actor, check_permission=False)


@transaction.atomic
def price_list_update(
    *,
    actor: User,
    price_list: PriceList,
    fields: Mapping[str, Any],
    expected_version: int | None = None,
) -> PriceList:
    """Rename a price list, change its currency, whether its prices include VAT, whether it
    is the default or still in use."""
    require_administrator(actor)
    _refuse_unknown(fields, PRICE_LIST_FIELDS)
    locked = PriceList.objects.select_for_update().get(pk=price_list.pk)
    if expected_version is not None and locked.version != expected_version:
        raise ConflictError(locked.version)
    before = audit.snapshot(locked)
    was_default = locked.is_default
    for key, value in fields.items():
        setattr(locked, key, value)
    _clean_price_list(locked)
    if was_default and not locked.is_default:
        raise ValidationError({"is_default": [_("Make another price list the default instead.")]})
    changes = audit.diff(before, audit.snapshot(locked))
    if not changes:
        return locked
    if locked.is_default and not was_default:
        _take_default_from_other_lists(actor, locked)
    locked.version = F("version") + 1  # type: ignore[assignment]
    locked.updated_at = timezone.now()
    locked.save()
    locked.refresh_from_db()
    audit.record(actor=actor, action=AuditEntry.Kind.CHANGE, obj=locked, changes=changes)
    return locked
