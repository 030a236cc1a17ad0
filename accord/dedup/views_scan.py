"""Pages of the duplicate scan: the clusters it found, one cluster side by side, "Scan now"
and "Not duplicates" (D6). Thin views: parse, fetch through the scoped selectors, call one
service, render or redirect."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accord.core.http import AuthedHttpRequest
from accord.core.permissions import Action
from accord.dedup import selectors, services
from accord.dedup.matching import REASONS
from accord.dedup.models import DuplicateCluster
from accord.parties.models import Company, Contact
from accord.parties.normalize import display_phone

TYPES = ("contact", "company")
PER_PAGE = 50


def _reverse_or_none(name: str, *args: Any) -> str | None:
    """Links to pages other parts build; None while such a page does not exist."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def reason_labels(codes: list[str]) -> list[str]:
    return [str(REASONS[c]) for c in codes if c in REASONS]


def _type_param(request: AuthedHttpRequest) -> str:
    value = request.GET.get("type") or request.POST.get("type") or "contact"
    return value if value in TYPES else "contact"


@login_required
def cluster_list(request: AuthedHttpRequest) -> HttpResponse:
    object_type = _type_param(request)
    status = request.GET.get("status") or DuplicateCluster.Status.OPEN
    if status not in DuplicateCluster.Status.values:
        status = DuplicateCluster.Status.OPEN
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    clusters, has_next = selectors.clusters_visible_to(
        request.user, object_type=object_type, status=status, page=page, per_page=PER_PAGE
    )
    ids = sorted({pk for cluster in clusters for pk in selectors.member_ids(cluster)})
    names = selectors.member_names(request.user, object_type, ids)
    rows = [
        {
            "cluster": cluster,
            "members": [
                {
                    "id": member["id"],
                    "name": names.get(int(member["id"])),
                    "reasons": reason_labels(member.get("reasons", [])),
                }
                for member in cluster.members
            ],
            "reasons": reason_labels(
                list(dict.fromkeys(r for m in cluster.members for r in m.get("reasons", [])))
            ),
        }
        for cluster in clusters
    ]

    def link(**changes: Any) -> str:
        params = {"type": object_type, "status": status, **changes}
        return "?" + urlencode(params)

    return render(
        request,
        "dedup/cluster_list.html",
        {
            "rows": rows,
            "object_type": object_type,
            "status": status,
            "statuses": DuplicateCluster.Status.choices,
            "tabs": [
                ("contact", _("Contacts"), "?" + urlencode({"type": "contact", "status": status})),
                ("company", _("Companies"), "?" + urlencode({"type": "company", "status": status})),
            ],
            "status_links": [
                (value, label, link(status=value))
                for value, label in DuplicateCluster.Status.choices
            ],
            "page": page,
            "previous_link": link(page=page - 1) if page > 1 else None,
            "next_link": link(page=page + 1) if has_next else None,
            "can_scan": request.user.is_administrator,
            "merge_available": _reverse_or_none("dedup:merge") is not None,
        },
    )


def _facts(obj: Any, object_type: str) -> list[tuple[str, str]]:
    points = list(obj.contact_points.all())
    phones = ", ".join(display_phone(p.normalized) for p in points if p.kind == "phone")
    emails = ", ".join(p.normalized for p in points if p.kind == "email")
    if object_type == "company":
        company: Company = obj
        facts = [
            (_("Name"), company.name),
            (_("Legal name"), company.legal_name),
            (_("INN"), company.inn),
            (_("SIREN"), company.siren),
            (_("VAT number"), company.vat_number),
            (_("Country"), company.country),
        ]
    else:
        contact: Contact = obj
        facts = [
            (_("Name"), contact.full_name or str(contact)),
            (_("Company"), str(contact.primary_company or "")),
            (_("Position"), contact.position),
        ]
    facts += [(_("Phones"), phones), (_("E-mails"), emails), (_("Owner"), str(obj.owner))]
    return facts


@login_required
def cluster_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    cluster = selectors.get_cluster_for(request.user, pk)
    records = selectors.member_records(request.user, cluster)
    members = []
    for member in cluster.members:
        obj = records.get(int(member["id"]))
        members.append(
            {
                "id": member["id"],
                "obj": obj,
                "score": member.get("score", cluster.score),
                "reasons": reason_labels(member.get("reasons", [])),
                "facts": _facts(obj, cluster.object_type) if obj is not None else [],
            }
        )
    labels = [label for label, _value in members[0]["facts"]] if members[0]["facts"] else []
    merge_url = None
    present = [str(m["id"]) for m in members if m["obj"] is not None]
    base = _reverse_or_none("dedup:merge")
    if base and cluster.status == DuplicateCluster.Status.OPEN and len(present) > 1:
        merge_url = base + "?" + urlencode({"type": cluster.object_type, "ids": ",".join(present)})
    can_dismiss = cluster.status == DuplicateCluster.Status.OPEN and (
        selectors.cluster_members_allowed(request.user, cluster, Action.CHANGE)
    )
    return render(
        request,
        "dedup/cluster_detail.html",
        {
            "cluster": cluster,
            "members": members,
            "rows": [
                (label, [m["facts"][i][1] if m["facts"] else "" for m in members])
                for i, label in enumerate(labels)
            ],
            "merge_url": merge_url,
            "can_dismiss": can_dismiss,
        },
    )


@login_required
@require_POST
def cluster_dismiss(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    cluster = selectors.get_cluster_for(request.user, pk)
    try:
        services.cluster_dismiss(cluster=cluster, actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("dedup:cluster_detail", pk=cluster.pk)
    messages.success(request, _("Marked as not duplicates: later scans will keep them apart."))
    return redirect(reverse("dedup:cluster_list") + "?" + urlencode({"type": cluster.object_type}))


@login_required
@require_POST
def scan_start(request: AuthedHttpRequest) -> HttpResponse:
    if not request.user.is_administrator:
        raise PermissionDenied
    object_type = request.POST.get("type", "")
    try:
        job = services.scan_start(actor=request.user, object_type=object_type)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(
            reverse("dedup:cluster_list") + "?" + urlencode({"type": _type_param(request)})
        )
    messages.success(request, _("The scan has started; the list is replaced when it finishes."))
    job_url = _reverse_or_none("dataio:job_detail", job.pk)
    if job_url:
        return redirect(job_url)
    return redirect(reverse("dedup:cluster_list") + "?" + urlencode({"type": object_type}))


urlpatterns: list[URLPattern] = [
    path("duplicates/", cluster_list, name="cluster_list"),
    path("duplicates/<int:pk>/", cluster_detail, name="cluster_detail"),
    path("duplicates/<int:pk>/dismiss/", cluster_dismiss, name="cluster_dismiss"),
    path("duplicates/scan/", scan_start, name="scan_start"),
]
