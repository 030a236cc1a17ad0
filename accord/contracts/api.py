"""Service contracts, installed units, consumption and coverage over the REST API (V2).

Thin: parse -> selector -> one service -> schema. Entitlement balances of a page of contracts
are summed in one query.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from accord.contracts import selectors, services
from accord.contracts.coverage import Coverage, coverage_for
from accord.contracts.models import Asset, ServiceContract
from accord.core.api import PageParams, authed_user, keyset_page, page_limit
from accord.core.models import Team, User
from accord.core.permissions import Action, Scope, user_scope
from accord.parties.selectors import companies_visible_to

router = Router(tags=["service contracts"])


# --- schemas ---------------------------------------------------------------------------------


class BalanceOut(Schema):
    unit: str
    included: Decimal
    consumed: Decimal
    remaining: Decimal
    over: Decimal


class ContractOut(Schema):
    id: int
    number: str
    name: str
    company: int
    status: str
    in_force: bool
    starts_on: datetime.date
    ends_on: datetime.date
    sla_policy: int | None
    covered_products: list[int]
    covered_assets: list[int]
    entitlements: list[BalanceOut]
    amount: Decimal | None
    currency: str
    renewal_notice_days: int
    renewal_reminded_at: datetime.datetime | None
    renewed_from: int | None
    notes: str
    owner: int
    team: int | None
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime


class ContractPage(Schema):
    items: list[ContractOut]
    next: str | None


class ContractFilters(Schema):
    status: str | None = None
    company: int | None = None
    expiring_within: int | None = None


class Entitlements(Schema):
    visits: Decimal | None = None
    hours: Decimal | None = None
    cases: Decimal | None = None


class ContractIn(Schema):
    """A new contract (a draft). An empty number gets the next SC-<year>-<n>. No covered
    products or units: the contract covers all of the client's requests."""

    company: int
    name: str
    starts_on: datetime.date
    ends_on: datetime.date
    number: str = ""
    sla_policy: int | None = None
    covered_products: list[int] = []
    covered_assets: list[int] = []
    entitlements: Entitlements = Entitlements()
    amount: Decimal | None = None
    currency: str = ""
    renewal_notice_days: int = 30
    notes: str = ""
    owner: int | None = None
    team: int | None = None


class ContractPatch(Schema):
    version: int
    number: str | None = None
    name: str | None = None
    starts_on: datetime.date | None = None
    ends_on: datetime.date | None = None
    sla_policy: int | None = None
    covered_products: list[int] | None = None
    covered_assets: list[int] | None = None
    entitlements: Entitlements | None = None
    amount: Decimal | None = None
    currency: str | None = None
    renewal_notice_days: int | None = None
    notes: str | None = None
    owner: int | None = None
    team: int | None = None


class CancelIn(Schema):
    reason: str = ""


class ConsumptionIn(Schema):
    unit: str
    quantity: Decimal
    occurred_on: datetime.date
    case: int | None = None
    source: str = ""
    note: str = ""


class ConsumptionOut(Schema):
    id: int
    unit: str
    quantity: Decimal
    occurred_on: datetime.date
    case: int | None
    source: str
    note: str
    created_by: int | None
    created_at: datetime.datetime


class AssetOut(Schema):
    id: int
    company: int
    product: int | None
    serial_number: str
    description: str
    location: str
    installed_on: datetime.date | None
    warranty_until: datetime.date | None
    warranty: str
    version: int


class AssetPage(Schema):
    items: list[AssetOut]
    next: str | None


class AssetIn(Schema):
    company: int
    serial_number: str
    product: int | None = None
    description: str = ""
    location: str = ""
    installed_on: datetime.date | None = None
    warranty_until: datetime.date | None = None
    warranty_months: int | None = None


class AssetPatch(Schema):
    version: int
    serial_number: str | None = None
    product: int | None = None
    description: str | None = None
    location: str | None = None
    installed_on: datetime.date | None = None
    warranty_until: datetime.date | None = None
    warranty_months: int | None = None


class CoverageOut(Schema):
    serial_number: str
    asset: int | None
    company: int | None
    warranty: str
    warranty_until: datetime.date | None
    contract: int | None
    contract_number: str
    contract_status: str
    service_level: int | None
    entitlements: list[BalanceOut]
    is_covered: bool
    summary: list[str]


# --- rendering -------------------------------------------------------------------------------


def _balance(balance: selectors.Balance) -> dict[str, Any]:
    return {
        "unit": balance.unit,
        "included": balance.included,
        "consumed": balance.consumed,
        "remaining": balance.remaining,
        "over": balance.over,
    }


