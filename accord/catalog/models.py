"""The catalogue (K3, K4): products and services, price lists per currency, VAT rates per
country, and configurable products whose options obey compatibility rules."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accord.core.models import TrackedModel

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


def currency_choices() -> list[tuple[str, str]]:
    return [(code, code) for code in settings.ACCORD_CURRENCIES]


class Unit(models.TextChoices):
    """Units of measure a line can be counted in."""

    PIECE = "pcs", pgettext_lazy("unit", "pcs")
    SET = "set", pgettext_lazy("unit", "set")
    HOUR = "h", pgettext_lazy("unit", "h")
    DAY = "day", pgettext_lazy("unit", "day")
    MONTH = "month", pgettext_lazy("unit", "month")
    METRE = "m", pgettext_lazy("unit", "m")
    SQUARE_METRE = "m2", pgettext_lazy("unit", "m²")
    KILOGRAM = "kg", pgettext_lazy("unit", "kg")
    SERVICE = "service", pgettext_lazy("unit", "service")
    LICENCE = "licence", pgettext_lazy("unit", "licence")


class TaxRate(models.Model):
    """A VAT rate of one country (20 % in Russia and France by default); administrators add
    reduced rates. The country's default rate applies to products without their own."""

    country = models.CharField(_("country"), max_length=2, help_text=_("ISO code, e.g. RU, FR."))
    name = models.CharField(_("name"), max_length=80)
    rate = models.DecimalField(_("rate, %"), max_digits=5, decimal_places=2, validators=PERCENT)
    is_default = models.BooleanField(_("default for the country"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["country", "-is_default", "-rate", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["country"], condition=Q(is_default=True), name="taxrate_one_default"
            ),
            models.CheckConstraint(
                condition=Q(rate__gte=0) & Q(rate__lte=100), name="taxrate_rate_percent"
            ),
        ]
        verbose_name = _("VAT rate")
        verbose_name_plural = _("VAT rates")

    def __str__(self) -> str:
        return f"{self.country} {self.name} ({self.rate.normalize():f} %)"


class PriceList(TrackedModel):
    """Prices in one currency for one audience ("RUB retail", "EUR partners")."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    currency = models.CharField(_("currency"), max_length=3, choices=currency_choices)
    prices_include_tax = models.BooleanField(_("prices include VAT"), default=False)
    is_default = models.BooleanField(_("default"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="pricelist_one_default"
            )
        ]
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")

    def __str__(self) -> str:
        return f"{self.name} ({self.currency})"


class Product(TrackedModel):
    """A product or a service the company sells. A configurable product is sold only through
    the configurator, which turns a valid choice of options into line items."""

    class Kind(models.TextChoices):
        PRODUCT = "product", _("Product")
        SERVICE = "service", _("Service")

    sku = models.CharField(_("article"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.PRODUCT)
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices, default=Unit.PIECE)
    tax_rate = models.ForeignKey(
        TaxRate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("VAT rate"),
        help_text=_("Empty: the default rate of the seller's country."),
    )
    is_configurable = models.BooleanField(_("configurable"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["is_active", "name"], name="product_active_name_idx")]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return f"{self.sku} · {self.name}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("catalog:product_detail", args=[self.pk])


class OptionGroup(models.Model):
    """A question the configurator asks about a product ("Voltage", "Extras")."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="option_groups", verbose_name=_("product")
    )
    name = models.CharField(_("name"), max_length=120)
    is_required = models.BooleanField(_("an answer is required"), default=False)
    allows_multiple = models.BooleanField(_("several options allowed"), default=False)
    position = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["product", "position", "id"]
        verbose_name = _("option group")
        verbose_name_plural = _("option groups")

    def __str__(self) -> str:
        return self.name


class ProductOption(models.Model):
    """One answer within an option group; its price adjustment lives in ``Price`` rows."""

    group = models.ForeignKey(
        OptionGroup, on_delete=models.CASCADE, related_name="options", verbose_name=_("group")
    )
    code = models.SlugField(_("code"), max_length=60)
    name = models.CharField(_("name"), max_length=255)
    is_default = models.BooleanField(_("selected by default"), default=False)
    position = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["group", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["group", "code"], name="option_unique_code")]
        verbose_name = _("option")
        verbose_name_plural = _("options")

    def __str__(self) -> str:
        return self.name


class OptionRule(models.Model):
    """Compatibility between two options of one product: choosing ``option`` requires, or
    excludes, ``target``."""

    class Kind(models.TextChoices):
        REQUIRES = "requires", _("requires")
        EXCLUDES = "excludes", _("excludes")

    option = models.ForeignKey(
        ProductOption, on_delete=models.CASCADE, related_name="rules", verbose_name=_("option")
    )
    kind = models.CharField(_("rule"), max_length=10, choices=Kind.choices)
    target = models.ForeignKey(
        ProductOption,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("other option"),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["option", "kind", "target"], name="rule_unique"),
            models.CheckConstraint(condition=~Q(option=models.F("target")), name="rule_not_self"),
        ]
        verbose_name = _("option rule")
        verbose_name_plural = _("option rules")

    def __str__(self) -> str:
        return f"{self.option} {self.get_kind_display()} {self.target}"


class Price(models.Model):
    """The price of a product (``option`` empty) or an option's adjustment in a price list."""

    price_list = models.ForeignKey(
        PriceList, on_delete=models.CASCADE, related_name="prices", verbose_name=_("price list")
    )
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="prices", verbose_name=_("product")
    )
    option = models.ForeignKey(
        ProductOption,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="prices",
        verbose_name=_("option"),
    )
    amount = models.DecimalField(_("price"), max_digits=14, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["price_list", "product"],
                condition=Q(option__isnull=True),
                name="price_unique_product",
            ),
            models.UniqueConstraint(
                fields=["price_list", "option"],
                condition=Q(option__isnull=False),
                name="price_unique_option",
            ),
            models.CheckConstraint(
                condition=Q(option__isnull=False) | Q(amount__gte=0),
                name="price_product_not_negative",
            ),
        ]
        verbose_name = _("price")
        verbose_name_plural = _("prices")

    def __str__(self) -> str:
        return f"{self.amount} {self.price_list.currency}"
