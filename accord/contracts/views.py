"""Pages and htmx fragments of service contracts and installed units (V2): the contract list
and page, forms, status buttons, consumption, the unit list and page, the serial-number check
of the new-case form, the case page's "Coverage" panel and the client card's panel."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accord.contracts import selectors, services
from accord.contracts.coverage import coverage_for
from accord.contracts.forms import AssetForm, CancelForm, ConsumptionForm, ContractForm
from accord.contracts.models import Asset, Consumption, ServiceContract
from accord.core.errors import ConflictError
from accord.core.history import history_page
from accord.core.http import AuthedHttpRequest
from accord.core.permissions import Action, Scope, allows, restrict, user_scope
from accord.parties.models import Company
from accord.parties.selectors import companies_visible_to, get_company_for

PAGE_SIZE = 50
HISTORY_PAGE_SIZE = 20
EXPIRING_CHOICES = (30, 60, 90)


def _page_number(request: AuthedHttpRequest) -> int:
    try:
        return max(int(request.GET.get("page", "1")), 1)
    except ValueError:
        return 1


def _slice(queryset: QuerySet[Any], page: int) -> tuple[list[Any], bool]:
    """One page without counting the table: fetch one row more to know if there is a next."""
    start = (page - 1) * PAGE_SIZE
    rows = list(queryset[start : start + PAGE_SIZE + 1])
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def _page_links(request: AuthedHttpRequest, page: int, has_next: bool) -> dict[str, str]:
    params = request.GET.copy()
    links: dict[str, str] = {}
    if page > 1:
        params["page"] = str(page - 1)
        links["previous"] = "?" + params.urlencode()
    if has_next:
        params["page"] = str(page + 1)
        links["next"] = "?" + params.urlencode()
    return links


def _case_rows(cases: list[Any]) -> list[dict[str, Any]]:
    """Cases with their page's address (empty while the cases pages are not installed)."""
    rows = []
    for case in cases:
        try:
            url = case.get_absolute_url()
        except NoReverseMatch:
            url = ""
        rows.append({"case": case, "url": url})
    return rows


def _can_write_units(user: Any, action: str) -> bool:
    return user_scope(user, "service_contract", action) > Scope.NONE


# --- contract list -------------------------------------------------------------------------


@login_required
@require_GET
def contract_list(request: AuthedHttpRequest) -> HttpResponse:
    """Contracts I may see: filter by status, client, "expiring within N days", number/name."""
    if user_scope(request.user, "service_contract", Action.VIEW) == Scope.NONE:
        raise PermissionDenied
    today = timezone.localdate()
    queryset = selectors.contracts_visible_to(request.user).select_related("company", "sla_policy")
    status = request.GET.get("status", "")
    if status in ServiceContract.Status.values:
        queryset = queryset.filter(status=status)
    company: Company | None = None
    if request.GET.get("company"):
        company = get_company_for(request.user, request.GET["company"])
        queryset = queryset.filter(company=company)
    expiring = request.GET.get("expiring", "")
    if expiring.isdigit() and 0 < int(expiring) <= 3650:
        queryset = queryset.filter(selectors.expiring_filter(today, int(expiring)))
        queryset = queryset.order_by("ends_on", "id")
    else:
        expiring = ""
        queryset = queryset.order_by("-starts_on", "-id")
    query = request.GET.get("q", "").strip()
    if query:
        queryset = queryset.filter(number__istartswith=query) | queryset.filter(
            name__icontains=query
        )
    page = _page_number(request)
    contracts, has_next = _slice(queryset, page)
    balance_map = selectors.balances([c.pk for c in contracts])
    rows = [
        {"contract": contract, "balances": balance_map.get(contract.pk, [])}
        for contract in contracts
    ]
    return render(
        request,
        "contracts/contract_list.html",
        {
            "rows": rows,
            "status": status,
            "statuses": ServiceContract.Status.choices,
            "company": company,
            "expiring": expiring,
            "expiring_choices": sorted({*EXPIRING_CHOICES, *([int(expiring)] if expiring else [])}),
            "query": query,
            "links": _page_links(request, page, has_next),
            "can_add": user_scope(request.user, "service_contract", Action.ADD) > Scope.NONE,
            "today": today,
        },
    )


