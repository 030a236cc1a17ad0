"""Writes of service contracts, installed units and consumption (V2): one write path (rule 1).

Contract life: draft → active (activated) → expired (the daily job, once the end date has
passed); draft or active → cancelled. A contract is *in force* on a date when it is active and
the date lies within its period; only then does it cover cases and accept consumption.

Who may do what: contracts follow the ``service_contract`` grants and record rules. Installed
units have no owner: registering or editing one needs the ``service_contract`` add / change
grant and a client the user may see. Consumption is recorded by whoever may change the
contract, or by whoever does the work (may change the case, or work orders).
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import override

from accord.contracts.coverage import Coverage, coverage_for
from accord.contracts.models import Asset, Consumption, Entitlement, ServiceContract, serial_key
from accord.contracts.selectors import balances, contracts_visible_to
from accord.core import audit
from accord.core.errors import ConflictError
from accord.core.models import AuditEntry, Notification, User
from accord.core.permissions import Action, Scope, allows, require, user_scope
from accord.core.records import record_create, record_update
from accord.parties.models import Company
from accord.parties.selectors import companies_visible_to

ZERO = Decimal("0")
NUMBER_PREFIX = "SC"
CONTRACT_FIELDS = (
    "number",
    "name",
    "starts_on",
    "ends_on",
    "sla_policy",
    "amount",
    "currency",
    "renewal_notice_days",
    "notes",
    "owner",
    "team",
)
ASSET_FIELDS = (
    "product",
    "serial_number",
    "description",
    "location",
    "installed_on",
    "warranty_until",
)
EDITABLE_STATUSES = (ServiceContract.Status.DRAFT, ServiceContract.Status.ACTIVE)

__all__ = [
    "Coverage",
    "asset_create",
    "asset_update",
    "case_apply_coverage",
    "case_merged_release",
    "consumption_delete",
    "contract_activate",
    "contract_cancel",
    "contract_create",
    "contract_renew",
    "contract_update",
    "contracts_expire",
    "contracts_remind",
    "coverage_for",
    "record_consumption",
]


# --- helpers -------------------------------------------------------------------------------


def _reject_unknown(fields: Mapping[str, Any], allowed: Sequence[str]) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in unknown})


def _decimal(value: Any, field_name: str) -> Decimal:
    try:
        number = Decimal(str(value).replace(",", ".").strip())
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise ValidationError({field_name: [_("Enter a number.")]}) from exc
    if not number.is_finite():
        raise ValidationError({field_name: [_("Enter a number.")]})
    return number


def _visible_company(actor: Any, company: Any) -> Company:
    pk = getattr(company, "pk", company)
    found = companies_visible_to(actor).filter(pk=pk).first() if pk not in (None, "") else None
    if found is None:
        raise ValidationError({"company": [_("Choose a client you may see.")]})
    return found


def next_contract_number(on_date: datetime.date | None = None) -> str:
    """SC-2026-0001: the next free number of the year, taken under a row lock so two people
    saving at once never get the same one (a rolled-back save gives it back)."""
    from accord.commerce.models import NumberSequence

    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_contract_number() must run inside the saving transaction")
    year = (on_date or timezone.localdate()).year
    NumberSequence.objects.get_or_create(kind="service_contract", year=year)
    sequence = NumberSequence.objects.select_for_update().get(kind="service_contract", year=year)
    while True:
        sequence.last += 1
        number = f"{NUMBER_PREFIX}-{year}-{sequence.last:04d}"
        # A number typed by hand may already hold this value: skip it.
        if not ServiceContract.objects.filter(number=number).exists():
            break
    sequence.save(update_fields=["last"])
    return number


def _clean_entitlements(entitlements: Mapping[str, Any] | None) -> dict[str, Decimal] | None:
    """{"visits": 12, "hours": "", ...} -> {"visits": Decimal(12)}; empty means not included."""
    if entitlements is None:
        return None
    cleaned: dict[str, Decimal] = {}
    errors: dict[str, list[str]] = {}
    for unit, value in entitlements.items():
        if unit not in Entitlement.Unit.values:
            errors.setdefault("entitlements", []).append(
                _("Unknown unit: %(unit)s.") % {"unit": unit}
            )
            continue
        if value in (None, ""):
            continue
        try:
            amount = _decimal(value, f"included_{unit}")
        except ValidationError as exc:
            errors.update(exc.message_dict)
            continue
        if amount < 0:
            errors[f"included_{unit}"] = [_("The amount included cannot be negative.")]
            continue
        if amount.as_tuple().exponent < -2:  # type: ignore[operator]
            errors[f"included_{unit}"] = [_("Use at most two decimal places.")]
            continue
        cleaned[unit] = amount
    if errors:
        raise ValidationError(errors)
    return cleaned


def _check_dates(contract: ServiceContract) -> None:
    if contract.starts_on and contract.ends_on and contract.ends_on < contract.starts_on:
        raise ValidationError({"ends_on": [_("The end date cannot be before the start date.")]})


def _covered_assets(company: Company, assets: Iterable[Any] | None) -> list[Asset] | None:
    if assets is None:
        return None
    ids = {getattr(a, "pk", a) for a in assets if a not in (None, "")}
    found = list(Asset.objects.filter(pk__in=ids, company=company))
    if len(found) != len(ids):
        raise ValidationError({"covered_assets": [_("Choose units installed at this client.")]})
    return found


def _covered_products(products: Iterable[Any] | None) -> list[Any] | None:
    if products is None:
        return None
    from accord.catalog.models import Product

    ids = {getattr(p, "pk", p) for p in products if p not in (None, "")}
    found = list(Product.objects.filter(pk__in=ids))
    if len(found) != len(ids):
        raise ValidationError({"covered_products": [_("Choose products from the catalogue.")]})
    return found


def _coverage_lines(contract: ServiceContract) -> dict[str, Any]:
    return {
        "covered_products": sorted(contract.covered_products.values_list("pk", flat=True)),
        "covered_assets": sorted(contract.covered_assets.values_list("pk", flat=True)),
        "entitlements": {
            unit: str(included)
            for unit, included in contract.entitlements.values_list("unit", "included")
        },
    }


def _apply_entitlements(contract: ServiceContract, wanted: dict[str, Decimal]) -> None:
    existing = {e.unit: e for e in contract.entitlements.all()}
    for unit, entitlement in existing.items():
        if unit not in wanted:
            if entitlement.consumptions.exists():
                raise ValidationError(
                    {
                        f"included_{unit}": [
                            _("%(unit)s have been used under this contract; keep them included.")
                            % {"unit": entitlement.get_unit_display()}
                        ]
                    }
                )
            entitlement.delete()
    for unit, amount in wanted.items():
        if unit in existing:
            if existing[unit].included != amount:
                existing[unit].included = amount
                existing[unit].save(update_fields=["included"])
        else:
            Entitlement.objects.create(contract=contract, unit=unit, included=amount)


# --- contracts -----------------------------------------------------------------------------


@transaction.atomic
def contract_create(
    *,
    actor: User,
    company: Company | int,
    fields: Mapping[str, Any],
    covered_products: Iterable[Any] = (),
    covered_assets: Iterable[Any] = (),
    entitlements: Mapping[str, Any] | None = None,
) -> ServiceContract:
    """Draw up a contract (a draft) for a client. An empty number gets the next
    "SC-<year>-<n>"; the owner defaults to the actor and the team to the client's team."""
    _reject_unknown(fields, CONTRACT_FIELDS)
    client = _visible_company(actor, company)
    values = dict(fields)
    if not str(values.get("number") or "").strip():
        values["number"] = next_contract_number()
    values["number"] = str(values["number"]).strip()
    values["name"] = str(values.get("name") or "").strip()
    values.setdefault("currency", "")
    values["owner"] = values.get("owner") or actor
    if "team" not in values:
        values["team"] = client.team
    contract = ServiceContract(company=client, status=ServiceContract.Status.DRAFT, **values)
    if contract.owner_id != actor.pk:
        require(actor, Action.REASSIGN, contract)
    _check_dates(contract)
    wanted = _clean_entitlements(entitlements) or {}
    products = _covered_products(covered_products) or []
    assets = _covered_assets(client, covered_assets) or []
    record_create(obj=contract, actor=actor)
    contract.covered_products.set(products)
    contract.covered_assets.set(assets)
    _apply_entitlements(contract, wanted)
    lines = _coverage_lines(contract)
    if any(lines.values()):
        audit.record(
            actor=actor,
            action=AuditEntry.Kind.CHANGE,
            obj=contract,
            changes={k: [None, v] for k, v in lines.items() if v},
            related=client,
        )
    return contract