def _render_contracts(contracts: list[ServiceContract]) -> list[dict[str, Any]]:
    ids = [c.pk for c in contracts]
    balance_map = selectors.balances(ids)
    products: dict[int, list[int]] = {pk: [] for pk in ids}
    assets: dict[int, list[int]] = {pk: [] for pk in ids}
    through_products = ServiceContract.covered_products.through.objects.filter(  # type: ignore[attr-defined]
        servicecontract_id__in=ids
    ).values_list("servicecontract_id", "product_id")
    for contract_id, product_id in through_products:
        products[contract_id].append(product_id)
    through_assets = ServiceContract.covered_assets.through.objects.filter(  # type: ignore[attr-defined]
        servicecontract_id__in=ids
    ).values_list("servicecontract_id", "asset_id")
    for contract_id, asset_id in through_assets:
        assets[contract_id].append(asset_id)
    today = timezone.localdate()
    return [
        {
            "id": c.pk,
            "number": c.number,
            "name": c.name,
            "company": c.company_id,
            "status": c.status,
            "in_force": c.is_in_force(today),
            "starts_on": c.starts_on,
            "ends_on": c.ends_on,
            "sla_policy": c.sla_policy_id,
            "covered_products": sorted(products[c.pk]),
            "covered_assets": sorted(assets[c.pk]),
            "entitlements": [_balance(b) for b in balance_map.get(c.pk, [])],
            "amount": c.amount,
            "currency": c.currency,
            "renewal_notice_days": c.renewal_notice_days,
            "renewal_reminded_at": c.renewal_reminded_at,
            "renewed_from": c.renewed_from_id,
            "notes": c.notes,
            "owner": c.owner_id,
            "team": c.team_id,
            "version": c.version,
            "created_at": c.created_at,
            "updated_at": c.updated_at,
        }
        for c in contracts
    ]


def _one_contract(pk: int) -> dict[str, Any]:
    return _render_contracts([ServiceContract.objects.get(pk=pk)])[0]


def _render_asset(asset: Asset, today: datetime.date) -> dict[str, Any]:
    return {
        "id": asset.pk,
        "company": asset.company_id,
        "product": asset.product_id,
        "serial_number": asset.serial_number,
        "description": asset.description,
        "location": asset.location,
        "installed_on": asset.installed_on,
        "warranty_until": asset.warranty_until,
        "warranty": asset.warranty_status(today),
        "version": asset.version,
    }


def _resolve_contract_fields(fields: dict[str, Any]) -> dict[str, Any]:
    from accord.sla.models import SlaPolicy

    resolved = dict(fields)
    if resolved.get("sla_policy") is not None:
        policy = SlaPolicy.objects.filter(pk=resolved["sla_policy"]).first()
        if policy is None:
            raise ValidationError({"sla_policy": [_("Choose a service level.")]})
        resolved["sla_policy"] = policy
    if resolved.get("owner") is not None:
        owner = User.objects.filter(pk=resolved["owner"], is_active=True).first()
        if owner is None:
            raise ValidationError({"owner": [_("Choose an active user.")]})
        resolved["owner"] = owner
    if resolved.get("team") is not None:
        team = Team.objects.filter(pk=resolved["team"]).first()
        if team is None:
            raise ValidationError({"team": [_("Choose a team.")]})
        resolved["team"] = team
    return resolved


