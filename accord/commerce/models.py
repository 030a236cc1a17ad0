"""Quotes, orders, shipments, invoices and payments (S3, S4, T4, D3): the money side of a
deal. Amounts are ``Decimal`` throughout; line and document totals are computed by
``accord.commerce.pricing`` and stored so lists and analytics never recompute them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accord.catalog.models import PERCENT, PriceList, Product, Unit, currency_choices
from accord.core.models import OwnedModel, Picklist, TrackedModel
from accord.parties.models import Company, Contact, picklist_fk

ZERO = Decimal("0")


def money_field(verbose_name: Any) -> models.DecimalField[Decimal, Decimal]:
    """A computed amount: stored, never typed in."""
    return models.DecimalField(
        verbose_name, max_digits=14, decimal_places=2, default=ZERO, editable=False
    )


class SellerProfile(models.Model):
    """Our own company as it appears on quotes and invoices (letterhead and details).
    One row; administrators edit it."""

    name = models.CharField(_("company name"), max_length=255)
    legal_name = models.CharField(_("legal name"), max_length=255, blank=True)
    country = models.CharField(
        _("country"), max_length=2, default="RU", help_text=_("Decides the default VAT rate.")
    )
    address = models.TextField(_("address"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.URLField(_("website"), blank=True)
    inn = models.CharField(_("INN"), max_length=12, blank=True)
    kpp = models.CharField(_("KPP"), max_length=9, blank=True)
    ogrn = models.CharField(_("OGRN"), max_length=15, blank=True)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True)
    bank_details = models.TextField(_("bank details"), blank=True)
    logo = models.ImageField(_("logo"), upload_to="letterhead/", blank=True)
    quote_validity_days = models.PositiveSmallIntegerField(_("quotes valid for, days"), default=30)
    payment_terms_days = models.PositiveSmallIntegerField(_("invoices due in, days"), default=14)
    quote_footer = models.TextField(_("text at the end of quotes"), blank=True)

    class Meta:
        verbose_name = _("our company details")
        verbose_name_plural = _("our company details")

    def __str__(self) -> str:
        return self.name


class NumberSequence(models.Model):
    """Gap-free document numbers per kind and year (Q-2026-00042), taken under a row lock."""

    kind = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "year"], name="numbersequence_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind}-{self.year}: {self.last}"


class LineBase(models.Model):
    """A priced line: catalogue product (with its chosen options) or free text."""

    position = models.PositiveSmallIntegerField(_("no."), default=0)
    product = models.ForeignKey(
        Product,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("product"),
    )
    description = models.CharField(_("description"), max_length=500)
    configuration = models.JSONField(_("configuration"), default=list, blank=True)
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=12,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices, default=Unit.PIECE)
    unit_price = models.DecimalField(
        _("unit price"), max_digits=14, decimal_places=2, validators=[MinValueValidator(ZERO)]
    )
    discount_percent = models.DecimalField(
        _("discount, %"), max_digits=5, decimal_places=2, default=ZERO, validators=PERCENT
    )
    tax_rate = models.DecimalField(
        _("VAT, %"), max_digits=5, decimal_places=2, default=ZERO, validators=PERCENT
    )
    # Computed by accord.commerce.pricing, stored.
    net_amount = money_field(_("net"))
    tax_amount = money_field(_("VAT"))
    total_amount = money_field(_("total"))

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.description


class DocumentBase(OwnedModel):
    """What quotes, orders and invoices share: number, client, currency and totals."""

    number = models.CharField(_("number"), max_length=30, editable=False)
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("client")
    )
    contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contact"),
    )
    currency = models.CharField(_("currency"), max_length=3, choices=currency_choices)
    notes = models.TextField(_("notes"), blank=True)
    subtotal = money_field(_("subtotal"))
    discount_total = money_field(_("discount"))
    tax_total = money_field(_("VAT"))
    total = money_field(_("total"))

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.number

    def audit_related(self) -> Company:
        return self.company


class Quote(DocumentBase):
    """A commercial proposal for a deal (S4). A new revision copies the lines and keeps the
    number; only the latest revision can be sent. Accepted quotes become orders."""

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("quote status", "Draft")
        SENT = "sent", pgettext_lazy("quote status", "Sent")
        ACCEPTED = "accepted", pgettext_lazy("quote status", "Accepted")
        REJECTED = "rejected", pgettext_lazy("quote status", "Rejected")
        EXPIRED = "expired", pgettext_lazy("quote status", "Expired")

    deal = models.ForeignKey(
        "sales.Deal", on_delete=models.PROTECT, related_name="quotes", verbose_name=_("deal")
    )
    revision = models.PositiveSmallIntegerField(_("revision"), default=1, editable=False)
    previous = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="next_revision",
        editable=False,
    )
    is_latest = models.BooleanField(default=True, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    price_list = models.ForeignKey(
        PriceList,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("price list"),
    )
    discount_percent = models.DecimalField(
        _("discount on the quote, %"),
        max_digits=5,
        decimal_places=2,
        default=ZERO,
        validators=PERCENT,
    )
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    language = models.CharField(
        _("language of the document"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    terms = models.TextField(_("terms and conditions"), blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True, editable=False)
    sent_to = models.CharField(_("sent to"), max_length=1000, blank=True, editable=False)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True, editable=False)
    rejection_reason = models.CharField(_("reason for rejection"), max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["deal", "-revision"], name="quote_deal_idx"),
            models.Index(fields=["status", "valid_until"], name="quote_status_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["number", "revision"], name="quote_unique_revision"),
        ]
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")

    def __str__(self) -> str:
        return f"{self.number}/{self.revision}" if self.revision > 1 else self.number

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("commerce:quote_detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT and self.is_latest


class QuoteLine(LineBase):
    """A line of a quote."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")

    class Meta:
        ordering = ["quote", "position", "id"]
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")