@transaction.atomic
def contract_update(
    *,
    actor: User,
    contract: ServiceContract,
    version: int,
    fields: Mapping[str, Any],
    covered_products: Iterable[Any] | None = None,
    covered_assets: Iterable[Any] | None = None,
    entitlements: Mapping[str, Any] | None = None,
) -> ServiceContract:
    """Edit a draft or active contract; a stale ``version`` is refused (ConflictError).
    ``None`` for the covered items or entitlements leaves them as they are."""
    _reject_unknown(fields, CONTRACT_FIELDS)
    require(actor, Action.CHANGE, contract)
    if contract.status not in EDITABLE_STATUSES:
        raise ValidationError(
            {
                "status": [
                    _("A %(status)s contract cannot be changed; renew it instead.")
                    % {"status": contract.get_status_display().lower()}
                ]
            }
        )
    if "owner" in fields and getattr(fields["owner"], "pk", fields["owner"]) != contract.owner_id:
        require(actor, Action.REASSIGN, contract)
    values = dict(fields)
    for name in ("number", "name"):
        if name in values:
            values[name] = str(values[name] or "").strip()
    if "number" in values and not values["number"]:
        raise ValidationError({"number": [_("Enter a contract number.")]})
    wanted = _clean_entitlements(entitlements)
    products = _covered_products(covered_products)
    assets = _covered_assets(contract.company, covered_assets)
    probe = ServiceContract(
        starts_on=values.get("starts_on", contract.starts_on),
        ends_on=values.get("ends_on", contract.ends_on),
    )
    _check_dates(probe)
    before_lines = _coverage_lines(contract)
    locked = ServiceContract.objects.select_for_update().get(pk=contract.pk)
    if locked.version != version:
        raise ConflictError(locked.version)
    if products is not None:
        locked.covered_products.set(products)
    if assets is not None:
        locked.covered_assets.set(assets)
    if wanted is not None:
        _apply_entitlements(locked, wanted)
    extra = audit.diff(before_lines, _coverage_lines(locked))
    updated, _changes = record_update(
        obj=locked,
        data=values,
        actor=actor,
        expected_version=version,
        extra_changes={k: list(v) for k, v in extra.items()},
    )
    return updated


