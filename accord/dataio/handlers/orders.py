"""Import of orders (D5): one file row per order line; rows with the same order reference make
one order with several lines, written through the order service (pricing rules, numbering,
audit) exactly like an order taken by phone.

Orders are documents: an import creates them, and for an order that already exists (same
number, or same client and client's reference) it only changes the header of an order still
*new*; its lines are left as they are, and an order already confirmed, shipped or closed is
refused with a clear message.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accord.catalog.models import Price, Product, Unit
from accord.catalog.selectors import active_price_lists, default_tax_rate, products_visible_to
from accord.commerce.models import Order
from accord.commerce.pricing import LineDraft
from accord.commerce.selectors_orders import orders_visible_to
from accord.commerce.services_orders import order_create, order_line_add, order_update
from accord.core.permissions import Action, require
from accord.core.records import record_delete
from accord.dataio.handlers import register_handler
from accord.dataio.handlers._sales_common import (
    CompanyLookup,
    add_service_errors,
    clean_currency,
    clean_date,
    clean_decimal,
    current_value,
    jsonable,
    record,
    target,
    text,
    undo_records,
)
from accord.dataio.handlers.base import Choices, Handler, RowResult, TargetField, check_length
from accord.dataio.models import ImportBatch, ImportRecord
from accord.parties import normalize
from accord.parties.models import Contact, ContactPoint
from accord.parties.selectors import contacts_visible_to

HUNDRED = Decimal("100")
LINE_ALIASES = {"description": "description", "product_id": "product"}


class ContactLookup:
    """Contacts the user may see, by e-mail or by name ("Петров Иван" or "Иван Петров")."""

    def __init__(self, rows: list[RowResult], key: str, user: Any) -> None:
        values = {text(row, key) for row in rows} - {""}
        self.by_email: dict[str, list[Contact]] = {}
        self.by_name: dict[str, list[Contact]] = {}
        if not values:
            return
        emails = {v.lower() for v in values if "@" in v}
        keys: set[str] = set()
        for value in values - emails:
            words = value.split()
            keys.add(normalize.name_key(value))
            keys.add(normalize.name_key(" ".join(reversed(words))))
        found = contacts_visible_to(user).filter(
            Q(name_key__in=keys - {""})
            | Q(
                contact_points__kind=ContactPoint.Kind.EMAIL,
                contact_points__normalized__in=emails,
            )
        )
        points: dict[int, set[str]] = {}
        for contact_id, email in ContactPoint.objects.filter(
            kind=ContactPoint.Kind.EMAIL, normalized__in=emails
        ).values_list("contact_id", "normalized"):
            points.setdefault(contact_id, set()).add(email)
        for contact in found.distinct():
            self.by_name.setdefault(contact.name_key, []).append(contact)
            for email in points.get(contact.pk, ()):
                self.by_email.setdefault(email, []).append(contact)

    def clean(self, row: RowResult, key: str) -> Contact | None:
        raw = text(row, key)
        if not raw:
            return None
        if "@" in raw:
            found = self.by_email.get(raw.lower(), [])
        else:
            words = raw.split()
            found = self.by_name.get(normalize.name_key(raw), []) or self.by_name.get(
                normalize.name_key(" ".join(reversed(words))), []
            )
        if len(found) == 1:
            return found[0]
        if not found:
            row.add_error(key, _("Contact “%(value)s” not found.") % {"value": raw})
        else:
            row.add_error(
                key,
                _("Several contacts are called “%(value)s”; use the e-mail instead.")
                % {"value": raw},
            )
        return None


class OrderHandler(Handler):
    """Orders with their lines; matched by order number or client's reference."""

    object_type = "order"
    label = gettext_lazy("orders")

    def fields(self, user: Any) -> list[TargetField]:
        return [
            target(
                "reference",
                _("Order number"),
                "order|order number|number|reference|order reference|заказ|номер|номер заказа"
                "|commande|numéro|n° commande|référence|bestellung|bestellnummer|auftrag",
                help=_(
                    "Rows with the same number are lines of one order; an order with this "
                    "number (or this client's reference) already in Accord is matched."
                ),
            ),
            target(
                "company",
                _("Client"),
                "company|client|customer|клиент|компания|контрагент|société|kunde|firma",
                required=True,
                help=_("The company's name, INN or number in Accord; it must exist."),
            ),
            target(
                "contact",
                _("Contact"),
                "contact|контакт|контактное лицо|ansprechpartner",
                help=_("The contact's e-mail or name."),
            ),
            target("currency", _("Currency"), "currency|валюта|devise|währung"),
            target(
                "ordered_on",
                _("Order date"),
                "date|order date|дата|дата заказа|date de commande|bestelldatum|datum",
                help=_("31.12.2025, 31/12/2025 or 2025-12-31; empty: today."),
            ),
            target(
                "delivery_date",
                _("Delivery date wanted"),
                "delivery date|дата поставки|срок поставки|date de livraison|liefertermin",
            ),
            target("notes", _("Notes"), "notes|comment|примечание|комментарий|remarques|notizen"),
            target(
                "product",
                _("Product code"),
                "sku|product code|article|артикул|код товара|code article|artikelnummer",
                help=_("The article code of a catalogue product; empty: a free-text line."),
            ),
            target(
                "description",
                _("Line description"),
                "description|item|товар|наименование|описание|désignation|produit"
                "|bezeichnung|artikel",
                help=_("Empty: the product's name."),
            ),
            target(
                "quantity",
                _("Quantity"),
                "quantity|qty|количество|кол-во|quantité|qté|menge|anzahl",
                required=True,
            ),
            target("unit", _("Unit"), "unit|ед. изм.|единица|unité|einheit"),
            target(
                "unit_price",
                _("Unit price"),
                "price|unit price|цена|цена за единицу|prix|prix unitaire|preis|einzelpreis",
                help=_("Empty for a catalogue product: its price in the order's currency."),
            ),
            target(
                "discount_percent",
                _("Discount, %"),
                "discount|discount %|скидка|скидка %|remise|rabatt",
            ),
            target(
                "tax_rate",
                _("VAT, %"),
                "vat|vat %|tax|ндс|ндс %|ставка ндс|tva|mwst|ust",
                help=_("Empty: the product's rate, else the seller country's default."),
            ),
        ]

    # --- cleaning ----------------------------------------------------------------------------

    def clean(self, rows: list[RowResult], user: Any) -> None:
        companies = CompanyLookup(rows, "company", user)
        contacts = ContactLookup(rows, "contact", user)
        for row in rows:
            values: dict[str, Any] = {"reference": text(row, "reference")}
            company = companies.clean(row, "company", required=False)
            if company is not None:
                values["company"] = company
            contact = contacts.clean(row, "contact")
            if contact is not None:
                values["contact"] = contact
            for key, value in (
                ("currency", clean_currency(row, "currency")),
                ("ordered_on", clean_date(row, "ordered_on")),
                ("delivery_date", clean_date(row, "delivery_date")),
            ):
                if value is not None:
                    values[key] = value
            if text(row, "notes"):
                values["notes"] = str(row.raw["notes"]).strip()
            check_length(row, "reference", values["reference"], 120)
            check_length(row, "description", text(row, "description"), 500)
            row.values = values
        groups = self._group(rows)
        codes = {text(r, "product") for r in rows} - {""}
        products = {
            p.sku: p
            for p in products_visible_to(user).filter(sku__in=codes).select_related("tax_rate")
        }
        # The order's currency (order_create's default when none is given) prices its lines.
        currency_of = {
            g[0].number: g[0].values.get("currency") or settings.ACCORD_CURRENCIES[0]
            for g in groups
        }
        prices = _catalogue_prices(products, set(currency_of.values()))
        units = Choices.from_text_choices(Unit)
        fallback_rate = default_tax_rate()
        for row in rows:
            currency = currency_of[row.values["group"]]
            row.values["line"] = self._clean_line(
                row, products, units, fallback_rate, prices.get(currency, {}), currency
            )
        self._match(groups, user)
        for members in groups:
            first = members[0]
            new = first.match_id is None and "append_to" not in first.values
            # The chunk's first order may continue one begun in the previous chunk (its
            # client given there): when it is written, the order service decides.
            continues = first is rows[0] and bool(first.values.get("reference"))
            missing = "company" not in first.values and "company" not in first.errors
            if new and missing and not continues:
                first.add_error("company", _("Enter the client company."))
            bad = [r.number for r in members if not r.ok]
            for row in members:
                if row.ok and bad:
                    row.add_error(
                        "reference",
                        _("Another line of this order (row %(row)s) has an error.")
                        % {"row": bad[0]},
                    )

    def _clean_line(
        self,
        row: RowResult,
        products: dict[str, Product],
        units: Choices,
        fallback_rate: Decimal,
        prices: dict[int, Decimal],
        currency: str | None,
    ) -> LineDraft | None:
        product = None
        code = text(row, "product")
        if code:
            product = products.get(code)
            if product is None:
                row.add_error("product", _("Product “%(value)s” not found.") % {"value": code})
            elif not product.is_active:
                row.add_error(
                    "product", _("Product “%(value)s” is no longer sold.") % {"value": code}
                )
            elif product.is_configurable:
                row.add_error(
                    "product",
                    _(
                        "“%(value)s” is sold through the configurator; import it as a free-text line."
                    )
                    % {"value": code},
                )
        description = text(row, "description") or (product.name if product else "")
        if not description and "product" not in row.errors:
            row.add_error("description", _("Describe the line or give a product code."))
        quantity = clean_decimal(row, "quantity", places=3)
        if quantity is None and "quantity" not in row.errors:
            row.add_error("quantity", _("Enter the quantity."))
        elif quantity is not None and quantity <= 0:
            row.add_error("quantity", _("The quantity must be greater than zero."))
        unit_price = clean_decimal(row, "unit_price", minimum=Decimal("0"))
        if unit_price is None and "unit_price" not in row.errors:
            unit_price = _catalogue_price(row, product, prices, currency)
        discount = clean_decimal(row, "discount_percent", minimum=Decimal("0"))
        if discount is not None and discount > HUNDRED:
            row.add_error("discount_percent", _("A discount must be between 0 and 100 %."))
        tax_rate = clean_decimal(row, "tax_rate", minimum=Decimal("0"))
        if tax_rate is not None and tax_rate > HUNDRED:
            row.add_error("tax_rate", _("A VAT rate must be between 0 and 100 %."))
        if tax_rate is None:
            own = product.tax_rate if product is not None else None
            tax_rate = own.rate if own is not None else fallback_rate
        unit = product.unit if product is not None else Unit.PIECE
        if text(row, "unit"):
            try:
                unit = units.resolve(text(row, "unit"))
            except ValidationError as exc:
                row.add_error("unit", exc.messages[0])
        if not row.ok or quantity is None or unit_price is None:
            return None
        return LineDraft(
            description=description,
            quantity=quantity,
            unit_price=unit_price,
            unit=str(unit),
            discount_percent=discount or Decimal("0"),
            tax_rate=tax_rate,
            product_id=product.pk if product is not None else None,
        )

    def _group(self, rows: list[RowResult]) -> list[list[RowResult]]:
        """Rows with the same reference are one order: the first row's header counts, and
        another client on a later row is an error."""
        groups: dict[str, list[RowResult]] = {}
        for row in rows:
            reference = row.values.get("reference") or f"#row{row.number}"
            groups.setdefault(reference, []).append(row)
        for members in groups.values():
            first = members[0]
            for row in members:
                row.values["group"] = first.number
                company = row.values.get("company")
                other = first.values.get("company") not in (None, company)
                if row is not first and company is not None and other:
                    row.add_error(
                        "company",
                        _("Row %(row)s of the same order names another client.")
                        % {"row": first.number},
                    )
        return list(groups.values())

    def _match(self, groups: list[list[RowResult]], user: Any) -> None:
        """An order with the reference as its number, or the same client and client's
        reference, is matched; one this very import is writing (its first lines were in an
        earlier chunk) gets the rows as more lines instead."""
        references = {g[0].values["reference"] for g in groups if g[0].values.get("reference")}
        if not references:
            return
        found = list(
            orders_visible_to(user)
            .filter(Q(number__in=references) | Q(customer_reference__in=references))
            .only("pk", "number", "customer_reference", "company_id", "status")
        )
        running = set(
            ImportRecord.objects.filter(
                object_type=self.object_type,
                object_id__in=[o.pk for o in found],
                action=ImportRecord.Action.CREATED,
                batch__status=ImportBatch.Status.RUNNING,
            ).values_list("object_id", flat=True)
        )
        for members in groups:
            reference = members[0].values.get("reference")
            company = members[0].values.get("company")
            order = next(
                (
                    o
                    for o in found
                    if reference
                    and (
                        o.number == reference
                        or (
                            o.customer_reference == reference
                            and (
                                o.company_id == getattr(company, "pk", None)
                                or (company is None and o.pk in running)
                            )
                        )
                    )
                ),
                None,
            )
            if order is None:
                continue
            same_number = order.number == reference
            for row in members:
                if order.pk in running:
                    row.values["append_to"] = order.pk
                else:
                    row.match_id = order.pk
                    row.match_reason = (
                        _("same order number") if same_number else _("same client's reference")
                    )

    # --- writing -----------------------------------------------------------------------------

    def create(self, rows: list[RowResult], *, actor: Any, batch: ImportBatch) -> list[int]:
        require(actor, Action.ADD, Order)
        ids: list[int] = []
        for members in _groups(rows):
            try:
                with transaction.atomic():
                    order = self._write_order(members, actor=actor, batch=batch)
            except ValidationError as exc:
                _reject_group(members, exc)
                continue
            except PermissionDenied:
                raise
            if order is not None:
                ids.append(order.pk)
        return ids

    def _write_order(
        self, members: list[RowResult], *, actor: Any, batch: ImportBatch
    ) -> Order | None:
        first = members[0]
        values = first.values
        lines = [r.values["line"] for r in members]
        append_to = values.get("append_to")
        if append_to is not None:
            order = Order.objects.get(pk=append_to)
            for index, line in enumerate(lines):
                try:
                    order_line_add(actor=actor, order=order, line=line)
                except ValidationError as exc:
                    raise ValidationError(
                        {f"lines-{index}-{k}": v for k, v in exc.message_dict.items()}
                    ) from None
            return None
        order = order_create(
            actor=actor,
            company=values.get("company"),  # type: ignore[arg-type]
            contact=values.get("contact"),
            lines=lines,
            currency=values.get("currency"),
            ordered_on=values.get("ordered_on"),
            delivery_date=values.get("delivery_date"),
            notes=values.get("notes", ""),
            customer_reference=values.get("reference", ""),
            channel=Order.Channel.OTHER,
        )
        record(batch, self.object_type, order, first)
        return order

    def update(self, rows: list[RowResult], *, actor: Any, batch: ImportBatch) -> None:
        require(actor, Action.CHANGE, Order)
        orders = Order.objects.in_bulk([r.match_id for r in rows if r.match_id])
        done: set[int] = set()
        for row in rows:
            order = orders.get(row.match_id or 0)
            if order is None:
                row.add_error("reference", _("The matched order no longer exists."))
                continue
            if order.status != Order.Status.NEW:
                row.add_error(
                    "reference",
                    _(
                        "Order %(number)s is already %(status)s; an import does not change it. "
                        "Change it on the order's page."
                    )
                    % {"number": order.number, "status": order.get_status_display().lower()},
                )
                continue
            if order.pk in done:
                continue
            done.add(order.pk)
            self._update_header(row, order, actor=actor, batch=batch)

    def _update_header(
        self, row: RowResult, order: Order, *, actor: Any, batch: ImportBatch
    ) -> None:
        fields: dict[str, Any] = {
            k: row.values[k]
            for k in ("contact", "ordered_on", "delivery_date", "notes")
            if k in row.values
        }
        before: dict[str, Any] = {
            k: current_value(order, k)
            for k, v in fields.items()
            if current_value(order, k) != jsonable(v)
        }
        if not before:
            return
        try:
            with transaction.atomic():
                previous = order.version
                order = order_update(actor=actor, order=order, fields=fields)
                record(
                    batch, self.object_type, order, row, before=before, previous_version=previous
                )
        except ValidationError as exc:
            add_service_errors(row, exc, {"status": "reference"})

    def undo(self, records: list[ImportRecord], *, actor: Any) -> list[int]:
        return undo_records(
            Order,
            records,
            delete=lambda order: _remove_imported(actor=actor, order=order),
            restore=lambda order, before: _restore_header(actor, order, before),
        )


