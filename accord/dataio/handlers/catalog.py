"""Import of the catalogue (D5): products by their article code, with a price in a price list,
written through the catalogue services so that prices, VAT rates and the product's history
follow the same rules as when they are typed in."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accord.catalog.models import Price, PriceList, Product, TaxRate, Unit
from accord.catalog.selectors import default_price_list, products_visible_to, seller_country
from accord.catalog.services import (
    price_remove,
    price_set,
    product_create,
    product_deactivate,
    product_update,
)
from accord.core.permissions import Action, allows, require
from accord.core.records import record_delete
from accord.dataio.handlers import register_handler
from accord.dataio.handlers._sales_common import (
    check_lengths,
    clean_bool,
    clean_currency,
    clean_decimal,
    current_value,
    jsonable,
    record,
    target,
    text,
    undo_records,
    write_rows,
)
from accord.dataio.handlers.base import (
    Choices,
    Handler,
    RowResult,
    TargetField,
    fold,
    mark_repeats,
    parse_decimal,
)
from accord.dataio.models import ImportBatch, ImportRecord

PRODUCT_FIELDS = ("name", "description", "kind", "unit", "tax_rate", "is_active")
ALIASES = {"sku": "sku", "amount": "price"}


class TaxRates:
    """Active VAT rates by name ("НДС 20 %") or by rate ("20", "20 %"); a rate shared by
    several countries resolves to the seller's country (one query)."""

    def __init__(self) -> None:
        self.rates = list(TaxRate.objects.filter(is_active=True))
        self.country = seller_country()

    def resolve(self, row: RowResult, key: str) -> TaxRate | None:
        raw = text(row, key)
        if not raw:
            return None
        found = [r for r in self.rates if fold(r.name) == fold(raw)]
        if not found:
            try:
                rate = parse_decimal(raw.rstrip("% "))
            except ValidationError:
                rate = None
            found = [r for r in self.rates if rate is not None and r.rate == rate]
        if len(found) > 1:
            found = [r for r in found if r.country == self.country] or found
        if len(found) > 1:
            found = [r for r in found if r.is_default] or found
        if len(found) == 1:
            return found[0]
        if not found:
            row.add_error(key, _("VAT rate “%(value)s” not found.") % {"value": raw})
        else:
            row.add_error(
                key,
                _("Several VAT rates match “%(value)s”; use the rate's name.") % {"value": raw},
            )
        return None


