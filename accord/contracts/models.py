"""Service contracts and warranty (V2): what a client's installed equipment is covered by,
which service level applies, what visits or hours are included and how much is used."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accord.core.models import OwnedModel, TrackedModel


class Asset(TrackedModel):
    """A unit installed at a client, known by its serial number, with its own warranty."""

    company = models.ForeignKey(
        "parties.Company", on_delete=models.PROTECT, related_name="assets", verbose_name=_("client")
    )
    product = models.ForeignKey(
        "catalog.Product",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assets",
        verbose_name=_("product"),
    )
    serial_number = models.CharField(_("serial number"), max_length=80)
    # The serial as people type it differently ("ab-12 " vs "AB-12"): trimmed and upper-cased,
    # indexed, so the lookup when a case is opened is one index probe on any database.
    serial_key = models.CharField(max_length=80, editable=False, default="")
    description = models.CharField(_("description"), max_length=255, blank=True)
    location = models.CharField(_("location"), max_length=255, blank=True)
    order = models.ForeignKey(
        "commerce.Order",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assets",
        verbose_name=_("order"),
    )
    installed_on = models.DateField(_("installed on"), null=True, blank=True)
    warranty_until = models.DateField(_("warranty until"), null=True, blank=True)

    class Meta:
        ordering = ["serial_number", "id"]
        verbose_name = _("installed unit")
        verbose_name_plural = _("installed units")
        constraints = [
            models.UniqueConstraint(
                fields=["product", "serial_key"], name="asset_serial_per_product"
            ),
            models.UniqueConstraint(
                fields=["company", "serial_key"],
                condition=Q(product__isnull=True),
                name="asset_serial_no_product",
            ),
        ]
        indexes = [
            models.Index(fields=["serial_key"], name="asset_serial_idx"),
            models.Index(fields=["company", "serial_number"], name="asset_company_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.serial_number} {self.description}".strip()

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.serial_number = self.serial_number.strip()
        self.serial_key = serial_key(self.serial_number)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "serial_number" in update_fields:
            kwargs["update_fields"] = {*update_fields, "serial_key"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("contracts:asset_detail", args=[self.pk])

    def audit_related(self) -> models.Model:
        return self.company

    def warranty_status(self, on_date: datetime.date) -> str:
        """ "in", "out" or "unknown" (no warranty date typed)."""
        if self.warranty_until is None:
            return WARRANTY_UNKNOWN
        return WARRANTY_IN if self.warranty_until >= on_date else WARRANTY_OUT


WARRANTY_IN = "in"
WARRANTY_OUT = "out"
WARRANTY_UNKNOWN = "unknown"


def serial_key(serial_number: str) -> str:
    """How serial numbers are compared: trimmed, inner blanks dropped, upper-case."""
    return "".join(str(serial_number or "").split()).upper()


class ServiceContract(OwnedModel):
    """A contract for service: period, service level, covered products or units, and the
    visits or hours it includes."""

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("contract status", "Draft")
        ACTIVE = "active", pgettext_lazy("contract status", "Active")
        EXPIRED = "expired", pgettext_lazy("contract status", "Expired")
        CANCELLED = "cancelled", pgettext_lazy("contract status", "Cancelled")

    number = models.CharField(_("number"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=255)
    company = models.ForeignKey(
        "parties.Company",
        on_delete=models.PROTECT,
        related_name="service_contracts",
        verbose_name=_("client"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    starts_on = models.DateField(_("start"))
    ends_on = models.DateField(_("end"))
    sla_policy = models.ForeignKey(
        "sla.SlaPolicy",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contracts",
        verbose_name=_("service level"),
    )
    covered_products = models.ManyToManyField(
        "catalog.Product", blank=True, related_name="+", verbose_name=_("covered products")
    )
    covered_assets = models.ManyToManyField(
        Asset, blank=True, related_name="contracts", verbose_name=_("covered units")
    )
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True, default="")
    renewal_notice_days = models.PositiveSmallIntegerField(
        _("remind before expiry (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    renewal_reminded_at = models.DateTimeField(
        _("renewal reminder sent"), null=True, blank=True, editable=False
    )
    notes = models.TextField(_("notes"), blank=True)
    renewed_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="renewals",
        editable=False,
        verbose_name=_("renewal of"),
    )

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("service contract")
        verbose_name_plural = _("service contracts")
        indexes = [
            models.Index(fields=["company", "status", "ends_on"], name="contract_company_idx"),
            models.Index(fields=["status", "ends_on"], name="contract_expiry_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="contract_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("contracts:contract_detail", args=[self.pk])

    def audit_related(self) -> models.Model:
        return self.company

    def is_in_force(self, on_date: datetime.date) -> bool:
        """Active and the date inside its period: only then does it cover cases and use."""
        return self.status == self.Status.ACTIVE and self.starts_on <= on_date <= self.ends_on


class Entitlement(models.Model):
    """What a contract includes: so many visits, hours or cases over its period."""

    class Unit(models.TextChoices):
        VISITS = "visits", _("Visits")
        HOURS = "hours", _("Hours")
        CASES = "cases", _("Cases")

    contract = models.ForeignKey(
        ServiceContract,
        on_delete=models.CASCADE,
        related_name="entitlements",
        verbose_name=_("contract"),
    )
    unit = models.CharField(_("unit"), max_length=8, choices=Unit.choices)
    included = models.DecimalField(
        _("included"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0)]
    )

    class Meta:
        ordering = ["contract", "unit"]
        verbose_name = _("entitlement")
        verbose_name_plural = _("entitlements")
        constraints = [
            models.UniqueConstraint(fields=["contract", "unit"], name="entitlement_per_unit")
        ]

    def __str__(self) -> str:
        return f"{self.included} {self.get_unit_display()}"


class Consumption(models.Model):
    """One use of an entitlement: a visit made, hours worked, a case opened."""

    entitlement = models.ForeignKey(
        Entitlement,
        on_delete=models.CASCADE,
        related_name="consumptions",
        verbose_name=_("entitlement"),
    )
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=2)
    occurred_on = models.DateField(_("date"))
    case = models.ForeignKey(
        "service.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="consumptions",
        verbose_name=_("case"),
    )
    source = models.CharField(
        _("source"), max_length=40, blank=True, help_text=_("e.g. work order WO-12")
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-occurred_on", "-id"]
        verbose_name = _("consumption")
        verbose_name_plural = _("consumption")

    def __str__(self) -> str:
        return f"{self.occurred_on} {self.quantity}"