class Order(DocumentBase):
    """A firm order (S3): from an accepted quote, or taken by phone from the client card."""

    class Status(models.TextChoices):
        NEW = "new", pgettext_lazy("order status", "New")
        CONFIRMED = "confirmed", pgettext_lazy("order status", "Confirmed")
        PARTIALLY_SHIPPED = "partial", _("Partially shipped")
        SHIPPED = "shipped", pgettext_lazy("order status", "Shipped")
        COMPLETED = "completed", pgettext_lazy("order status", "Completed")
        CANCELLED = "cancelled", pgettext_lazy("order status", "Cancelled")

    class Channel(models.TextChoices):
        QUOTE = "quote", _("Accepted quote")
        PHONE = "phone", _("Phone")
        EMAIL = "email", pgettext_lazy("order channel", "E-mail")
        MEETING = "meeting", _("Meeting")
        WEB = "web", _("Website")
        OTHER = "other", _("Other")

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.NEW
    )
    channel = models.CharField(
        _("received via"), max_length=10, choices=Channel.choices, default=Channel.PHONE
    )
    deal = models.ForeignKey(
        "sales.Deal",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("deal"),
    )
    quote = models.OneToOneField(
        Quote,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="order",
        verbose_name=_("quote"),
        editable=False,
    )
    ordered_on = models.DateField(_("order date"))
    delivery_date = models.DateField(_("delivery date wanted"), null=True, blank=True)
    delivery_address = models.TextField(_("delivery address"), blank=True)
    customer_reference = models.CharField(_("client's reference"), max_length=120, blank=True)
    fulfilled_at = models.DateTimeField(_("fulfilled"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-ordered_on", "-id"]
        indexes = [
            models.Index(fields=["company", "-ordered_on"], name="order_company_idx"),
            models.Index(fields=["status", "-ordered_on"], name="order_status_idx"),
            models.Index(fields=["ordered_on", "company"], name="order_date_idx"),
            models.Index(fields=["owner", "-ordered_on"], name="order_owner_idx"),
        ]
        constraints = [models.UniqueConstraint(fields=["number"], name="order_unique_number")]
        verbose_name = _("order")
        verbose_name_plural = _("orders")

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("commerce:order_detail", args=[self.pk])


class OrderLine(LineBase):
    """A line of an order; ``quantity_shipped`` is kept in step by the shipment service."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    quantity_shipped = models.DecimalField(
        _("shipped"), max_digits=12, decimal_places=3, default=ZERO, editable=False
    )

    class Meta:
        ordering = ["order", "position", "id"]
        indexes = [models.Index(fields=["product", "order"], name="orderline_product_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity_shipped__lte=models.F("quantity")),
                name="orderline_not_overshipped",
            )
        ]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")


class Shipment(TrackedModel):
    """A delivery of some or all of an order's lines (partial shipments)."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="shipments", verbose_name=_("order")
    )
    number = models.CharField(_("number"), max_length=30, editable=False)
    shipped_on = models.DateField(_("shipped on"))
    carrier = models.CharField(_("carrier"), max_length=120, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=120, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )

    class Meta:
        ordering = ["order", "shipped_on", "id"]
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")

    def __str__(self) -> str:
        return self.number

    def audit_related(self) -> Company:
        return self.order.company


class ShipmentLine(models.Model):
    """How much of one order line left with a shipment."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="shipped")
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=12,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="shipmentline_positive")
        ]
        verbose_name = _("shipment line")
        verbose_name_plural = _("shipment lines")

    def __str__(self) -> str:
        return f"{self.order_line} × {self.quantity}"


class Invoice(DocumentBase):
    """A bill to the client (entered by hand; imported from accounting later), with the
    payments received against it and the balance due."""

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("invoice status", "Draft")
        ISSUED = "issued", pgettext_lazy("invoice status", "Issued")
        PARTIALLY_PAID = "partial", _("Partially paid")
        PAID = "paid", pgettext_lazy("invoice status", "Paid")
        CANCELLED = "cancelled", pgettext_lazy("invoice status", "Cancelled")

    order = models.ForeignKey(
        Order,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoices",
        verbose_name=_("order"),
    )
    project_stage = models.ForeignKey(
        "projects.ProjectStage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invoices",
        verbose_name=_("project stage"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    issued_on = models.DateField(_("issue date"))
    due_on = models.DateField(_("due date"))
    external_reference = models.CharField(_("number in accounting"), max_length=60, blank=True)
    amount_paid = money_field(_("paid"))

    class Meta:
        ordering = ["-issued_on", "-id"]
        indexes = [
            models.Index(fields=["company", "-issued_on"], name="invoice_company_idx"),
            models.Index(fields=["status", "due_on"], name="invoice_status_idx"),
        ]
        constraints = [models.UniqueConstraint(fields=["number"], name="invoice_unique_number")]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("commerce:invoice_detail", args=[self.pk])

    @property
    def balance_due(self) -> Decimal:
        return self.total - self.amount_paid


class InvoiceLine(LineBase):
    """A line of an invoice, usually copied from an order line."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        OrderLine, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["invoice", "position", "id"]
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")


class Payment(TrackedModel):
    """Money received against an invoice. More than the balance due needs an explicit
    confirmation (an overpayment is usually a typing error)."""

    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="payments", verbose_name=_("invoice")
    )
    amount = models.DecimalField(
        _("amount"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    paid_on = models.DateField(_("payment date"))
    method = picklist_fk(Picklist.PAYMENT_METHOD, _("method"))
    reference = models.CharField(_("reference"), max_length=120, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )

    class Meta:
        ordering = ["invoice", "paid_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive")]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self) -> str:
        return f"{self.amount} {self.invoice.currency}"

    def audit_related(self) -> Company:
        return self.invoice.company