def _set_status(
    *, actor: Any, contract: ServiceContract, status: str, message: str = ""
) -> ServiceContract:
    locked = ServiceContract.objects.select_for_update().get(pk=contract.pk)
    old = locked.status
    locked.status = status
    locked.version = F("version") + 1  # type: ignore[assignment]
    locked.updated_at = timezone.now()
    locked.save(update_fields=["status", "version", "updated_at"])
    locked.refresh_from_db()
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CHANGE,
        obj=locked,
        changes={"status": [old, status]},
        related=locked.company,
        message=message,
    )
    return locked


@transaction.atomic
def contract_activate(*, actor: User, contract: ServiceContract) -> ServiceContract:
    """A signed draft comes into force (from its start date): cases are covered by it."""
    require(actor, Action.CHANGE, contract)
    if contract.status != ServiceContract.Status.DRAFT:
        raise ValidationError(
            {
                "status": [
                    _("Only a draft contract can be activated; this one is %(status)s.")
                    % {"status": contract.get_status_display().lower()}
                ]
            }
        )
    if contract.ends_on < timezone.localdate():
        raise ValidationError(
            {"ends_on": [_("This contract ended already; change its period before activating.")]}
        )
    overlapping = (
        ServiceContract.objects.filter(
            renewed_from_id=contract.renewed_from_id, status=ServiceContract.Status.ACTIVE
        )
        .exclude(pk=contract.pk)
        .exists()
        if contract.renewed_from_id
        else False
    )
    if overlapping:
        raise ValidationError(
            {"status": [_("Another renewal of the same contract is active already.")]}
        )
    return _set_status(actor=actor, contract=contract, status=ServiceContract.Status.ACTIVE)


