"""Reads of service contracts and installed units, scoped by what the reader may see (rule 2).

Contracts follow the ``service_contract`` record rules (owner / team, or the client's owner /
team). Installed units have no owner of their own: a unit is visible to whoever may see its
client. Balances of entitlements are summed in SQL, one query per contract page.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext as _

from accord.contracts.models import Asset, Consumption, Entitlement, ServiceContract
from accord.core.permissions import Action, restrict
from accord.parties.selectors import companies_visible_to

ZERO = Decimal("0")
CENT = Decimal("0.01")


def contracts_visible_to(user: Any, action: str = Action.VIEW) -> QuerySet[ServiceContract]:
    return restrict(ServiceContract.objects.all(), user, action)


def get_contract_for(user: Any, pk: Any, action: str = Action.VIEW) -> ServiceContract:
    """The same 404 for a contract that does not exist and one the user may not see."""
    try:
        return (
            contracts_visible_to(user, action)
            .select_related("company", "sla_policy", "owner", "team", "renewed_from")
            .get(pk=int(pk))
        )
    except (ServiceContract.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def assets_visible_to(user: Any) -> QuerySet[Asset]:
    """Units of the clients the user may see."""
    return Asset.objects.filter(company__in=companies_visible_to(user).values("pk"))


def get_asset_for(user: Any, pk: Any) -> Asset:
    try:
        return assets_visible_to(user).select_related("company", "product", "order").get(pk=int(pk))
    except (Asset.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def contracts_in_force(on_date: datetime.date) -> QuerySet[ServiceContract]:
    """Active contracts whose period contains the date (not scoped: callers scope)."""
    return ServiceContract.objects.filter(
        status=ServiceContract.Status.ACTIVE, starts_on__lte=on_date, ends_on__gte=on_date
    )


def expiring_filter(today: datetime.date, days: int) -> Q:
    """Active contracts ending between today and ``days`` days from now."""
    return Q(
        status=ServiceContract.Status.ACTIVE,
        ends_on__gte=today,
        ends_on__lte=today + datetime.timedelta(days=days),
    )


@dataclass(frozen=True)
class Balance:
    """What one entitlement includes, what is used and what is left (negative: over)."""

    unit: str
    label: str
    included: Decimal
    consumed: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.included - self.consumed

    @property
    def over(self) -> Decimal:
        return max(self.consumed - self.included, ZERO)

    @property
    def is_over(self) -> bool:
        return self.consumed > self.included

    @property
    def percent_used(self) -> int:
        if self.included <= 0:
            return 100 if self.consumed > 0 else 0
        return min(int(self.consumed * 100 / self.included), 100)

    def summary(self) -> str:
        """ "3 of 12 visits left" / "over by 2 h"."""
        numbers = {"left": _number(self.remaining), "included": _number(self.included)}
        if self.is_over:
            return over_text(self.unit, self.over)
        if self.unit == Entitlement.Unit.VISITS:
            return _("%(left)s of %(included)s visits left") % numbers
        if self.unit == Entitlement.Unit.HOURS:
            return _("%(left)s of %(included)s hours left") % numbers
        return _("%(left)s of %(included)s cases left") % numbers


def over_text(unit: str, over: Decimal) -> str:
    amount = {"amount": _number(over)}
    if unit == Entitlement.Unit.VISITS:
        return _("over by %(amount)s visits") % amount
    if unit == Entitlement.Unit.HOURS:
        return _("over by %(amount)s h") % amount
    return _("over by %(amount)s cases") % amount


def _number(value: Decimal) -> str:
    """12.00 -> "12", 2.50 -> "2.5"."""
    text = format(value.normalize(), "f") if value else "0"
    return text


def balances(contract_ids: list[int]) -> dict[int, list[Balance]]:
    """Entitlement balances of several contracts in one query (lists, panels, the API)."""
    if not contract_ids:
        return {}
    rows = (
        Entitlement.objects.filter(contract_id__in=contract_ids)
        .annotate(
            used=Coalesce(
                Sum("consumptions__quantity"),
                Value(ZERO),
                output_field=DecimalField(max_digits=12, decimal_places=2),
            )
        )
        .order_by("contract_id", "unit")
        .values_list("contract_id", "unit", "included", "used")
    )
    labels = dict(Entitlement.Unit.choices)
    result: dict[int, list[Balance]] = {pk: [] for pk in contract_ids}
    for contract_id, unit, included, used in rows:
        result[contract_id].append(
            Balance(
                unit=unit,
                label=str(labels.get(unit, unit)),
                included=Decimal(included).quantize(CENT),
                consumed=Decimal(used or 0).quantize(CENT),
            )
        )
    return result


def consumption_history(contract: ServiceContract, limit: int = 50) -> QuerySet[Consumption]:
    return (
        Consumption.objects.filter(entitlement__contract=contract)
        .select_related("entitlement", "case", "created_by")
        .order_by("-occurred_on", "-id")[:limit]
    )