# --- create / edit -------------------------------------------------------------------------


def _pick_company(request: AuthedHttpRequest, next_url: str, title: str) -> HttpResponse:
    """Step one without a client: find the client among those I may see."""
    from accord.core.permissions import ordered_scan
    from accord.parties.search import text_match

    query = request.GET.get("company_q", "").strip()
    found: list[Company] = []
    if query:
        with ordered_scan():
            found = list(
                text_match(companies_visible_to(request.user), query).order_by("name", "id")[:30]
            )
    return render(
        request,
        "contracts/pick_company.html",
        {"query": query, "found": found, "next_url": next_url, "title": title},
    )


@login_required
@require_http_methods(["GET", "POST"])
def contract_create(request: AuthedHttpRequest) -> HttpResponse:
    if user_scope(request.user, "service_contract", Action.ADD) == Scope.NONE:
        raise PermissionDenied
    params = request.POST if request.method == "POST" else request.GET
    if not params.get("company"):
        return _pick_company(
            request, reverse("contracts:contract_create"), _("New service contract")
        )
    company = get_company_for(request.user, params["company"])
    today = timezone.localdate()
    initial = {
        "starts_on": today,
        "ends_on": services.add_months(today, 12) - datetime.timedelta(days=1),
        "renewal_notice_days": 30,
    }
    form = ContractForm(request.POST or None, company=company, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            contract = services.contract_create(
                actor=request.user,
                company=company,
                fields=form.service_fields(),
                covered_products=form.cleaned_data["covered_products"],
                covered_assets=form.cleaned_data["covered_assets"],
                entitlements=form.entitlements(),
            )
        except ValidationError as exc:
            form.apply_errors(exc.message_dict)
        else:
            messages.success(
                request, _("Contract %(number)s drawn up as a draft.") % {"number": contract.number}
            )
            return redirect(contract.get_absolute_url())
    return render(
        request,
        "contracts/contract_form.html",
        {"form": form, "company": company, "contract": None},
    )


@login_required
@require_http_methods(["GET", "POST"])
def contract_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    contract = selectors.get_contract_for(request.user, pk)
    if not allows(request.user, Action.CHANGE, contract):
        raise PermissionDenied
    form = ContractForm(
        request.POST or None,
        company=contract.company,
        is_edit=True,
        initial=ContractForm.initial_for(contract),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.contract_update(
                actor=request.user,
                contract=contract,
                version=form.cleaned_data.get("version") or contract.version,
                fields=form.service_fields(),
                covered_products=form.cleaned_data["covered_products"],
                covered_assets=form.cleaned_data["covered_assets"],
                entitlements=form.entitlements(),
            )
        except ValidationError as exc:
            form.apply_errors(exc.message_dict)
        except ConflictError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Changes saved."))
            return redirect(contract.get_absolute_url())
    return render(
        request,
        "contracts/contract_form.html",
        {"form": form, "company": contract.company, "contract": contract},
    )


# --- detail and status ---------------------------------------------------------------------


def _consumption_form(contract: ServiceContract, data: Any = None) -> ConsumptionForm:
    units = [(e.unit, e.get_unit_display()) for e in contract.entitlements.all()]
    return ConsumptionForm(data, units=units, initial={"occurred_on": timezone.localdate()})


@login_required
@require_GET
def contract_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    contract = selectors.get_contract_for(request.user, pk)
    return _render_detail(request, contract)


def _render_detail(
    request: AuthedHttpRequest,
    contract: ServiceContract,
    consumption_form: ConsumptionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    from accord.service.models import Case

    user = request.user
    today = timezone.localdate()
    can_change = allows(user, Action.CHANGE, contract)
    balances = selectors.balances([contract.pk])[contract.pk]
    cases = list(
        restrict(Case.objects.filter(contract=contract), user)
        .only("pk", "subject", "status", "created_at", "contract_id")
        .order_by("-created_at", "-id")[:20]
    )
    renewals = list(contract.renewals.only("pk", "number", "status"))
    may_use = can_change or user_scope(user, "work_order", Action.CHANGE) > Scope.NONE
    context = {
        "contract": contract,
        "in_force": contract.is_in_force(today),
        "balances": balances,
        "covered_products": list(contract.covered_products.all()),
        "covered_assets": list(contract.covered_assets.select_related("product")),
        "consumptions": list(selectors.consumption_history(contract)),
        "cases": _case_rows(cases),
        "renewals": renewals,
        "can_change": can_change,
        "can_edit": can_change and contract.status in services.EDITABLE_STATUSES,
        "can_activate": can_change and contract.status == ServiceContract.Status.DRAFT,
        "can_cancel": can_change and contract.status in services.EDITABLE_STATUSES,
        "can_renew": contract.status != ServiceContract.Status.DRAFT
        and user_scope(user, "service_contract", Action.ADD) > Scope.NONE
        and not any(r.status != ServiceContract.Status.CANCELLED for r in renewals),
        "consumption_form": (consumption_form or _consumption_form(contract))
        if may_use and balances
        else None,
        "cancel_form": CancelForm(),
        "company_is_visible": companies_visible_to(user).filter(pk=contract.company_id).exists(),
        "history": history_page(user, contract, limit=HISTORY_PAGE_SIZE),
        "history_url": reverse("contracts:contract_history", args=[contract.pk]),
    }
    return render(request, "contracts/contract_detail.html", context, status=status)


@login_required
@require_GET
def contract_history(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    contract = selectors.get_contract_for(request.user, pk)
    try:
        before = int(request.GET.get("before", ""))
    except ValueError:
        before = None
    page = history_page(request.user, contract, limit=HISTORY_PAGE_SIZE, before_id=before)
    return render(
        request,
        "core/_history.html",
        {
            "page": page,
            "object": contract,
            "object_type": "service_contract",
            "fragment": True,
            "more_url": reverse("contracts:contract_history", args=[contract.pk]),
        },
    )


def _status_action(request: AuthedHttpRequest, pk: int, action: str) -> HttpResponse:
    contract = selectors.get_contract_for(request.user, pk)
    try:
        if action == "activate":
            contract = services.contract_activate(actor=request.user, contract=contract)
            messages.success(request, _("The contract is active."))
        elif action == "cancel":
            form = CancelForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            contract = services.contract_cancel(
                actor=request.user, contract=contract, reason=reason
            )
            messages.success(request, _("The contract is cancelled."))
        else:
            copy = services.contract_renew(actor=request.user, contract=contract)
            messages.success(
                request,
                _("Renewal %(number)s drawn up as a draft: check it and activate it.")
                % {"number": copy.number},
            )
            return redirect(copy.get_absolute_url())
    except ValidationError as exc:
        for field_messages in exc.message_dict.values():
            for message in field_messages:
                messages.error(request, message)
    return redirect(contract.get_absolute_url())


@login_required
@require_POST
def contract_activate(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    return _status_action(request, pk, "activate")


@login_required
@require_POST
def contract_cancel(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    return _status_action(request, pk, "cancel")


@login_required
@require_POST
def contract_renew(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    return _status_action(request, pk, "renew")


@login_required
@require_POST
def consumption_add(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    contract = selectors.get_contract_for(request.user, pk)
    form = _consumption_form(contract, request.POST)
    if form.is_valid():
        try:
            services.record_consumption(
                actor=request.user,
                contract=contract,
                unit=form.cleaned_data["unit"],
                quantity=form.cleaned_data["quantity"],
                occurred_on=form.cleaned_data["occurred_on"],
                source=_("by hand"),
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            form.apply_errors(exc.message_dict)
        else:
            messages.success(request, _("Use recorded."))
            return redirect(contract.get_absolute_url() + "#consumption")
    return _render_detail(request, contract, consumption_form=form, status=422)


@login_required
@require_POST
def consumption_remove(request: AuthedHttpRequest, pk: int, consumption_pk: int) -> HttpResponse:
    contract = selectors.get_contract_for(request.user, pk)
    consumption = (
        Consumption.objects.select_related("entitlement")
        .filter(pk=consumption_pk, entitlement__contract=contract)
        .first()
    )
    if consumption is None:
        raise Http404
    services.consumption_delete(actor=request.user, consumption=consumption)
    messages.success(request, _("Use taken back."))
    return redirect(contract.get_absolute_url() + "#consumption")


# --- installed units -----------------------------------------------------------------------


@login_required
@require_GET
def asset_list(request: AuthedHttpRequest) -> HttpResponse:
    """Units of the clients I may see; per client (``?company=``) or by serial (``?q=``)."""
    queryset = selectors.assets_visible_to(request.user).select_related("company", "product")
    company: Company | None = None
    if request.GET.get("company"):
        company = get_company_for(request.user, request.GET["company"])
        queryset = queryset.filter(company=company)
    query = request.GET.get("q", "").strip()
    if query:
        from accord.contracts.models import serial_key

        queryset = queryset.filter(serial_key__startswith=serial_key(query))
        queryset = queryset.order_by("serial_key", "id")
    else:
        queryset = queryset.order_by("serial_number", "id")
    page = _page_number(request)
    assets, has_next = _slice(queryset, page)
    today = timezone.localdate()
    return render(
        request,
        "contracts/asset_list.html",
        {
            "rows": [{"asset": a, "warranty": a.warranty_status(today)} for a in assets],
            "company": company,
            "query": query,
            "links": _page_links(request, page, has_next),
            "can_add": _can_write_units(request.user, Action.ADD),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def asset_create(request: AuthedHttpRequest) -> HttpResponse:
    if not _can_write_units(request.user, Action.ADD):
        raise PermissionDenied
    params = request.POST if request.method == "POST" else request.GET
    if not params.get("company"):
        return _pick_company(request, reverse("contracts:asset_create"), _("New installed unit"))
    company = get_company_for(request.user, params["company"])
    form = AssetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            asset = services.asset_create(
                actor=request.user,
                company=company,
                fields=form.service_fields(),
                warranty_months=form.cleaned_data.get("warranty_months"),
            )
        except ValidationError as exc:
            form.apply_errors(exc.message_dict)
        else:
            messages.success(
                request, _("Unit %(serial)s registered.") % {"serial": asset.serial_number}
            )
            return redirect(asset.get_absolute_url())
    return render(
        request, "contracts/asset_form.html", {"form": form, "company": company, "asset": None}
    )


@login_required
@require_http_methods(["GET", "POST"])
def asset_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    asset = selectors.get_asset_for(request.user, pk)
    if not _can_write_units(request.user, Action.CHANGE):
        raise PermissionDenied
    form = AssetForm(request.POST or None, is_edit=True, initial=AssetForm.initial_for(asset))
    if request.method == "POST" and form.is_valid():
        try:
            services.asset_update(
                actor=request.user,
                asset=asset,
                version=form.cleaned_data.get("version") or asset.version,
                fields=form.service_fields(),
                warranty_months=form.cleaned_data.get("warranty_months"),
            )
        except ValidationError as exc:
            form.apply_errors(exc.message_dict)
        except ConflictError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Changes saved."))
            return redirect(asset.get_absolute_url())
    return render(
        request,
        "contracts/asset_form.html",
        {"form": form, "company": asset.company, "asset": asset},
    )


@login_required
@require_GET
def asset_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    from accord.service.models import Case

    asset = selectors.get_asset_for(request.user, pk)
    today = timezone.localdate()
    coverage = coverage_for(asset.company_id, asset.serial_number, asset.product_id, today)
    contracts = list(
        selectors.contracts_visible_to(request.user)
        .filter(covered_assets=asset)
        .order_by("-ends_on", "-id")[:20]
    )
    cases = list(
        restrict(Case.objects.filter(asset=asset), request.user)
        .only("pk", "subject", "status", "created_at", "asset_id")
        .order_by("-created_at", "-id")[:20]
    )
    contract_visible = coverage.contract is not None and (
        selectors.contracts_visible_to(request.user).filter(pk=coverage.contract.pk).exists()
    )
    return render(
        request,
        "contracts/asset_detail.html",
        {
            "asset": asset,
            "coverage": coverage,
            "contract_visible": contract_visible,
            "contracts": contracts,
            "cases": _case_rows(cases),
            "can_change": _can_write_units(request.user, Action.CHANGE),
            "history": history_page(request.user, asset, limit=HISTORY_PAGE_SIZE),
        },
    )


# --- coverage: the new-case check, the case panel, the client card -------------------------


@login_required
@require_GET
def coverage_check(request: AuthedHttpRequest) -> HttpResponse:
    """Under the serial field of the new-case form: what covers this serial (htmx)."""
    if user_scope(request.user, "case", Action.ADD) == Scope.NONE:
        raise PermissionDenied
    serial = request.GET.get("serial", request.GET.get("serial_number", "")).strip()[:80]
    company_param = request.GET.get("company", "")
    visible = companies_visible_to(request.user)
    company: int | None = None
    if company_param.isdigit():
        company = int(company_param)
    if not serial and company is None:
        return HttpResponse("")
    coverage = coverage_for(company, serial, None, timezone.localdate(), within=visible)
    contract_visible = coverage.contract is not None and (
        selectors.contracts_visible_to(request.user).filter(pk=coverage.contract.pk).exists()
    )
    return render(
        request,
        "contracts/_coverage.html",
        {"coverage": coverage, "contract_visible": contract_visible, "compact": True},
    )


@login_required
@require_GET
def case_coverage(request: AuthedHttpRequest, case_pk: int) -> HttpResponse:
    """The case page's "Coverage" panel: the unit, warranty and contract of this case."""
    from accord.service.models import Case

    case = (
        restrict(Case.objects.all(), request.user)
        .select_related("asset", "contract__sla_policy")
        .filter(pk=case_pk)
        .first()
    )
    if case is None:
        raise Http404
    today = timezone.localdate()
    coverage = coverage_for(case.company_id, case.serial_number, case.product_id, today)
    contract_visible = coverage.contract is not None and (
        selectors.contracts_visible_to(request.user).filter(pk=coverage.contract.pk).exists()
    )
    return render(
        request,
        "contracts/_case_coverage.html",
        {
            "case": case,
            "coverage": coverage,
            "contract_visible": contract_visible,
            "case_contract_differs": case.contract_id is not None
            and case.contract_id != getattr(coverage.contract, "pk", None),
        },
    )


@login_required
@require_GET
def company_panel(request: AuthedHttpRequest, company_pk: int) -> HttpResponse:
    """The client card's "Service contracts and units" panel."""
    company = get_company_for(request.user, company_pk)
    today = timezone.localdate()
    contracts = list(
        selectors.contracts_visible_to(request.user)
        .filter(company=company)
        .exclude(status=ServiceContract.Status.CANCELLED)
        .select_related("sla_policy")
        .order_by("-ends_on", "-id")[:10]
    )
    balance_map = selectors.balances([c.pk for c in contracts])
    assets = list(
        Asset.objects.filter(company=company)
        .select_related("product")
        .order_by("serial_number", "id")[:11]
    )
    return render(
        request,
        "contracts/_company_panel.html",
        {
            "company": company,
            "contracts": [
                {
                    "contract": c,
                    "in_force": c.is_in_force(today),
                    "balances": balance_map.get(c.pk, []),
                }
                for c in contracts
            ],
            "assets": [{"asset": a, "warranty": a.warranty_status(today)} for a in assets[:10]],
            "more_assets": len(assets) > 10,
            "units_url": reverse("contracts:asset_list") + "?" + urlencode({"company": company.pk}),
            "contracts_url": reverse("contracts:contract_list")
            + "?"
            + urlencode({"company": company.pk}),
            "can_add_contract": user_scope(request.user, "service_contract", Action.ADD)
            > Scope.NONE,
            "can_add_unit": _can_write_units(request.user, Action.ADD),
        },
    )