@transaction.atomic
def contract_cancel(*, actor: User, contract: ServiceContract, reason: str = "") -> ServiceContract:
    """Cancel a draft or an active contract: it stops covering cases at once."""
    require(actor, Action.CHANGE, contract)
    if contract.status not in EDITABLE_STATUSES:
        raise ValidationError(
            {
                "status": [
                    _("A %(status)s contract cannot be cancelled.")
                    % {"status": contract.get_status_display().lower()}
                ]
            }
        )
    return _set_status(
        actor=actor,
        contract=contract,
        status=ServiceContract.Status.CANCELLED,
        message=reason.strip()[:300],
    )


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later, clamped to the month's end (31 Jan + 1 -> 28/29 Feb)."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def next_period(
    starts_on: datetime.date, ends_on: datetime.date
) -> tuple[datetime.date, datetime.date]:
    """The period after this one, as long: whole months stay whole months (a calendar year
    becomes the next calendar year, leap years included); otherwise the same number of days."""
    new_start = ends_on + datetime.timedelta(days=1)
    months = (new_start.year - starts_on.year) * 12 + new_start.month - starts_on.month
    if months > 0 and add_months(starts_on, months) == new_start:
        return new_start, add_months(new_start, months) - datetime.timedelta(days=1)
    return new_start, new_start + (ends_on - starts_on)


@transaction.atomic
def contract_renew(*, actor: User, contract: ServiceContract) -> ServiceContract:
    """ "Renew": a draft copy for the next period (same client, service level, covered items,
    entitlements, price), to be checked and activated. One renewal per contract."""
    require(actor, Action.VIEW, contract)
    if contract.status == ServiceContract.Status.DRAFT:
        raise ValidationError({"status": [_("Activate this draft before renewing it.")]})
    existing = (
        ServiceContract.objects.filter(renewed_from=contract)
        .exclude(status=ServiceContract.Status.CANCELLED)
        .first()
    )
    if existing is not None:
        raise ValidationError(
            {"status": [_("Already renewed as %(number)s.") % {"number": existing.number}]}
        )
    starts_on, ends_on = next_period(contract.starts_on, contract.ends_on)
    copy = contract_create(
        actor=actor,
        company=contract.company,
        fields={
            "name": contract.name,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "sla_policy": contract.sla_policy,
            "amount": contract.amount,
            "currency": contract.currency,
            "renewal_notice_days": contract.renewal_notice_days,
            "notes": contract.notes,
            "owner": contract.owner if allows(actor, Action.REASSIGN, contract) else actor,
            "team": contract.team,
        },
        covered_products=list(contract.covered_products.values_list("pk", flat=True)),
        covered_assets=list(contract.covered_assets.values_list("pk", flat=True)),
        entitlements=dict(contract.entitlements.values_list("unit", "included")),
    )
    ServiceContract.objects.filter(pk=copy.pk).update(renewed_from=contract)
    copy.renewed_from = contract
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CHANGE,
        obj=contract,
        changes={"renewals": [None, copy.number]},
        related=contract.company,
        message=_("Renewed as %(number)s") % {"number": copy.number},
    )
    return copy


# --- installed units -----------------------------------------------------------------------


