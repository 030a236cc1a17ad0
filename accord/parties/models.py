"""Companies (accounts) and contacts (people): the client base that belongs to the company (S1, D1)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accord.core.models import OwnedModel, Picklist, PicklistOption


def picklist_fk(
    picklist: str, verbose_name: Any
) -> models.ForeignKey[PicklistOption | None, PicklistOption | None]:
    return models.ForeignKey(
        PicklistOption,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"picklist": picklist, "is_active": True},
        verbose_name=verbose_name,
    )


class Tag(models.Model):
    """A free label on companies and contacts ("key account", "tender 2026")."""

    name = models.CharField(_("name"), max_length=60, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Company(OwnedModel):
    """A client, prospect or partner organisation: the hub of the client card (S2)."""

    name = models.CharField(_("name"), max_length=255)
    legal_name = models.CharField(_("legal name"), max_length=255, blank=True)
    inn = models.CharField(
        _("INN"),
        max_length=12,
        blank=True,
        help_text=_("Russian taxpayer number: 10 digits for organisations, 12 for individuals."),
    )
    kpp = models.CharField(
        _("KPP"),
        max_length=9,
        blank=True,
        help_text=_("Russian tax registration reason code: 9 characters."),
    )
    ogrn = models.CharField(
        _("OGRN"),
        max_length=15,
        blank=True,
        help_text=_("Russian state registration number: 13 digits (15 for sole traders)."),
    )
    siren = models.CharField(
        _("SIREN"), max_length=9, blank=True, help_text=_("French company number: 9 digits.")
    )
    siret = models.CharField(
        _("SIRET"),
        max_length=14,
        blank=True,
        help_text=_("French establishment number: 14 digits."),
    )
    vat_number = models.CharField(
        _("VAT number"),
        max_length=20,
        blank=True,
        help_text=_("EU VAT number with country prefix, e.g. FR40303265045."),
    )
    industry = picklist_fk(Picklist.INDUSTRY, _("industry"))
    region = picklist_fk(Picklist.REGION, _("region"))
    company_type = picklist_fk(Picklist.COMPANY_TYPE, _("company type"))
    source = picklist_fk(Picklist.SOURCE, _("source"))
    size = picklist_fk(Picklist.SIZE, _("size"))
    service_tier = picklist_fk(Picklist.CLIENT_TIER, _("client tier"))
    country = models.CharField(
        _("country"), max_length=2, blank=True, help_text=_("Two-letter ISO code, e.g. RU, FR, DE.")
    )
    website = models.URLField(_("website"), blank=True)
    description = models.TextField(_("description"), blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="companies", verbose_name=_("tags"))
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    # Maintained by services: lower-cased name, transliteration, identifiers, phones, e-mails.
    search_text = models.TextField(default="", blank=True, editable=False)
    # Transliterated, legal-form-free name for duplicate detection across scripts (D6).
    name_key = models.CharField(
        max_length=255, default="", blank=True, editable=False, db_index=True
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        indexes = [
            models.Index(fields=["name", "id"], name="company_name_idx"),
            models.Index(fields=["owner", "name", "id"], name="company_owner_name_idx"),
            models.Index(fields=["team", "name", "id"], name="company_team_name_idx"),
            models.Index(fields=["-updated_at", "id"], name="company_updated_idx"),
            models.Index(fields=["inn"], name="company_inn_idx", condition=~Q(inn="")),
            models.Index(fields=["siren"], name="company_siren_idx", condition=~Q(siren="")),
            models.Index(
                fields=["vat_number"], name="company_vat_idx", condition=~Q(vat_number="")
            ),
        ]
        constraints = [
            # Branches of one Russian legal entity share the INN and differ by KPP.
            models.UniqueConstraint(
                fields=["inn", "kpp"], condition=~Q(inn=""), name="company_unique_inn_kpp"
            ),
            models.UniqueConstraint(
                fields=["siret"], condition=~Q(siret=""), name="company_unique_siret"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="company_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("parties:company_detail", args=[self.pk])


class Contact(OwnedModel):
    """A person: at a client company, or on their own (S1)."""

    class Channel(models.TextChoices):
        ANY = "", _("No preference")
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("E-mail")
        MESSENGER = "messenger", _("Messenger")
        MEETING = "meeting", _("In person")

    last_name = models.CharField(_("last name"), max_length=120, blank=True)
    first_name = models.CharField(_("first name"), max_length=120, blank=True)
    middle_name = models.CharField(_("patronymic / middle name"), max_length=120, blank=True)
    position = models.CharField(_("position"), max_length=200, blank=True)
    companies = models.ManyToManyField(
        Company,
        through="Employment",
        related_name="contacts",
        blank=True,
        verbose_name=_("companies"),
    )
    primary_company = models.ForeignKey(
        Company,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("company"),
    )
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=12, choices=Channel.choices, blank=True, default=""
    )
    do_not_call = models.BooleanField(_("do not call"), default=False)
    do_not_email = models.BooleanField(_("do not e-mail"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="contacts", verbose_name=_("tags"))
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    full_name = models.CharField(max_length=370, default="", blank=True, editable=False)
    search_text = models.TextField(default="", blank=True, editable=False)
    name_key = models.CharField(
        max_length=255, default="", blank=True, editable=False, db_index=True
    )

    class Meta:
        ordering = ["full_name", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            models.Index(fields=["full_name", "id"], name="contact_name_idx"),
            models.Index(fields=["owner", "full_name", "id"], name="contact_owner_name_idx"),
            models.Index(fields=["team", "full_name", "id"], name="contact_team_name_idx"),
            models.Index(fields=["primary_company", "full_name"], name="contact_company_idx"),
            models.Index(fields=["-updated_at", "id"], name="contact_updated_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(last_name="", first_name=""), name="contact_has_a_name"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or " ".join(p for p in (self.first_name, self.last_name) if p)

    def compose_full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)

    def audit_related(self) -> Company | None:
        return self.primary_company

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("parties:contact_detail", args=[self.pk])


class Employment(models.Model):
    """A contact's place at a company: one person may work for several clients."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="employments")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="employments")
    position = models.CharField(_("position"), max_length=200, blank=True)
    role = picklist_fk(Picklist.CONTACT_ROLE, _("role"))
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact", "company"], name="employment_unique")
        ]
        indexes = [models.Index(fields=["company", "contact"], name="employment_company_idx")]
        verbose_name = _("employment")
        verbose_name_plural = _("employments")

    def __str__(self) -> str:
        return f"{self.contact} @ {self.company}"


