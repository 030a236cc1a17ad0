"""Reads of companies and contacts, always scoped to what the user may see (rule 2)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from accord.core.permissions import Action, restrict
from accord.parties.models import Company, Contact


def companies_visible_to(user: Any, action: str = Action.VIEW) -> QuerySet[Company]:
    return restrict(Company.objects.all(), user, action)


def contacts_visible_to(user: Any, action: str = Action.VIEW) -> QuerySet[Contact]:
    return restrict(Contact.objects.all(), user, action)


def get_company_for(user: Any, pk: Any, action: str = Action.VIEW) -> Company:
    """The same 404 for a company that does not exist and one the user may not touch."""
    try:
        return (
            companies_visible_to(user, action)
            .select_related("owner", "team", "industry", "region", "company_type", "source", "size")
            .get(pk=int(pk))
        )
    except (Company.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def get_contact_for(user: Any, pk: Any, action: str = Action.VIEW) -> Contact:
    try:
        return (
            contacts_visible_to(user, action)
            .select_related("owner", "team", "primary_company")
            .get(pk=int(pk))
        )
    except (Contact.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