def _require_asset_write(actor: Any, action: str) -> None:
    if user_scope(actor, "service_contract", action) == Scope.NONE:
        raise PermissionDenied(_("You do not have permission to do this."))


def _check_serial_free(asset: Asset) -> None:
    """Serial numbers are unique per product (and per client for units without a product),
    compared trimmed and case-insensitively."""
    key = serial_key(asset.serial_number)
    if not key:
        raise ValidationError({"serial_number": [_("Enter the serial number.")]})
    clash = Asset.objects.filter(serial_key=key).exclude(pk=asset.pk)
    if asset.product_id is not None:
        clash = clash.filter(product_id=asset.product_id)
        message = _("A unit of this product with serial number %(serial)s is registered already.")
    else:
        clash = clash.filter(product__isnull=True, company_id=asset.company_id)
        message = _("This client has a unit with serial number %(serial)s already.")
    if clash.exists():
        raise ValidationError({"serial_number": [message % {"serial": asset.serial_number}]})


def _warranty(values: dict[str, Any], warranty_months: Any) -> None:
    """Warranty until = installed on + the warranty's length, unless typed."""
    if warranty_months in (None, "") or values.get("warranty_until"):
        return
    try:
        months = int(warranty_months)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"warranty_months": [_("Enter a whole number of months.")]}) from exc
    if months < 0 or months > 240:
        raise ValidationError({"warranty_months": [_("Enter between 0 and 240 months.")]})
    if not values.get("installed_on"):
        raise ValidationError(
            {"installed_on": [_("Enter the installation date to count the warranty from.")]}
        )
    values["warranty_until"] = add_months(values["installed_on"], months) - datetime.timedelta(
        days=1
    )


def _check_asset_dates(asset: Asset) -> None:
    if asset.installed_on and asset.warranty_until and asset.warranty_until < asset.installed_on:
        raise ValidationError(
            {"warranty_until": [_("The warranty cannot end before the installation date.")]}
        )


@transaction.atomic
def asset_create(
    *,
    actor: User,
    company: Company | int,
    fields: Mapping[str, Any],
    warranty_months: Any = None,
) -> Asset:
    """Register a unit installed at a client."""
    _require_asset_write(actor, Action.ADD)
    _reject_unknown(fields, ASSET_FIELDS)
    client = _visible_company(actor, company)
    values = dict(fields)
    _warranty(values, warranty_months)
    asset = Asset(company=client, **values)
    asset.serial_number = str(asset.serial_number or "").strip()
    _check_serial_free(asset)
    _check_asset_dates(asset)
    return record_create(obj=asset, actor=actor, check_permission=False)


@transaction.atomic
def asset_update(
    *,
    actor: User,
    asset: Asset,
    version: int,
    fields: Mapping[str, Any],
    warranty_months: Any = None,
) -> Asset:
    _require_asset_write(actor, Action.CHANGE)
    _reject_unknown(fields, ASSET_FIELDS)
    _visible_company(actor, asset.company_id)
    values = dict(fields)
    _warranty(values, warranty_months)
    probe = Asset(
        pk=asset.pk,
        company_id=asset.company_id,
        product_id=getattr(values.get("product", asset.product), "pk", None)
        if "product" in values
        else asset.product_id,
        serial_number=str(values.get("serial_number", asset.serial_number) or "").strip(),
        installed_on=values.get("installed_on", asset.installed_on),
        warranty_until=values.get("warranty_until", asset.warranty_until),
    )
    _check_serial_free(probe)
    _check_asset_dates(probe)
    if "serial_number" in values:
        values["serial_number"] = probe.serial_number
    updated, _changes = _asset_record_update(asset, values, actor, version)
    return updated


