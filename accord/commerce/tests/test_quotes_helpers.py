"""Builders shared by the quote tests (no tests here)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from accord.commerce import services_quotes
from accord.commerce.models import Quote
from accord.commerce.pricing import LineDraft
from accord.core.models import User
from accord.parties.tests.factories import make_company, make_contact


def make_deal(*, owner: User, company: Any = None, currency: str = "RUB", **fields: Any) -> Any:
    """A deal through the deal service, as its owner would open it."""
    from accord.sales.services_deals import deal_create

    company = company or make_company(owner=owner)
    contacts = fields.pop("contacts", ())
    return deal_create(
        actor=owner,
        company=company,
        name=fields.pop("name", "Design of a substation"),
        currency=currency,
        contacts=contacts,
        **fields,
    )


def free_line(
    description: str = "Survey",
    quantity: str = "1",
    unit_price: str = "100.00",
    discount: str = "0",
    tax: str = "20",
) -> LineDraft:
    return LineDraft(
        description=description,
        quantity=Decimal(quantity),
        unit_price=Decimal(unit_price),
        unit="pcs",
        discount_percent=Decimal(discount),
        tax_rate=Decimal(tax),
    )


def make_quote(
    *,
    owner: User,
    deal: Any = None,
    lines: Any = None,
    company: Any = None,
    contact_email: str | None = None,
    currency: str = "RUB",
    **fields: Any,
) -> Quote:
    """A draft quote on a (new) deal, with a contact and the given lines (one by default)."""
    if deal is None:
        company = company or make_company(owner=owner)
        contact = make_contact(
            owner=owner,
            company=company,
            emails=[contact_email] if contact_email else (),
        )
        deal = make_deal(owner=owner, company=company, contacts=[contact], currency=currency)
    return services_quotes.quote_create(
        actor=owner,
        deal=deal,
        lines=[free_line()] if lines is None else lines,
        **fields,
    )
