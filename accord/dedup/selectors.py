"""Reads of duplicate clusters, scoped: a user sees a cluster only when they may see every
one of its records (rule 2); administrators and users who see all records see every cluster."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import Http404

from accord.core.permissions import Action, Scope, restrict, user_scope
from accord.dedup.models import DuplicateCluster
from accord.parties.models import Company, Contact

#: A limited user's list stops looking after this many clusters (each checked against the
#: records they may see), so a deep page can't turn into a scan of every cluster.
MAX_CHECKED = 5_000
BATCH = 200


def model_for(object_type: str) -> type[Company] | type[Contact]:
    if object_type == "company":
        return Company
    if object_type == "contact":
        return Contact
    raise Http404


def member_ids(cluster: DuplicateCluster) -> list[int]:
    return [int(m["id"]) for m in cluster.members]


def sees_everything(user: Any, object_type: str, action: str = Action.VIEW) -> bool:
    if getattr(user, "is_administrator", False):
        return True
    return user_scope(user, object_type, action) == Scope.ALL or (
        action == Action.VIEW and user_scope(user, object_type, Action.CHANGE) == Scope.ALL
    )


def _allowed_ids(user: Any, object_type: str, ids: list[int], action: str) -> set[int]:
    model = model_for(object_type)
    queryset: models.QuerySet[Any] = model.objects.filter(pk__in=ids)
    return set(restrict(queryset, user, action).values_list("pk", flat=True))


def clusters_visible_to(
    user: Any, *, object_type: str, status: str, page: int = 1, per_page: int = 50
) -> tuple[list[DuplicateCluster], bool]:
    """One page of clusters (best score first) and whether there is a next page."""
    model_for(object_type)
    base = DuplicateCluster.objects.filter(object_type=object_type, status=status).order_by(
        "-score", "-id"
    )
    start = (max(page, 1) - 1) * per_page
    if sees_everything(user, object_type):
        rows = list(base[start : start + per_page + 1])
        return rows[:per_page], len(rows) > per_page
    found: list[DuplicateCluster] = []
    checked = 0
    while checked < MAX_CHECKED and len(found) <= start + per_page:
        batch = list(base[checked : checked + BATCH])
        if not batch:
            break
        checked += len(batch)
        ids = sorted({pk for cluster in batch for pk in member_ids(cluster)})
        allowed = _allowed_ids(user, object_type, ids, Action.VIEW)
        found += [c for c in batch if all(pk in allowed for pk in member_ids(c))]
        if len(batch) < BATCH:
            break
    rows = found[start : start + per_page + 1]
    return rows[:per_page], len(rows) > per_page


def get_cluster_for(user: Any, pk: Any) -> DuplicateCluster:
    """The same 404 for a cluster that does not exist and one with a record the user may not
    see."""
    try:
        cluster = DuplicateCluster.objects.get(pk=int(pk))
    except (DuplicateCluster.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if not cluster_members_allowed(user, cluster, Action.VIEW):
        raise Http404
    return cluster


def cluster_members_allowed(user: Any, cluster: DuplicateCluster, action: str) -> bool:
    """May the user do ``action`` on every record of the cluster that still exists?"""
    if sees_everything(user, cluster.object_type, action):
        return True
    ids = member_ids(cluster)
    return len(_allowed_ids(user, cluster.object_type, ids, action)) == len(set(ids))


def member_names(user: Any, object_type: str, ids: list[int]) -> dict[int, str]:
    """Names of the records on a page of clusters (those the user may see), one query."""
    model = model_for(object_type)
    field = "name" if model is Company else "full_name"
    queryset: models.QuerySet[Any] = model.objects.filter(pk__in=ids)
    return dict(restrict(queryset, user, Action.VIEW).values_list("pk", field))


def member_records(user: Any, cluster: DuplicateCluster) -> dict[int, Any]:
    """The cluster's records the user may see, with what the detail page shows."""
    model = model_for(cluster.object_type)
    queryset: models.QuerySet[Any] = restrict(
        model.objects.filter(pk__in=member_ids(cluster)), user, Action.VIEW
    )
    if model is Contact:
        queryset = queryset.select_related("owner", "primary_company")
    else:
        queryset = queryset.select_related("owner")
    return {obj.pk: obj for obj in queryset.prefetch_related("contact_points")}