def _asset_record_update(
    asset: Asset, values: dict[str, Any], actor: Any, version: int
) -> tuple[Asset, dict[str, list[Any]]]:
    # The permission was checked above (units have no owner); record_update checks the
    # object-level rule, which for a unit means "may change some contracts".
    locked = Asset.objects.select_for_update().get(pk=asset.pk)
    if locked.version != version:
        raise ConflictError(locked.version)
    before = audit.snapshot(locked)
    for name, value in values.items():
        setattr(locked, name, value)
    locked.serial_key = serial_key(locked.serial_number)
    locked.full_clean(exclude=["serial_key"])
    after = audit.snapshot(locked)
    changes = audit.diff(before, after)
    changes.pop("serial_key", None)
    if not changes:
        return locked, {}
    locked.version = F("version") + 1  # type: ignore[assignment]
    locked.updated_at = timezone.now()
    locked.save()
    locked.refresh_from_db()
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CHANGE,
        obj=locked,
        changes=changes,
        related=locked.company,
    )
    return locked, changes


# --- consumption ---------------------------------------------------------------------------


def _may_record_use(actor: Any, contract: ServiceContract, case: Any) -> bool:
    if actor is None:  # the system: case opening, jobs
        return True
    if not contracts_visible_to(actor).filter(pk=contract.pk).exists():
        return False
    if allows(actor, Action.CHANGE, contract):
        return True
    if case is not None and allows(actor, Action.CHANGE, case):
        return True
    return user_scope(actor, "work_order", Action.CHANGE) > Scope.NONE


@transaction.atomic
def record_consumption(
    *,
    actor: User | None,
    contract: ServiceContract,
    unit: str,
    quantity: Any,
    occurred_on: datetime.date,
    case: Any = None,
    source: str = "",
    note: str = "",
) -> Consumption:
    """Use part of what a contract includes: a visit made, hours worked, a case opened.

    Refused: a contract not in force on that date, a quantity of zero or less, a unit the
    contract does not include, a case of another client. Going over the included amount is
    allowed (the work was done) and shown on the contract page as "over by …".
    ``actor`` None is the system (no permission check; audited as such)."""
    if not _may_record_use(actor, contract, case):
        raise PermissionDenied(_("You do not have permission to do this."))
    amount = _decimal(quantity, "quantity")
    if amount <= 0:
        raise ValidationError({"quantity": [_("Enter a quantity above zero.")]})
    if amount.as_tuple().exponent < -2 or amount >= Decimal("100000000"):  # type: ignore[operator]
        raise ValidationError({"quantity": [_("Enter a quantity with at most two decimals.")]})
    if not isinstance(occurred_on, datetime.date):
        raise ValidationError({"occurred_on": [_("Enter a date.")]})
    amount = amount.quantize(Decimal("0.01"))
    locked = ServiceContract.objects.select_for_update().get(pk=contract.pk)
    if not locked.is_in_force(occurred_on):
        raise ValidationError(
            {
                "occurred_on": [
                    _("Contract %(number)s is not in force on %(date)s.")
                    % {
                        "number": locked.number,
                        "date": date_format(occurred_on, "SHORT_DATE_FORMAT"),
                    }
                ]
            }
        )
    entitlement = Entitlement.objects.filter(contract=locked, unit=unit).first()
    if entitlement is None:
        label = dict(Entitlement.Unit.choices).get(unit, unit)
        raise ValidationError(
            {
                "unit": [
                    _("Contract %(number)s does not include %(unit)s.")
                    % {"number": locked.number, "unit": str(label).lower()}
                ]
            }
        )
    if case is not None and case.company_id not in (None, locked.company_id):
        raise ValidationError({"case": [_("This case belongs to another client.")]})
    consumption = Consumption(
        entitlement=entitlement,
        quantity=amount,
        occurred_on=occurred_on,
        case=case,
        source=str(source or "")[:40],
        note=str(note or "").strip()[:255],
        created_by=actor,
    )
    consumption.full_clean(exclude=["created_by"])
    consumption.save()
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CHANGE,
        obj=locked,
        changes={
            "consumption": [
                None,
                {
                    "unit": unit,
                    "quantity": str(amount),
                    "occurred_on": occurred_on.isoformat(),
                    "case": getattr(case, "pk", None),
                    "source": consumption.source,
                },
            ]
        },
        related=locked.company,
        message=consumption.note,
    )
    return consumption