class ContactPoint(models.Model):
    """A phone, e-mail or messenger handle of a company or a contact, stored normalised
    (phones as E.164, e-mails lower-cased) so that search and duplicate checks hit an index."""

    class Kind(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("E-mail")
        MESSENGER = "messenger", _("Messenger")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    label = models.CharField(_("label"), max_length=40, blank=True)
    value = models.CharField(_("value"), max_length=254)
    normalized = models.CharField(max_length=254, editable=False)
    is_primary = models.BooleanField(_("primary"), default=False)
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, null=True, blank=True, related_name="contact_points"
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="contact_points"
    )

    class Meta:
        ordering = ["kind", "-is_primary", "id"]
        indexes = [models.Index(fields=["kind", "normalized"], name="contactpoint_lookup_idx")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(company__isnull=False, contact__isnull=True)
                    | Q(company__isnull=True, contact__isnull=False)
                ),
                name="contactpoint_one_owner",
            ),
            models.UniqueConstraint(
                fields=["company", "kind", "normalized"],
                condition=Q(company__isnull=False),
                name="contactpoint_unique_company",
            ),
            models.UniqueConstraint(
                fields=["contact", "kind", "normalized"],
                condition=Q(contact__isnull=False),
                name="contactpoint_unique_contact",
            ),
        ]
        verbose_name = _("contact detail")
        verbose_name_plural = _("contact details")

    def __str__(self) -> str:
        return self.value


class Address(models.Model):
    """A postal address of a company (legal, postal, office, site)."""

    class Kind(models.TextChoices):
        LEGAL = "legal", _("Legal address")
        POSTAL = "postal", _("Postal address")
        OFFICE = "office", _("Office")
        SITE = "site", _("Site")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.OFFICE)
    street = models.CharField(_("street and number"), max_length=255)
    city = models.CharField(_("city"), max_length=120, blank=True)
    postcode = models.CharField(_("postcode"), max_length=20, blank=True)
    region_name = models.CharField(_("region / state"), max_length=120, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)

    class Meta:
        ordering = ["kind", "id"]
        verbose_name = _("address")
        verbose_name_plural = _("addresses")

    def __str__(self) -> str:
        return ", ".join(p for p in (self.street, self.postcode, self.city, self.country) if p)