def _catalogue_price(
    row: RowResult, product: Product | None, prices: dict[int, Decimal], currency: str | None
) -> Decimal | None:
    if product is None:
        if "product" not in row.errors:
            row.add_error("unit_price", _("Enter the unit price."))
        return None
    amount = prices.get(product.pk)
    if amount is None:
        row.add_error(
            "unit_price",
            _("“%(product)s” has no price in %(currency)s; enter the unit price.")
            % {"product": product.sku, "currency": currency or settings.ACCORD_CURRENCIES[0]},
        )
    return amount


def _catalogue_prices(
    products: dict[str, Product], currencies: set[str | None]
) -> dict[str | None, dict[int, Decimal]]:
    """Catalogue prices of the chunk's products in the default price list of each currency
    the chunk's orders use (one query for the lists, one for the prices)."""
    result: dict[str | None, dict[int, Decimal]] = {c: {} for c in currencies}
    if not products:
        return result
    lists = list(active_price_lists().order_by("-is_default", "name", "id"))
    chosen: dict[int, list[str | None]] = {}
    for currency in currencies:
        found = next((p for p in lists if currency in (None, p.currency)), None)
        if found is not None:
            chosen.setdefault(found.pk, []).append(currency)
    found_prices = Price.objects.filter(
        product_id__in=[p.pk for p in products.values()],
        price_list_id__in=list(chosen),
        option=None,
    ).values_list("product_id", "price_list_id", "amount")
    for product_id, list_id, amount in found_prices:
        for currency in chosen[list_id]:
            result[currency][product_id] = amount
    return result