@transaction.atomic
def consumption_delete(*, actor: User, consumption: Consumption) -> None:
    """Take back a use recorded by mistake (a visit typed twice). Only those who may change
    the contract; the entry stays in the contract's history."""
    contract = ServiceContract.objects.select_for_update().get(
        pk=consumption.entitlement.contract_id
    )
    require(actor, Action.CHANGE, contract)
    entitlement = consumption.entitlement
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CHANGE,
        obj=contract,
        changes={
            "consumption": [
                {
                    "unit": entitlement.unit,
                    "quantity": str(consumption.quantity),
                    "occurred_on": consumption.occurred_on.isoformat(),
                    "case": consumption.case_id,
                    "source": consumption.source,
                },
                None,
            ]
        },
        related=contract.company,
        message=_("Use taken back"),
    )
    consumption.delete()


# --- coverage of a new case ----------------------------------------------------------------


def case_apply_coverage(*, case: Any, actor: Any = None) -> Coverage:
    """Fill in a new case's unit, client, product and contract from its serial number and
    client (the ``case_opening`` receiver), and count the case under a "cases" entitlement.

    Runs inside the case's transaction. Never raises for an unknown serial or an uncovered
    client: the case is simply not covered."""
    today = timezone.localdate()
    coverage = coverage_for(case.company_id, case.serial_number, case.product_id, today)
    before = {"asset": case.asset_id, "company": case.company_id, "product": case.product_id}
    before["contract"] = case.contract_id
    if coverage.asset is not None:
        case.asset = coverage.asset
        if case.company_id is None:
            case.company = coverage.asset.company
        if case.product_id is None and coverage.asset.product_id is not None:
            case.product = coverage.asset.product
    if coverage.contract is not None:
        case.contract = coverage.contract
    after = {"asset": case.asset_id, "company": case.company_id, "product": case.product_id}
    after["contract"] = case.contract_id
    changes = audit.diff(before, after)
    if not changes:
        return coverage
    case.save(update_fields=list(changes))
    audit.record(
        actor=actor,
        action=AuditEntry.Kind.CHANGE,
        obj=case,
        changes=changes,
        related=case.company,
        message=_("Coverage found from the serial number and client"),
    )
    if coverage.contract is not None and any(
        b.unit == Entitlement.Unit.CASES for b in coverage.entitlements
    ):
        record_consumption(
            actor=None,
            contract=coverage.contract,
            unit=Entitlement.Unit.CASES,
            quantity=1,
            occurred_on=today,
            case=case,
            source=case.reference,
        )
    return coverage


def case_merged_release(*, case: Any, actor: Any = None) -> int:
    """A duplicate merged into another case is one request, not two: the "cases" use it
    counted is given back (the primary case keeps its own). Returns how many were removed."""
    uses = list(
        Consumption.objects.filter(
            case=case, entitlement__unit=Entitlement.Unit.CASES
        ).select_related("entitlement__contract__company")
    )
    for use in uses:
        contract = use.entitlement.contract
        audit.record(
            actor=actor,
            action=AuditEntry.Kind.CHANGE,
            obj=contract,
            changes={
                "consumption": [
                    {
                        "unit": Entitlement.Unit.CASES,
                        "quantity": str(use.quantity),
                        "occurred_on": use.occurred_on.isoformat(),
                        "case": case.pk,
                        "source": use.source,
                    },
                    None,
                ]
            },
            related=contract.company,
            message=_("%(reference)s merged into another case: not counted")
            % {"reference": case.reference},
        )
        use.delete()
    return len(uses)


# --- daily job: expiry and renewal reminders -----------------------------------------------