class ProductHandler(Handler):
    """Products and services, matched by article code; an optional price in a price list."""

    object_type = "product"
    label = gettext_lazy("products")

    def fields(self, user: Any) -> list[TargetField]:
        return [
            target(
                "sku",
                _("Article code"),
                "sku|code|article|article code|артикул|код|référence|code article"
                "|artikelnummer|artikel",
                required=True,
                help=_("Identifies the product: a row with a known code matches it."),
            ),
            target(
                "name",
                _("Name"),
                "name|product|product name|наименование|название|товар|nom|désignation"
                "|produit|bezeichnung|produkt",
                required=True,
            ),
            target("description", _("Description"), "description|описание|beschreibung"),
            target(
                "kind",
                _("Type"),
                "type|kind|тип|вид|genre|art",
                help=_("Product or service; empty: product."),
            ),
            target(
                "unit",
                _("Unit"),
                "unit|ед. изм.|единица|единица измерения|unité|einheit",
                help=_("pcs, set, h, day, month, m, m², kg, service, licence."),
            ),
            target(
                "tax_rate",
                _("VAT rate"),
                "vat|vat rate|tax|ндс|ставка ндс|tva|taux de tva|mwst|ust",
                help=_("The rate (20 %) or its name; empty: the seller country's default."),
            ),
            target(
                "price",
                _("Price"),
                "price|цена|стоимость|prix|preis",
                help=_("A number; a decimal comma is fine: 1 250,50."),
            ),
            target(
                "price_list",
                _("Price list"),
                "price list|прайс-лист|прайс|liste de prix|tarif|preisliste",
                help=_("Empty: the default price list in the given currency."),
            ),
            target("currency", _("Currency"), "currency|валюта|devise|währung"),
            target(
                "is_active",
                _("Active"),
                "active|is active|активен|активный|actif|aktiv",
                help=_("yes/no; empty: yes for new products."),
            ),
        ]

    def clean(self, rows: list[RowResult], user: Any) -> None:
        units = Choices.from_text_choices(Unit)
        kinds = Choices.from_text_choices(Product.Kind)
        rates = TaxRates()
        lists = {fold(p.name): p for p in PriceList.objects.filter(is_active=True)}
        for row in rows:
            values: dict[str, Any] = {}
            sku = text(row, "sku")
            if not sku:
                row.add_error("sku", _("Enter the article code."))
            values["sku"] = sku
            name = text(row, "name")
            if name:
                values["name"] = name
            if "description" in row.raw and text(row, "description"):
                values["description"] = str(row.raw["description"]).strip()
            for key, choices in (("unit", units), ("kind", kinds)):
                if text(row, key):
                    try:
                        values[key] = choices.resolve(text(row, key))
                    except ValidationError as exc:
                        row.add_error(key, exc.messages[0])
            tax_rate = rates.resolve(row, "tax_rate")
            if tax_rate is not None:
                values["tax_rate"] = tax_rate
            active = clean_bool(row, "is_active")
            if active is not None:
                values["is_active"] = active
            self._clean_price(row, values, lists)
            check_lengths(row, values, Product)
            row.values = values
        self._match(rows, user)

    def _clean_price(
        self, row: RowResult, values: dict[str, Any], lists: dict[str, PriceList]
    ) -> None:
        amount = clean_decimal(row, "price", minimum=Decimal("0"))
        currency = clean_currency(row, "currency")
        list_name = text(row, "price_list")
        price_list = None
        if list_name:
            price_list = lists.get(fold(list_name))
            if price_list is None:
                row.add_error(
                    "price_list", _("Price list “%(value)s” not found.") % {"value": list_name}
                )
                return
            if currency and currency != price_list.currency:
                row.add_error(
                    "currency",
                    _("The price list “%(list)s” is in %(currency)s.")
                    % {"list": price_list.name, "currency": price_list.currency},
                )
                return
        if amount is None:
            return
        if price_list is None and "currency" not in row.errors:
            price_list = default_price_list(currency)
            if price_list is None:
                row.add_error(
                    "price_list",
                    _("No active price list in %(currency)s; name the price list.")
                    % {"currency": currency or "—"},
                )
                return
        if price_list is not None:
            values["price"] = amount
            values["price_list"] = price_list

    def _match(self, rows: list[RowResult], user: Any) -> None:
        codes = {r.values["sku"] for r in rows if r.values.get("sku")}
        existing = dict(products_visible_to(user).filter(sku__in=codes).values_list("sku", "pk"))
        for row in rows:
            pk = existing.get(row.values.get("sku", ""))
            if pk is not None:
                row.match_id, row.match_reason = pk, _("same article code")
            elif row.ok and not row.values.get("name"):
                row.add_error("name", _("Enter the product's name."))
        mark_repeats(rows, lambda row: [row.values.get("sku")])

    def create(self, rows: list[RowResult], *, actor: Any, batch: ImportBatch) -> list[int]:
        require(actor, Action.ADD, Product)

        def write(row: RowResult) -> int:
            values = row.values
            product = product_create(
                actor=actor,
                sku=values["sku"],
                **{k: values[k] for k in PRODUCT_FIELDS if k in values},
            )
            if "price" in values:
                price_set(
                    actor=actor,
                    product=product,
                    price_list=values["price_list"],
                    amount=values["price"],
                )
            record(batch, self.object_type, product, row)
            return product.pk

        return write_rows(rows, write, ALIASES)

    def update(self, rows: list[RowResult], *, actor: Any, batch: ImportBatch) -> None:
        require(actor, Action.CHANGE, Product)
        products = Product.objects.in_bulk([r.match_id for r in rows if r.match_id])

        def write(row: RowResult) -> int | None:
            product = products.get(row.match_id or 0)
            if product is None:
                raise ValidationError({"sku": [_("The matched product no longer exists.")]})
            values = row.values
            fields = {k: values[k] for k in PRODUCT_FIELDS if k in values}
            before = {
                k: current_value(product, k)
                for k, v in fields.items()
                if current_value(product, k) != jsonable(v)
            }
            price_list = values.get("price_list")
            if price_list is not None:
                old = (
                    Price.objects.filter(price_list=price_list, product=product, option=None)
                    .values_list("amount", flat=True)
                    .first()
                )
                if old != values["price"]:
                    before["prices"] = {str(price_list.pk): str(old) if old is not None else None}
            if not before:
                return None
            previous = product.version
            if fields:
                product = product_update(actor=actor, product=product, fields=fields)
            if price_list is not None and "prices" in before:
                price_set(
                    actor=actor, product=product, price_list=price_list, amount=values["price"]
                )
            record(batch, self.object_type, product, row, before=before, previous_version=previous)
            products[product.pk] = Product.objects.get(pk=product.pk)
            return product.pk

        write_rows(rows, write, ALIASES)

    def undo(self, records: list[ImportRecord], *, actor: Any) -> list[int]:
        return undo_records(
            Product,
            records,
            delete=lambda product: _remove_imported(actor=actor, product=product),
            restore=lambda product, before: _restore_product(actor, product, before),
        )


def _restore_product(actor: Any, product: Product, before: dict[str, Any]) -> None:
    fields = dict(before)
    prices = fields.pop("prices", {})
    if "tax_rate" in fields:
        fields["tax_rate"] = TaxRate.objects.filter(pk=fields["tax_rate"]).first()
    if fields:
        product = product_update(actor=actor, product=product, fields=fields)
    for list_id, amount in prices.items():
        price_list = PriceList.objects.get(pk=int(list_id))
        if amount is None:
            price_remove(actor=actor, product=product, price_list=price_list)
        else:
            price_set(actor=actor, product=product, price_list=price_list, amount=amount)


def _remove_imported(*, actor: Any, product: Product) -> None:
    """Products are never deleted once documents point at them: an imported product nobody
    used yet is removed (with its prices); one already on a quote or order, or when the actor
    may not delete products, is deactivated instead, so undo never breaks a document."""
    if allows(actor, Action.DELETE, product):
        try:
            record_delete(obj=product, actor=actor)
            return
        except ProtectedError:
            pass
    if product.is_active:
        product_deactivate(actor=actor, product=product)


register_handler(ProductHandler())
