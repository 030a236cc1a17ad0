"""What covers a client's request (V2): the installed unit found from a serial number, its
warranty, and the service contract in force for it, with its service level and what is left
of its entitlements.

One resolution, used by the case-opening receiver, the case page's "Coverage" panel, the
serial-number check on the new-case form and the API, so they never disagree. The contract
is looked for in this order: a contract in force naming the unit; one naming the unit's
product for that client; one for the client that names nothing (it covers everything).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accord.contracts.models import (
    WARRANTY_IN,
    WARRANTY_OUT,
    WARRANTY_UNKNOWN,
    Asset,
    ServiceContract,
    serial_key,
)
from accord.contracts.selectors import Balance, balances, contracts_in_force


@dataclass(frozen=True)
class Coverage:
    """The answer to "is this covered?" for one serial number / client / product on a date."""

    serial_number: str = ""
    asset: Asset | None = None
    warranty: str = WARRANTY_UNKNOWN  # "in" / "out" / "unknown"
    warranty_until: datetime.date | None = None
    contract: ServiceContract | None = None
    entitlements: tuple[Balance, ...] = field(default_factory=tuple)

    @property
    def contract_status(self) -> str:
        return self.contract.status if self.contract is not None else ""

    @property
    def service_level(self) -> Any:
        return self.contract.sla_policy if self.contract is not None else None

    @property
    def is_known_serial(self) -> bool:
        return self.asset is not None

    @property
    def is_covered(self) -> bool:
        return self.contract is not None or self.warranty == WARRANTY_IN

    def lines(self) -> list[tuple[str, str]]:
        """Sentences for people, each with a tone ("ok", "warn", "muted"): the check fragment
        under the serial field and the case panel show these."""
        result: list[tuple[str, str]] = []
        if self.serial_number and self.asset is None:
            result.append(("muted", _("Unknown serial number")))
        if self.asset is not None:
            if self.warranty == WARRANTY_IN and self.warranty_until is not None:
                result.append(
                    (
                        "ok",
                        _("Under warranty until %(date)s")
                        % {"date": date_format(self.warranty_until, "SHORT_DATE_FORMAT")},
                    )
                )
            elif self.warranty == WARRANTY_OUT and self.warranty_until is not None:
                result.append(
                    (
                        "warn",
                        _("Warranty expired on %(date)s")
                        % {"date": date_format(self.warranty_until, "SHORT_DATE_FORMAT")},
                    )
                )
            else:
                result.append(("muted", _("No warranty date recorded")))
        if self.contract is not None:
            level = self.service_level
            parts = [str(level)] if level is not None else []
            parts += [balance.summary() for balance in self.entitlements]
            detail = f" ({', '.join(parts)})" if parts else ""
            result.append(
                (
                    "ok",
                    _("Covered by contract %(number)s%(detail)s")
                    % {"number": self.contract.number, "detail": detail},
                )
            )
        elif self.asset is not None or not self.serial_number:
            result.append(
                ("warn" if self.asset is not None else "muted", _("No contract in force"))
            )
        return result


def find_assets(
    serial_number: str, *, company: Any = None, product: Any = None, within: Any = None
) -> QuerySet[Asset]:
    """Units with this serial (compared trimmed and case-insensitively); narrowed to the
    client, the product and to ``within`` (a queryset of visible companies) when given."""
    key = serial_key(serial_number)
    queryset = Asset.objects.filter(serial_key=key).select_related("product", "company")
    if company is not None:
        queryset = queryset.filter(company_id=getattr(company, "pk", company))
    if product is not None:
        queryset = queryset.filter(product_id=getattr(product, "pk", product))
    if within is not None:
        queryset = queryset.filter(company__in=within.values("pk"))
    return queryset


def _find_asset(serial_number: str, company: Any, product: Any, within: Any) -> Asset | None:
    if not serial_key(serial_number):
        return None
    found = list(find_assets(serial_number, company=company, within=within)[:3])
    if len(found) > 1 and product is not None:
        pk = getattr(product, "pk", product)
        found = [asset for asset in found if asset.product_id == pk]
    # Two clients' units with the same serial and nothing to tell them apart: don't guess.
    return found[0] if len(found) == 1 else None


def _contract_for(
    company_id: int | None, asset: Asset | None, product_id: int | None, on_date: datetime.date
) -> ServiceContract | None:
    in_force = contracts_in_force(on_date).select_related("sla_policy").order_by("-ends_on", "-id")
    if asset is not None:
        found = in_force.filter(covered_assets=asset).first()
        if found is not None:
            return found
    if company_id is None:
        return None
    for_client = in_force.filter(company_id=company_id)
    if product_id is not None:
        found = for_client.filter(covered_products=product_id).first()
        if found is not None:
            return found
    return for_client.filter(covered_assets__isnull=True, covered_products__isnull=True).first()


def coverage_for(
    company: Any,
    serial_number: str,
    product: Any,
    on_date: datetime.date,
    *,
    within: QuerySet[Any] | None = None,
) -> Coverage:
    """Resolve the unit, warranty and contract.

    ``company`` and ``product`` may be objects, ids or None. ``within`` (companies visible to
    the asking user) keeps the lookup from revealing another client's unit; the system (the
    case-opening receiver) passes nothing."""
    company_id = getattr(company, "pk", company) or None
    asset = _find_asset(serial_number, company_id, product, within)
    if asset is not None:
        company_id = asset.company_id
        product_id = asset.product_id or getattr(product, "pk", product) or None
    else:
        product_id = getattr(product, "pk", product) or None
    if company_id is not None and within is not None and not within.filter(pk=company_id).exists():
        company_id = None
    contract = _contract_for(company_id, asset, product_id, on_date)
    return Coverage(
        serial_number=(serial_number or "").strip(),
        asset=asset,
        warranty=asset.warranty_status(on_date) if asset is not None else WARRANTY_UNKNOWN,
        warranty_until=asset.warranty_until if asset is not None else None,
        contract=contract,
        entitlements=tuple(balances([contract.pk])[contract.pk]) if contract is not None else (),
    )


__all__ = ["WARRANTY_IN", "WARRANTY_OUT", "WARRANTY_UNKNOWN", "Coverage", "coverage_for"]