def contracts_expire(today: datetime.date | None = None) -> int:
    """Active contracts whose end date has passed become expired; returns how many."""
    today = today or timezone.localdate()
    expired = 0
    ids = list(
        ServiceContract.objects.filter(
            status=ServiceContract.Status.ACTIVE, ends_on__lt=today
        ).values_list("pk", flat=True)[:5000]
    )
    for pk in ids:
        with transaction.atomic():
            contract = ServiceContract.objects.select_for_update().get(pk=pk)
            if contract.status != ServiceContract.Status.ACTIVE or contract.ends_on >= today:
                continue
            _set_status(
                actor=None,
                contract=contract,
                status=ServiceContract.Status.EXPIRED,
                message=_("Expired at the end of its period"),
            )
            expired += 1
    return expired


def _reminder_text(contract: ServiceContract, user: User) -> tuple[str, str]:
    with override(user.language or None):
        ends = date_format(contract.ends_on, "SHORT_DATE_FORMAT")
        subject = _("Renew service contract %(number)s (%(client)s)") % {
            "number": contract.number,
            "client": contract.company.name,
        }
        text = _(
            "Service contract %(number)s for %(client)s ends on %(date)s: plan its renewal."
        ) % {
            "number": contract.number,
            "client": contract.company.name,
            "date": ends,
        }
    return subject[:255], text[:300]


def contracts_remind(today: datetime.date | None = None) -> int:
    """Renewal reminders: every active contract whose end is within its notice period and
    that was not reminded yet gets a follow-up task for its owner and a notification.

    Each contract is claimed with a conditional UPDATE (``renewal_reminded_at IS NULL``) in the
    transaction that writes the task, so a second run, or two workers, never remind twice."""
    from accord.activities.models import Activity
    from accord.activities.services import activity_create

    today = today or timezone.localdate()
    now = timezone.now()
    candidates = list(
        ServiceContract.objects.filter(
            status=ServiceContract.Status.ACTIVE,
            renewal_reminded_at__isnull=True,
            ends_on__gte=today,
            ends_on__lte=today + datetime.timedelta(days=365),
        )
        # Already renewed and the renewal signed: nothing to remind.
        .exclude(renewals__status=ServiceContract.Status.ACTIVE)
        .order_by("ends_on", "id")
        .values_list("pk", "ends_on", "renewal_notice_days")
    )
    reminded = 0
    for pk, ends_on, notice_days in candidates:
        if ends_on > today + datetime.timedelta(days=notice_days):
            continue
        with transaction.atomic():
            claimed = ServiceContract.objects.filter(
                pk=pk, renewal_reminded_at__isnull=True, status=ServiceContract.Status.ACTIVE
            ).update(renewal_reminded_at=now)
            if not claimed:
                continue
            contract = ServiceContract.objects.select_related("company", "owner").get(pk=pk)
            owner = contract.owner
            subject, text = _reminder_text(contract, owner)
            due = datetime.datetime.combine(
                max(today, contract.ends_on - datetime.timedelta(days=7)),
                datetime.time(9, 0),
                tzinfo=timezone.get_current_timezone(),
            )
            try:
                with transaction.atomic():
                    activity_create(
                        actor=owner,
                        kind=Activity.Kind.TASK,
                        fields={
                            "subject": subject,
                            "body": f"{text}\n{contract.get_absolute_url()}",
                            "company": contract.company,
                            "at": due,
                        },
                    )
            except (PermissionDenied, ValidationError):
                pass  # an owner who may not plan tasks still gets the notification
            Notification.objects.get_or_create(
                user=owner,
                dedupe_key=f"contract-renewal:{contract.pk}:{contract.ends_on.isoformat()}",
                defaults={"text": text, "url": contract.get_absolute_url(), "created_at": now},
            )
            audit.record(
                actor=None,
                action=AuditEntry.Kind.CHANGE,
                obj=contract,
                changes={"renewal_reminded_at": [None, now.isoformat()]},
                related=contract.company,
                message=_("Renewal reminder sent"),
            )
            reminded += 1
    return reminded


def balances_for(contract: ServiceContract) -> list[Any]:
    return balances([contract.pk])[contract.pk]
