"""Reads of activities and documents, scoped by the permission layer."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accord.activities.models import Activity, Document
from accord.core.permissions import Action, restrict


def activities_visible_to(user: Any, action: str = Action.VIEW) -> QuerySet[Activity]:
    return restrict(Activity.objects.all(), user, action)


def documents_visible_to(user: Any, action: str = Action.VIEW) -> QuerySet[Document]:
    return restrict(Document.objects.all(), user, action)


def my_day(user: Any) -> dict[str, Any]:
    return {}
