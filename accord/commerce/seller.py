"""Our own company details (the letterhead of quotes and invoices): one row, edited by
administrators. Every document reads it through :func:`get_seller_profile`, so a fresh
installation prints something sensible before anyone has filled it in."""

from __future__ import annotations

import io
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from accord.commerce.models import SellerProfile
from accord.core import audit
from accord.core.models import AuditEntry, User
from accord.core.permissions import require_administrator

LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_PIXELS = 4000
LOGO_FORMATS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif"}

SELLER_FIELDS = (
    "name",
    "legal_name",
    "country",
    "address",
    "phone",
    "email",
    "website",
    "inn",
    "kpp",
    "ogrn",
    "siren",
    "vat_number",
    "bank_details",
    "quote_validity_days",
    "payment_terms_days",
    "quote_footer",
)


def get_seller_profile() -> SellerProfile:
    """The single row of our company details, created with a placeholder name when missing
    (a document must always have a letterhead, even before the administrator fills it in)."""
    profile = SellerProfile.objects.order_by("pk").first()
    if profile is None:
        profile, _created = SellerProfile.objects.get_or_create(
            pk=1, defaults={"name": _("Our company")}
        )
    return profile


def check_logo(uploaded: UploadedFile) -> str:
    """Refuse what is not a small raster image (checked by decoding it with Pillow, not by
    trusting the file name); returns the extension to store it under."""
    from PIL import Image, UnidentifiedImageError

    if uploaded.size is not None and uploaded.size > LOGO_MAX_BYTES:
        raise ValidationError(
            {"logo": [_("The logo must be smaller than %(size)s KB.") % {"size": 1024}]}
        )
    data = uploaded.read()
    uploaded.seek(0)
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            image_format = image.format or ""
            width, height = image.size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise ValidationError({"logo": [_("The logo must be a PNG, JPEG or GIF image.")]}) from None
    if image_format not in LOGO_FORMATS:
        raise ValidationError({"logo": [_("The logo must be a PNG, JPEG or GIF image.")]})
    if width > LOGO_MAX_PIXELS or height > LOGO_MAX_PIXELS:
        raise ValidationError(
            {
                "logo": [
                    _("The logo may be at most %(pixels)s pixels wide and high.")
                    % {"pixels": LOGO_MAX_PIXELS}
                ]
            }
        )
    return LOGO_FORMATS[image_format]


@transaction.atomic
def seller_profile_update(
    *,
    actor: User,
    fields: dict[str, Any],
    logo: UploadedFile | None = None,
    remove_logo: bool = False,
) -> SellerProfile:
    """Administrators change our company details; audited like any business record."""
    require_administrator(actor)
    unknown = set(fields) - set(SELLER_FIELDS)
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})
    profile = SellerProfile.objects.select_for_update().get(pk=get_seller_profile().pk)
    before = audit.snapshot(profile)
    for name, value in fields.items():
        setattr(profile, name, value)
    if fields.get("country"):
        profile.country = str(fields["country"]).upper()
    extension = check_logo(logo) if logo is not None else ""
    profile.full_clean(exclude=["logo"])
    old_logo = profile.logo.name if profile.logo else ""
    if logo is not None:
        profile.logo.save(f"logo.{extension}", logo, save=False)
    elif remove_logo:
        profile.logo = None  # type: ignore[assignment]
    profile.save()
    if old_logo and (logo is not None or remove_logo):
        name = old_logo
        transaction.on_commit(lambda: profile.logo.storage.delete(name))
    changes = audit.diff(before, audit.snapshot(profile))
    if changes:
        audit.record(actor=actor, action=AuditEntry.Kind.CHANGE, obj=profile, changes=changes)
    return profile