def _groups(rows: list[RowResult]) -> Iterator[list[RowResult]]:
    groups: dict[int, list[RowResult]] = {}
    for row in rows:
        groups.setdefault(row.values["group"], []).append(row)
    yield from groups.values()


def _reject_group(members: list[RowResult], exc: ValidationError) -> None:
    """A refused order: line errors on their own row, the others on every row of the order."""
    if not hasattr(exc, "error_dict"):
        for row in members:
            for message in exc.messages:
                row.add_error("reference", message)
        return
    for name, messages in exc.message_dict.items():
        targets = members
        key = name
        if name.startswith("lines-"):
            _prefix, index, key = name.split("-", 2)
            targets = [members[int(index)]] if int(index) < len(members) else members
            key = LINE_ALIASES.get(key, key)
        for row in targets:
            for message in messages:
                row.add_error(key, message)
    for row in members:
        if row.ok:
            row.add_error("reference", _("Another line of this order has an error."))


def _restore_header(actor: Any, order: Order, before: dict[str, Any]) -> None:
    fields = dict(before)
    if "contact" in fields:
        fields["contact"] = Contact.objects.filter(pk=fields["contact"]).first()
    order_update(actor=actor, order=order, fields=fields)


def _remove_imported(*, actor: Any, order: Order) -> None:
    """Orders have no delete service: a document others may rely on is not removed lightly.
    An imported order still *new* (nothing confirmed, shipped or invoiced) is deleted with its
    lines, audited; any other is refused, and undo reports it as left in place."""
    if order.status != Order.Status.NEW or order.invoices.exists():
        raise ValidationError(
            {
                "reference": [
                    _("Order %(number)s has moved on; cancel it on its page instead.")
                    % {"number": order.number}
                ]
            }
        )
    record_delete(obj=order, actor=actor)


register_handler(OrderHandler())
