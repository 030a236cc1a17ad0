"""Writes of what is done on site (V5): checklist ticks, materials used, photos and notes,
and the checklist templates administrators keep. Same rules as accord.fieldservice.services:
permission, validation naming the field, one transaction, an audit entry."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accord.core import audit
from accord.core.models import AuditEntry, User
from accord.core.permissions import Action
from accord.fieldservice.models import (
    ChecklistItem,
    ChecklistTemplate,
    EngineerRate,
    MaterialUse,
    WorkOrder,
    WorkOrderNote,
    WorkOrderPhoto,
)
from accord.fieldservice.services import (
    CENT,
    PHOTO_FORMATS,
    _decimal,
    _lock,
    _require_open,
    money,
    photo_max_bytes,
    recompute_costs,
)

# --- checklist, materials, photos, notes ---------------------------------------------------


@transaction.atomic
def checklist_tick(*, actor: User, item: ChecklistItem, is_done: bool) -> ChecklistItem:
    locked = _lock(actor, item.work_order)
    _require_open(locked, "is_done")
    current = ChecklistItem.objects.select_for_update().get(pk=item.pk)
    if current.is_done == is_done:
        return current
    current.is_done = is_done
    current.done_by = actor if is_done else None
    current.done_at = timezone.now() if is_done else None
    current.save(update_fields=["is_done", "done_by", "done_at"])
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CHANGE,
        obj=current,
        changes={"is_done": [not is_done, is_done]},
        related=locked,
    )
    return current


@transaction.atomic
def checklist_add(*, actor: User, work_order: WorkOrder, text: str) -> ChecklistItem:
    locked = _lock(actor, work_order)
    _require_open(locked, "text")
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_("Describe the step.")]})
    if len(text) > 255:
        raise ValidationError({"text": [_("At most 255 characters.")]})
    last = ChecklistItem.objects.filter(work_order=locked).order_by("-position").first()
    item = ChecklistItem.objects.create(
        work_order=locked, text=text, position=(last.position + 1) if last else 0
    )
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CREATE,
        obj=item,
        changes={"text": [None, text]},
        related=locked,
    )
    return item


def _catalogue_cost(product: Any, currency: str) -> Decimal | None:
    from accord.catalog.selectors import default_price_list, price_of

    price_list = default_price_list(currency)
    return price_of(product, price_list) if price_list is not None else None


@transaction.atomic
def material_add(
    *,
    actor: User,
    work_order: WorkOrder,
    product: Any = None,
    description: str = "",
    quantity: Any,
    unit_cost: Any = None,
) -> MaterialUse:
    """A part used on the visit. A catalogue product's price (in the visit's currency) is
    the default cost; a typed material needs a description and a cost."""
    locked = _lock(actor, work_order)
    _require_open(locked, "quantity")
    description = (description or "").strip()
    if product is None and not description:
        raise ValidationError(
            {"product": [_("Choose a product from the catalogue or describe the material.")]}
        )
    if product is not None and not product.is_active:
        raise ValidationError({"product": [_("This product is no longer sold.")]})
    if quantity in (None, ""):
        raise ValidationError({"quantity": [_("Enter the quantity.")]})
    qty = _decimal(quantity, "quantity")
    if qty <= 0:
        raise ValidationError({"quantity": [_("The quantity must be more than zero.")]})
    if qty != qty.quantize(Decimal("0.001")):
        raise ValidationError({"quantity": [_("At most three decimal places.")]})
    if unit_cost in (None, ""):
        cost = _catalogue_cost(product, locked.currency) if product is not None else None
        if cost is None:
            raise ValidationError(
                {
                    "unit_cost": [
                        _("No catalogue price in %(currency)s: enter the unit cost.")
                        % {"currency": locked.currency}
                    ]
                }
            )
    else:
        cost = _decimal(unit_cost, "unit_cost")
    if cost < 0:
        raise ValidationError({"unit_cost": [_("The cost cannot be negative.")]})
    if cost != cost.quantize(CENT):
        raise ValidationError({"unit_cost": [_("At most two decimal places.")]})
    material = MaterialUse(
        work_order=locked,
        product=product,
        description=description[:255] or (product.name[:255] if product else ""),
        quantity=qty,
        unit_cost=cost,
        currency=locked.currency,
        total=money(qty * cost),
        added_by=actor,
    )
    try:
        material.full_clean(exclude=["total", "work_order", "product", "added_by"])
    except ValidationError:
        raise
    material.save()
    recompute_costs(locked)
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CREATE,
        obj=material,
        changes={
            "description": [None, material.description],
            "quantity": [None, str(qty)],
            "unit_cost": [None, str(cost)],
            "currency": [None, material.currency],
        },
        related=locked,
    )
    return material


@transaction.atomic
def material_remove(*, actor: User, material: MaterialUse) -> None:
    locked = _lock(actor, material.work_order)
    _require_open(locked, "quantity")
    entry = audit.build(
        actor=actor,
        action=AuditEntry.Kind.DELETE,
        obj=material,
        changes={
            "description": [material.description, None],
            "quantity": [str(material.quantity), None],
            "unit_cost": [str(material.unit_cost), None],
        },
        related=locked,
    )
    material.delete()
    entry.save()
    recompute_costs(locked)


def _check_image(upload: UploadedFile) -> str:
    """Refuse anything that is not a real image Pillow can read, or too big."""
    from PIL import Image, UnidentifiedImageError

    limit = photo_max_bytes()
    if upload.size is None or upload.size == 0:
        raise ValidationError({"image": [_("The file is empty.")]})
    if upload.size > limit:
        raise ValidationError(
            {
                "image": [
                    _("The photo is too large (%(size)s MB); the limit is %(limit)s MB.")
                    % {
                        "size": round(upload.size / 1024 / 1024, 1),
                        "limit": round(limit / 1024 / 1024, 1),
                    }
                ]
            }
        )
    data = upload.read()
    upload.seek(0)
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            kind = image.format or ""
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError({"image": [_("This file is not an image we can read.")]}) from exc
    if kind not in PHOTO_FORMATS:
        raise ValidationError({"image": [_("Send a JPEG, PNG, WebP or GIF photo.")]})
    return PHOTO_FORMATS[kind]


@transaction.atomic
def photo_add(
    *, actor: User, work_order: WorkOrder, upload: UploadedFile, caption: str = ""
) -> WorkOrderPhoto:
    locked = _lock(actor, work_order)
    _require_open(locked, "image")
    content_type = _check_image(upload)
    photo = WorkOrderPhoto(
        work_order=locked,
        caption=(caption or "").strip()[:255],
        content_type=content_type,
        size=upload.size or 0,
        uploaded_by=actor,
    )
    photo.image.save(upload.name or "photo", upload, save=False)
    photo.save()
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CREATE,
        obj=photo,
        changes={"image": [None, photo.image.name], "caption": [None, photo.caption]},
        related=locked,
    )
    return photo


@transaction.atomic
def note_add(*, actor: User, work_order: WorkOrder, text: str) -> WorkOrderNote:
    locked = _lock(actor, work_order)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_("Write the note.")]})
    if len(text) > 5000:
        raise ValidationError({"text": [_("At most 5000 characters.")]})
    note = WorkOrderNote.objects.create(work_order=locked, author=actor, text=text)
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CREATE,
        obj=note,
        changes={"text": [None, text]},
        related=locked,
    )
    return note


def require_service_settings(actor: Any) -> None:
    """Checklists and labour rates are kept by administrators and the head of service."""
    from accord.core.permissions import Scope, user_scope

    if not (
        getattr(actor, "is_administrator", False)
        or user_scope(actor, "work_order", Action.DELETE) == Scope.ALL
    ):
        raise PermissionDenied(_("Only administrators and the head of service may do this."))


@transaction.atomic
def engineer_rate_set(*, actor: User, engineer: User, hourly_rate: Any) -> EngineerRate | None:
    """An engineer's own labour rate; empty goes back to the default rate. Applies to time
    logged from now on (past entries keep the rate they were logged at)."""
    require_service_settings(actor)
    current = EngineerRate.objects.select_for_update().filter(user=engineer).first()
    before = str(current.hourly_rate) if current else None
    if hourly_rate in (None, ""):
        if current is None:
            return None
        current.delete()
        audit.record(
            actor=actor,
            action=AuditEntry.Kind.DELETE,
            obj=engineer,
            changes={"field_labour_rate": [before, None]},
        )
        return None
    rate = _decimal(hourly_rate, "hourly_rate")
    if rate < 0:
        raise ValidationError({"hourly_rate": [_("The rate cannot be negative.")]})
    if rate != rate.quantize(CENT) or rate >= Decimal("10000000000"):
        raise ValidationError({"hourly_rate": [_("At most two decimal places.")]})
    if current is not None and current.hourly_rate == rate:
        return current
    current = current or EngineerRate(user=engineer)
    current.hourly_rate = rate
    current.save()
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CHANGE,
        obj=engineer,
        changes={"field_labour_rate": [before, str(rate)]},
    )
    return current


# --- checklist templates (settings) --------------------------------------------------------


@transaction.atomic
def checklist_template_save(
    *,
    actor: User,
    template: ChecklistTemplate | None = None,
    name: str,
    category: Any = None,
    items: str,
    is_active: bool = True,
) -> ChecklistTemplate:
    """Administrators and the head of service keep the checklists."""
    require_service_settings(actor)
    creating = template is None
    obj = template or ChecklistTemplate()
    before = {} if creating else audit.snapshot(obj)
    obj.name = (name or "").strip()
    obj.category = category
    obj.items = "\n".join(line.strip() for line in (items or "").splitlines() if line.strip())
    obj.is_active = is_active
    if not obj.items:
        raise ValidationError({"items": [_("Enter at least one step.")]})
    obj.full_clean()
    try:
        obj.save()
    except IntegrityError as exc:  # pragma: no cover - no unique constraint today
        raise ValidationError({"name": [str(exc)]}) from exc
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CREATE if creating else AuditEntry.Kind.CHANGE,
        obj=obj,
        changes=audit.diff(before, audit.snapshot(obj)),
    )
    return obj