def _entitlements(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    return dict(value)


# --- contracts -------------------------------------------------------------------------------


@router.get("/service-contracts", response=ContractPage, summary="Service contracts I may see")
def contract_list(
    request: HttpRequest, filters: Query[ContractFilters], page: Query[PageParams]
) -> dict[str, Any]:
    user = authed_user(request)
    queryset = selectors.contracts_visible_to(user)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.company is not None:
        queryset = queryset.filter(company_id=filters.company)
    if filters.expiring_within is not None:
        if not 0 < filters.expiring_within <= 3650:
            raise ValidationError({"expiring_within": [_("Between 1 and 3650 days.")]})
        queryset = queryset.filter(
            selectors.expiring_filter(timezone.localdate(), filters.expiring_within)
        )
    rows, cursor = keyset_page(
        queryset, order=("-id",), after=page.after, limit=page_limit(page.limit)
    )
    return {"items": _render_contracts(rows), "next": cursor}


@router.post("/service-contracts", response={201: ContractOut}, summary="Draw up a contract")
def contract_create(request: HttpRequest, payload: ContractIn) -> Status[dict[str, Any]]:
    user = authed_user(request)
    data = payload.model_dump()
    company = data.pop("company")
    products = data.pop("covered_products")
    assets = data.pop("covered_assets")
    entitlements = _entitlements(data.pop("entitlements"))
    fields = _resolve_contract_fields(data)
    if fields.get("owner") is None:
        fields.pop("owner", None)
    if fields.get("team") is None:
        fields.pop("team", None)
    contract = services.contract_create(
        actor=user,
        company=company,
        fields=fields,
        covered_products=products,
        covered_assets=assets,
        entitlements=entitlements,
    )
    return Status(201, _one_contract(contract.pk))


@router.get("/service-contracts/{int:contract_id}", response=ContractOut, summary="One contract")
def contract_detail(request: HttpRequest, contract_id: int) -> dict[str, Any]:
    contract = selectors.get_contract_for(authed_user(request), contract_id)
    return _render_contracts([contract])[0]


@router.patch(
    "/service-contracts/{int:contract_id}", response=ContractOut, summary="Change a contract"
)
def contract_update(
    request: HttpRequest, contract_id: int, payload: ContractPatch
) -> dict[str, Any]:
    user = authed_user(request)
    contract = selectors.get_contract_for(user, contract_id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    products = data.pop("covered_products", None)
    assets = data.pop("covered_assets", None)
    entitlements = _entitlements(data.pop("entitlements", None))
    services.contract_update(
        actor=user,
        contract=contract,
        version=version,
        fields=_resolve_contract_fields(data),
        covered_products=products,
        covered_assets=assets,
        entitlements=entitlements,
    )
    return _one_contract(contract.pk)


@router.post(
    "/service-contracts/{int:contract_id}/activate", response=ContractOut, summary="Activate"
)
def contract_activate(request: HttpRequest, contract_id: int) -> dict[str, Any]:
    user = authed_user(request)
    contract = selectors.get_contract_for(user, contract_id)
    return _one_contract(services.contract_activate(actor=user, contract=contract).pk)


@router.post("/service-contracts/{int:contract_id}/cancel", response=ContractOut, summary="Cancel")
def contract_cancel(request: HttpRequest, contract_id: int, payload: CancelIn) -> dict[str, Any]:
    user = authed_user(request)
    contract = selectors.get_contract_for(user, contract_id)
    cancelled = services.contract_cancel(actor=user, contract=contract, reason=payload.reason)
    return _one_contract(cancelled.pk)


@router.post(
    "/service-contracts/{int:contract_id}/renew",
    response={201: ContractOut},
    summary="Draw up the next period's draft",
)
def contract_renew(request: HttpRequest, contract_id: int) -> Status[dict[str, Any]]:
    user = authed_user(request)
    contract = selectors.get_contract_for(user, contract_id)
    return Status(201, _one_contract(services.contract_renew(actor=user, contract=contract).pk))


@router.get(
    "/service-contracts/{int:contract_id}/consumption",
    response=list[ConsumptionOut],
    summary="What was used (newest first, the last 200)",
)
def consumption_list(request: HttpRequest, contract_id: int) -> list[dict[str, Any]]:
    contract = selectors.get_contract_for(authed_user(request), contract_id)
    return [
        {
            "id": c.pk,
            "unit": c.entitlement.unit,
            "quantity": c.quantity,
            "occurred_on": c.occurred_on,
            "case": c.case_id,
            "source": c.source,
            "note": c.note,
            "created_by": c.created_by_id,
            "created_at": c.created_at,
        }
        for c in selectors.consumption_history(contract, limit=200)
    ]


@router.post(
    "/service-contracts/{int:contract_id}/consumption",
    response={201: ConsumptionOut},
    summary="Record use (visits, hours, cases)",
)
def consumption_add(
    request: HttpRequest, contract_id: int, payload: ConsumptionIn
) -> Status[dict[str, Any]]:
    from accord.core.permissions import restrict
    from accord.service.models import Case

    user = authed_user(request)
    contract = selectors.get_contract_for(user, contract_id)
    case = None
    if payload.case is not None:
        case = restrict(Case.objects.all(), user).filter(pk=payload.case).first()
        if case is None:
            raise ValidationError({"case": [_("Choose a case you may see.")]})
    used = services.record_consumption(
        actor=user,
        contract=contract,
        unit=payload.unit,
        quantity=payload.quantity,
        occurred_on=payload.occurred_on,
        case=case,
        source=payload.source,
        note=payload.note,
    )
    return Status(
        201,
        {
            "id": used.pk,
            "unit": payload.unit,
            "quantity": used.quantity,
            "occurred_on": used.occurred_on,
            "case": used.case_id,
            "source": used.source,
            "note": used.note,
            "created_by": used.created_by_id,
            "created_at": used.created_at,
        },
    )


@router.delete(
    "/service-contracts/{int:contract_id}/consumption/{int:consumption_id}",
    response={204: None},
    summary="Take back a use recorded by mistake",
)
def consumption_delete(request: HttpRequest, contract_id: int, consumption_id: int) -> Status[None]:
    from django.http import Http404

    from accord.contracts.models import Consumption

    user = authed_user(request)
    contract = selectors.get_contract_for(user, contract_id)
    consumption = (
        Consumption.objects.select_related("entitlement")
        .filter(pk=consumption_id, entitlement__contract=contract)
        .first()
    )
    if consumption is None:
        raise Http404
    services.consumption_delete(actor=user, consumption=consumption)
    return Status(204, None)


# --- installed units -------------------------------------------------------------------------


@router.get("/assets", response=AssetPage, summary="Installed units of clients I may see")
def asset_list(
    request: HttpRequest,
    page: Query[PageParams],
    company: int | None = None,
    serial: str | None = None,
) -> dict[str, Any]:
    from accord.contracts.models import serial_key

    queryset = selectors.assets_visible_to(authed_user(request))
    if company is not None:
        queryset = queryset.filter(company_id=company)
    if serial:
        queryset = queryset.filter(serial_key=serial_key(serial))
    rows, cursor = keyset_page(
        queryset, order=("id",), after=page.after, limit=page_limit(page.limit)
    )
    today = timezone.localdate()
    return {"items": [_render_asset(a, today) for a in rows], "next": cursor}


def _asset_fields(data: dict[str, Any]) -> dict[str, Any]:
    from accord.catalog.models import Product

    if "product" in data and data["product"] is not None:
        product = Product.objects.filter(pk=data["product"]).first()
        if product is None:
            raise ValidationError({"product": [_("Choose a product from the catalogue.")]})
        data["product"] = product
    return data


@router.post("/assets", response={201: AssetOut}, summary="Register an installed unit")
def asset_create(request: HttpRequest, payload: AssetIn) -> Status[dict[str, Any]]:
    user = authed_user(request)
    data = payload.model_dump()
    company = data.pop("company")
    months = data.pop("warranty_months")
    asset = services.asset_create(
        actor=user, company=company, fields=_asset_fields(data), warranty_months=months
    )
    return Status(201, _render_asset(asset, timezone.localdate()))


@router.get("/assets/{int:asset_id}", response=AssetOut, summary="One installed unit")
def asset_detail(request: HttpRequest, asset_id: int) -> dict[str, Any]:
    asset = selectors.get_asset_for(authed_user(request), asset_id)
    return _render_asset(asset, timezone.localdate())


@router.patch("/assets/{int:asset_id}", response=AssetOut, summary="Change an installed unit")
def asset_update(request: HttpRequest, asset_id: int, payload: AssetPatch) -> dict[str, Any]:
    user = authed_user(request)
    asset = selectors.get_asset_for(user, asset_id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    months = data.pop("warranty_months", None)
    updated = services.asset_update(
        actor=user, asset=asset, version=version, fields=_asset_fields(data), warranty_months=months
    )
    return _render_asset(updated, timezone.localdate())


# --- coverage --------------------------------------------------------------------------------


def _render_coverage(coverage: Coverage, contract_visible: bool) -> dict[str, Any]:
    contract = coverage.contract if contract_visible else None
    return {
        "serial_number": coverage.serial_number,
        "asset": coverage.asset.pk if coverage.asset is not None else None,
        "company": coverage.asset.company_id if coverage.asset is not None else None,
        "warranty": coverage.warranty,
        "warranty_until": coverage.warranty_until,
        "contract": contract.pk if contract is not None else None,
        "contract_number": contract.number if contract is not None else "",
        "contract_status": contract.status if contract is not None else "",
        "service_level": contract.sla_policy_id if contract is not None else None,
        "entitlements": [_balance(b) for b in coverage.entitlements] if contract else [],
        "is_covered": coverage.is_covered,
        "summary": [text for _tone, text in coverage.lines()],
    }


@router.get("/coverage", response=CoverageOut, summary="What covers a serial number today")
def coverage(
    request: HttpRequest,
    serial: str = "",
    company: int | None = None,
    product: int | None = None,
    on: datetime.date | None = None,
) -> dict[str, Any]:
    user = authed_user(request)
    if (
        user_scope(user, "case", Action.ADD) == Scope.NONE
        and user_scope(user, "service_contract", Action.VIEW) == Scope.NONE
    ):
        raise PermissionDenied(_("You do not have permission to do this."))
    if not serial.strip() and company is None:
        raise ValidationError({"serial": [_("Give a serial number or a client.")]})
    result = coverage_for(
        company,
        serial[:80],
        product,
        on or timezone.localdate(),
        within=companies_visible_to(user),
    )
    visible = result.contract is not None and (
        selectors.contracts_visible_to(user).filter(pk=result.contract.pk).exists()
    )
    return _render_coverage(result, visible)
