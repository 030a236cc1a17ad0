"""Reads of quotes, always scoped to what the user may see (rule 2). Lines are reached only
through their quote."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from accord.commerce.models import Quote, QuoteLine
from accord.core.permissions import Action, restrict


def quotes_visible_to(user: Any, action: str = Action.VIEW) -> QuerySet[Quote]:
    """Quotes the user may do ``action`` on (own, team's or all, by role)."""
    return restrict(Quote.objects.all(), user, action)


def get_quote_for(user: Any, pk: Any, action: str = Action.VIEW) -> Quote:
    """The same 404 for a quote that does not exist and one the user may not touch."""
    try:
        return (
            quotes_visible_to(user, action)
            .select_related("company", "contact", "deal", "owner", "team", "price_list")
            .get(pk=int(pk))
        )
    except (Quote.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def get_quote_line_for(user: Any, quote: Quote, pk: Any) -> QuoteLine:
    """A line of a quote the caller already fetched through :func:`get_quote_for`."""
    try:
        return quote.lines.get(pk=int(pk))
    except (QuoteLine.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def quote_lines(quote: Quote) -> list[QuoteLine]:
    return list(quote.lines.select_related("product").order_by("position", "id"))


def revisions_of(user: Any, quote: Quote) -> list[Quote]:
    """Every revision of the quote's number the user may see, newest first."""
    return list(
        quotes_visible_to(user)
        .filter(number=quote.number)
        .order_by("-revision")
        .only("id", "number", "revision", "status", "total", "currency", "created_at", "is_latest")
    )


def deal_quotes(user: Any, deal: Any) -> QuerySet[Quote]:
    """A deal's quotes the user may see, latest revision first."""
    return quotes_visible_to(user).filter(deal=deal).order_by("-created_at", "-id")
