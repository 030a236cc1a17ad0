"""Merging duplicate companies or contacts into one record, and undoing such a merge (D6).

A merge keeps one record (the survivor), takes per field the value the user picked from any of
the records, unites contact points and tags, moves every related record (found generically
through the relations that point at the model, so a new app's foreign keys are covered without
a change here) and deletes the others. Everything needed to put things back is stored in
``Merge.snapshot`` first, so :func:`merge_undo` can recreate the merged records with their
original ids and move back exactly the rows that were moved.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accord.core import audit, customfields
from accord.core.errors import ConflictError
from accord.core.models import AuditEntry, User
from accord.core.permissions import Action, require
from accord.dedup.models import DuplicateCluster, Merge
from accord.parties.models import Address, Company, Contact, ContactPoint, Employment, Tag
from accord.parties.selectors import companies_visible_to, contacts_visible_to
from accord.parties.services import (
    COMPANY_FIELDS,
    CONTACT_FIELDS,
    _clean_tax_ids,
    refresh_company_search,
    refresh_contact_search,
)

MODELS: dict[str, type[Company] | type[Contact]] = {"company": Company, "contact": Contact}
FIELDS: dict[str, tuple[str, ...]] = {"company": COMPANY_FIELDS, "contact": CONTACT_FIELDS}
MAX_RECORDS = 10
ADDRESSES = "addresses"
ALL_ADDRESSES = "all"
SNAPSHOT_VERSION = 1
# Kept by the merge itself, never picked: identity, timestamps, the derived search columns.
_NOT_PICKED = {"id", "created_at", "updated_at", "version", "search_text", "name_key", "full_name"}


@dataclass(frozen=True)
class MergeField:
    """One row of the merge screen: a field whose surviving value the user picks."""

    key: str  # model field name, "addresses" or "custom.<key>"
    label: Any


def merge_fields(object_type: str, records: Sequence[models.Model] = ()) -> list[MergeField]:
    """The fields a merge of this record type lets the user pick, in form order; custom
    fields come from the definitions plus any key the given records carry."""
    model = MODELS[object_type]
    result = [
        MergeField(key=name, label=_field(model, name).verbose_name) for name in FIELDS[object_type]
    ]
    if object_type == "company":
        result.append(MergeField(key=ADDRESSES, label=gettext_lazy("Addresses")))
    labels = {d.name: d.label for d in customfields.definitions(object_type)}
    keys = list(labels)
    for record in records:
        keys.extend(k for k in (getattr(record, "custom", None) or {}) if k not in keys)
    result.extend(MergeField(key=f"custom.{k}", label=labels.get(k, k)) for k in keys)
    return result


# -- snapshots -------------------------------------------------------------------------------


def _field(model: Any, name: str) -> Any:
    """A concrete field by name (typed loosely: the stubs can't tell fields from relations)."""
    return model._meta.get_field(name)


def row_values(obj: models.Model) -> dict[str, Any]:
    """Every concrete column of a row, JSON-ready (foreign keys as ids)."""
    return {f.attname: audit._plain(getattr(obj, f.attname)) for f in obj._meta.concrete_fields}


def _instance(model: type[models.Model], values: dict[str, Any]) -> models.Model:
    fields = {f.attname: f for f in model._meta.concrete_fields}
    return model(
        **{name: fields[name].to_python(value) for name, value in values.items() if name in fields}
    )


def _unique_sets(model: type[models.Model], field: models.Field[Any, Any]) -> list[tuple[Any, ...]]:
    """(other field names, condition) of each uniqueness rule that includes ``field``."""
    result: list[tuple[Any, ...]] = []
    if field.unique:
        result.append(((), None))
    for together in model._meta.unique_together:
        if field.name in together:
            result.append((tuple(n for n in together if n != field.name), None))
    for constraint in model._meta.constraints:
        names = getattr(constraint, "fields", ())
        if isinstance(constraint, models.UniqueConstraint) and field.name in names:
            result.append(
                (tuple(n for n in names if n != field.name), getattr(constraint, "condition", None))
            )
    return result


def relations(model: type[models.Model]) -> list[Any]:
    """Every foreign key (in any app, hidden ones and M2M through tables included) that points
    at ``model``. Many-to-many fields are covered by their through table's foreign keys."""
    result = []
    for rel in model._meta.get_fields(include_hidden=True):
        if rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one):
            result.append(rel.field)  # type: ignore[union-attr]
    return result


def _chunks(items: list[Any], size: int = 500) -> Iterable[list[Any]]:
    """Keep ``pk IN (...)`` under SQLite's bound-parameter limit."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _group(rows: Iterable[tuple[Any, Any]]) -> dict[Any, list[Any]]:
    groups: dict[Any, list[Any]] = defaultdict(list)
    for pk, value in rows:
        groups[value].append(pk)
    return groups


class _Mover:
    """Moves the rows that point at the merged records to the survivor, noting each move."""

    def __init__(self, survivor_id: int, other_ids: list[int]) -> None:
        self.survivor_id = survivor_id
        self.other_ids = other_ids
        self.moved: list[dict[str, Any]] = []
        self.deleted: list[dict[str, Any]] = []
        self.updated: list[dict[str, Any]] = []
        self.counts: dict[str, int] = defaultdict(int)

    def delete_rows(self, model: type[models.Model], queryset: models.QuerySet[Any]) -> None:
        rows = [row_values(obj) for obj in queryset.order_by("pk")]
        if rows:
            self.deleted.append({"model": model._meta.label, "rows": rows})
            model._base_manager.filter(pk__in=[r[model._meta.pk.attname] for r in rows]).delete()

    def move(self, field: models.ForeignKey[Any, Any]) -> None:
        model = field.model
        attname = field.attname
        manager = model._base_manager
        rows = manager.filter(**{f"{attname}__in": self.other_ids})
        rules = _unique_sets(model, field)
        if not rules:
            pairs = list(rows.values_list("pk", attname))
            if not pairs:
                return
            for old, pks in _group(pairs).items():
                self.moved.append(
                    {"model": model._meta.label, "field": attname, "old": old, "pks": pks}
                )
            rows.update(**{attname: self.survivor_id})
            self.counts[model._meta.label] += len(pairs)
            return
        self._move_unique(field, rules)

    def _move_unique(
        self, field: models.ForeignKey[Any, Any], rules: list[tuple[Any, ...]]
    ) -> None:
        """Rows under a uniqueness rule: the first of each key moves, later ones (the same tag,
        the same e-mail, the same employment twice) are removed and kept for undo."""
        model = field.model
        attname = field.attname
        manager = model._base_manager
        order = {pk: i for i, pk in enumerate([self.survivor_id, *self.other_ids])}
        ids = list(order)
        columns = sorted({_field(model, n).attname for r in rules for n in r[0]})
        rows = sorted(
            manager.filter(**{f"{attname}__in": ids}).values("pk", attname, *columns),
            key=lambda r: (order[r[attname]], r["pk"]),
        )
        if not any(r[attname] != self.survivor_id for r in rows):
            return
        subject: list[set[Any] | None] = []
        for _names, condition in rules:
            if condition is None:
                subject.append(None)
            else:
                subject.append(
                    set(
                        manager.filter(condition, **{f"{attname}__in": ids}).values_list(
                            "pk", flat=True
                        )
                    )
                )
        if any(names == () for names, _c in rules):
            holders = {r[attname] for r in rows}
            if self.survivor_id in holders and len(holders) > 1:
                raise ValidationError(
                    {
                        "__all__": [
                            _("Both records have their own %(name)s; they cannot be merged.")
                            % {"name": model._meta.verbose_name}
                        ]
                    }
                )
        seen: list[set[tuple[Any, ...]]] = [set() for _r in rules]
        moving: list[tuple[Any, Any]] = []
        dropping: list[Any] = []
        for row in rows:
            keys = [
                tuple(row[_field(model, n).attname] for n in names) for names, _condition in rules
            ]
            clash = any(
                (subject[i] is None or row["pk"] in subject[i]) and keys[i] in seen[i]  # type: ignore[operator]
                for i in range(len(rules))
            )
            if clash and row[attname] != self.survivor_id:
                dropping.append(row["pk"])
                continue
            for i in range(len(rules)):
                if subject[i] is None or row["pk"] in subject[i]:  # type: ignore[operator]
                    seen[i].add(keys[i])
            if row[attname] != self.survivor_id:
                moving.append((row["pk"], row[attname]))
        if dropping:
            for chunk in _chunks(dropping):
                self.delete_rows(model, manager.filter(pk__in=chunk))
        if moving:
            for old, pks in _group(moving).items():
                self.moved.append(
                    {"model": model._meta.label, "field": attname, "old": old, "pks": pks}
                )
            for chunk in _chunks([pk for pk, _old in moving]):
                manager.filter(pk__in=chunk).update(**{attname: self.survivor_id})
            self.counts[model._meta.label] += len(moving)


def related_counts(object_type: str, ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Per record, how many related rows of each kind point at it (for the merge screen).

    Keys are the related models' verbose plural names; the record's own contact points, tags
    and addresses are left out (they are shown as fields)."""
    model = MODELS[object_type]
    result: dict[int, dict[str, int]] = {pk: {} for pk in ids}
    throughs = {
        f.remote_field.through if f.concrete else f.through  # type: ignore[union-attr]
        for f in model._meta.get_fields(include_hidden=True)
        if f.many_to_many
    }
    for field in relations(model):
        related = field.model
        if related in (ContactPoint, Address):
            continue
        label_model: Any = related
        if related._meta.auto_created or related in throughs:  # count what it links to
            other = next(
                (f for f in related._meta.concrete_fields if f.is_relation and f is not field),
                None,
            )
            if other is None or other.related_model is Tag:
                continue
            label_model = other.related_model
        counts = (
            related._base_manager.filter(**{f"{field.attname}__in": ids})
            .values(field.attname)
            .annotate(n=models.Count("pk"))
            .order_by()
        )
        label = str(label_model._meta.verbose_name_plural)
        for row in counts:
            bucket = result[row[field.attname]]
            # Two links to the same kind (employment, main company) count the larger one.
            bucket[label] = max(bucket.get(label, 0), row["n"])
    return result


def moved_summary(merge: Merge) -> list[tuple[str, int]]:
    """What a merge moved, as (kind, count): many-to-many links count what they lead to
    (a person's activities), the records' own phones, addresses and tags are left out."""
    model = MODELS.get(merge.object_type)
    throughs = set()
    if model is not None:
        throughs = {
            f.remote_field.through if f.concrete else f.through  # type: ignore[union-attr]
            for f in model._meta.get_fields(include_hidden=True)
            if f.many_to_many
        }
    result: dict[str, int] = {}
    per_link: dict[tuple[str, str, str], int] = {}
    for group in merge.snapshot.get("moved", []):
        try:
            related: Any = apps.get_model(group["model"])
        except LookupError:
            continue
        if related in (ContactPoint, Address):
            continue
        if related._meta.auto_created or related in throughs:
            other = next(
                (
                    f
                    for f in related._meta.concrete_fields
                    if f.is_relation and f.attname != group["field"]
                ),
                None,
            )
            if other is None or other.related_model is Tag:
                continue
            related = other.related_model
        key = (str(related._meta.verbose_name_plural), group["model"], group["field"])
        per_link[key] = per_link.get(key, 0) + len(group["pks"])
    # Two links to the same kind (employment, main company) count the larger one.
    for (label, _model, _field_name), count in per_link.items():
        result[label] = max(result.get(label, 0), count)
    return sorted(result.items())


# -- picking values --------------------------------------------------------------------------


def _is_empty(value: Any) -> bool:
    return value in (None, "", [], {})


def _default_source(key: str, records: list[models.Model]) -> int:
    """The survivor's value unless it is empty, then the first non-empty one of the others."""
    for record in records:
        if key.startswith("custom."):
            value = (getattr(record, "custom", None) or {}).get(key[7:])
        else:
            value = getattr(record, _field(record, key).attname)
        if not _is_empty(value) and value is not False:
            return record.pk
    return records[0].pk


def _resolve(
    object_type: str, records: list[models.Model], values: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """(model field values, custom JSON, addresses choice) of the survivor after the merge."""
    survivor = records[0]
    by_id = {r.pk: r for r in records}
    known = {f.key for f in merge_fields(object_type, records)}
    errors: dict[str, list[str]] = {}
    for key in values:
        if key not in known:
            errors[key] = [_("Unknown field.")]
    picked: dict[str, Any] = {}
    explicit: dict[str, Any] = {}
    custom: dict[str, Any] = dict(getattr(survivor, "custom", None) or {})
    custom_explicit: dict[str, Any] = {}
    addresses: Any = ALL_ADDRESSES
    for key in known:
        choice = values.get(key)
        if isinstance(choice, dict):
            if "value" not in choice:
                errors[key] = [_('Give a record id or {"value": …}.')]
                continue
            if key == ADDRESSES:
                errors[key] = [_("Pick the record whose addresses to keep, or “all”.")]
            elif key.startswith("custom."):
                custom_explicit[key[7:]] = choice["value"]
            else:
                explicit[key] = choice["value"]
            continue
        if key == ADDRESSES:
            if choice in (None, "", ALL_ADDRESSES):
                continue
            try:
                addresses = int(choice)
            except (TypeError, ValueError):
                addresses = None
            if addresses not in by_id:
                errors[key] = [_("Pick one of the records being merged.")]
            continue
        if choice in (None, ""):
            source = _default_source(key, records)
        else:
            try:
                source = int(choice)
            except (TypeError, ValueError):
                source = 0
            if source not in by_id:
                errors[key] = [_("Pick one of the records being merged.")]
                continue
        record = by_id[source]
        if key.startswith("custom."):
            value = (getattr(record, "custom", None) or {}).get(key[7:])
            if _is_empty(value):
                custom.pop(key[7:], None)
            else:
                custom[key[7:]] = value
        else:
            field = _field(record, key)
            picked[field.attname] = getattr(record, field.attname)
    if explicit:
        try:
            cleaned = _clean_tax_ids(explicit)
        except ValidationError as exc:
            errors.update(exc.message_dict)
            cleaned = explicit
        model = MODELS[object_type]
        for key, value in cleaned.items():
            field = _field(model, key)
            if field.is_relation and isinstance(value, models.Model):
                value = value.pk
            picked[field.attname] = value
    if custom_explicit:
        try:
            custom.update(customfields.clean_values(object_type, custom_explicit, partial=True))
        except ValidationError as exc:
            errors.update(exc.message_dict)
        custom = {k: v for k, v in custom.items() if not _is_empty(v)}
    if errors:
        raise ValidationError(errors)
    return picked, custom, addresses


# -- reads (scoped: what the user may not see is a 404) -------------------------------------


def visible(user: Any, object_type: str, action: str = Action.VIEW) -> QuerySet[Any]:
    if object_type == "company":
        return companies_visible_to(user, action).select_related(
            "owner", "team", "industry", "region", "company_type", "source", "size"
        )
    return contacts_visible_to(user, action).select_related("owner", "team", "primary_company")


def parse_ids(raw: str) -> list[int]:
    ids: list[int] = []
    for part in (raw or "").replace(" ", "").split(","):
        if not part:
            continue
        try:
            value = int(part)
        except ValueError as exc:
            raise Http404 from exc
        if value not in ids:
            ids.append(value)
    return ids


def load_records(user: Any, object_type: str, ids: list[int]) -> list[Any]:
    """The records in the given order; the same 404 if any is missing or not visible."""
    if object_type not in MODELS or not ids or len(ids) > MAX_RECORDS:
        raise Http404
    found = {obj.pk: obj for obj in visible(user, object_type).filter(pk__in=ids)}
    if len(found) != len(ids):
        raise Http404
    return [found[pk] for pk in ids]


def get_merge_for(user: Any, pk: int) -> Merge:
    """A merge its author, an administrator, or a reader of the survivor may see; else 404."""
    merge = get_object_or_404(Merge.objects.select_related("actor", "undone_by"), pk=pk)
    if merge.actor_id == user.pk or user.is_administrator:
        return merge
    if (
        merge.object_type in MODELS
        and visible(user, merge.object_type).filter(pk=merge.survivor_id).exists()
    ):
        return merge
    raise Http404


# -- merge -------------------------------------------------------------------------------------


def _label(obj: models.Model) -> str:
    return f"{obj} (#{obj.pk})"


def _lock(model: type[models.Model], ids: list[int]) -> dict[int, Any]:
    return {obj.pk: obj for obj in model._base_manager.select_for_update().filter(pk__in=ids)}


def _check_records(
    object_type: str, survivor: models.Model, others: Sequence[models.Model]
) -> list[int]:
    if object_type not in MODELS:
        raise ValidationError({"type": [_("Only companies and contacts can be merged.")]})
    model = MODELS[object_type]
    other_ids = [o.pk for o in others]
    if not isinstance(survivor, model) or any(not isinstance(o, model) for o in others):
        raise ValidationError({"ids": [_("All records of a merge must be of the same type.")]})
    if not other_ids:
        raise ValidationError({"ids": [_("Choose at least two records to merge.")]})
    if survivor.pk in other_ids or len(set(other_ids)) != len(other_ids):
        raise ValidationError({"ids": [_("A record appears twice in the merge.")]})
    if len(other_ids) + 1 > MAX_RECORDS:
        raise ValidationError(
            {
                "ids": [
                    _("At most %(count)s records can be merged at once.") % {"count": MAX_RECORDS}
                ]
            }
        )
    return other_ids


def _fix_primary_points(survivor: models.Model, mover: _Mover) -> None:
    """One primary phone / e-mail per kind: the survivor's own stays primary."""
    owner_field = "company_id" if isinstance(survivor, Company) else "contact_id"
    points = ContactPoint.objects.filter(**{owner_field: survivor.pk}, is_primary=True).order_by(
        "id"
    )
    moved = {pk for m in mover.moved if m["model"] == ContactPoint._meta.label for pk in m["pks"]}
    first: dict[str, int] = {}
    demote: list[int] = []
    for pk, kind in points.values_list("pk", "kind"):
        if kind not in first:
            first[kind] = pk
        elif pk in moved:
            demote.append(pk)
    for kind, pk in list(first.items()):
        if pk in moved:  # keep a survivor's own primary if it has one
            own = points.filter(kind=kind).exclude(pk__in=moved).first()
            if own is not None:
                demote.append(pk)
    if demote:
        mover.updated.append(
            {"model": ContactPoint._meta.label, "field": "is_primary", "old": True, "pks": demote}
        )
        ContactPoint.objects.filter(pk__in=demote).update(is_primary=False)


def _fix_primary_employment(survivor: models.Model, mover: _Mover) -> None:
    """A person has one main employer: the survivor's own stays main."""
    if not isinstance(survivor, Contact):
        return
    moved = {pk for m in mover.moved if m["model"] == Employment._meta.label for pk in m["pks"]}
    primary = list(
        Employment.objects.filter(contact_id=survivor.pk, is_primary=True)
        .order_by("id")
        .values_list("pk", flat=True)
    )
    if len(primary) < 2:
        return
    keep = next((pk for pk in primary if pk not in moved), primary[0])
    demote = [pk for pk in primary if pk != keep]
    mover.updated.append(
        {"model": Employment._meta.label, "field": "is_primary", "old": True, "pks": demote}
    )
    Employment.objects.filter(pk__in=demote).update(is_primary=False)


def _mark_clusters(object_type: str, ids: list[int], actor: User) -> list[dict[str, Any]]:
    """Clusters of the scan that list any merged record are resolved: they no longer exist."""
    query = Q()
    for pk in ids:
        query |= Q(members__icontains=f'"id": {pk}')
    wanted = set(ids)
    changed: list[dict[str, Any]] = []
    clusters = DuplicateCluster.objects.filter(query, object_type=object_type).exclude(
        status=DuplicateCluster.Status.MERGED
    )
    for cluster in clusters:
        members = {m.get("id") for m in cluster.members if isinstance(m, dict)}
        if members & wanted:
            changed.append({"id": cluster.pk, "status": cluster.status})
    if changed:
        DuplicateCluster.objects.filter(pk__in=[c["id"] for c in changed]).update(
            status=DuplicateCluster.Status.MERGED, resolved_by=actor, resolved_at=timezone.now()
        )
    return changed


def _lists(obj: Any) -> dict[str, list[str]]:
    """Phones, e-mails and tags of a record, for the history entry of the merge."""
    result: dict[str, list[str]] = {"phones": [], "emails": [], "tags": []}
    for kind, value in obj.contact_points.order_by("id").values_list("kind", "normalized"):
        if kind in (ContactPoint.Kind.PHONE, ContactPoint.Kind.EMAIL):
            result[f"{kind}s"].append(value)
    result["tags"] = sorted(obj.tags.values_list("name", flat=True))
    return result


def _refresh_search(obj: models.Model) -> None:
    if isinstance(obj, Company):
        refresh_company_search(obj)
    elif isinstance(obj, Contact):
        refresh_contact_search(obj)


@transaction.atomic
def merge_records(
    *,
    actor: User,
    object_type: str,
    survivor: Company | Contact,
    others: Sequence[Company | Contact],
    values: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> Merge:
    """Merge ``others`` into ``survivor``.

    ``values`` maps a field ("name", "inn", "owner", "addresses", "custom.<key>"…) to the id
    of the record whose value survives, or to ``{"value": …}`` for a value typed by the user;
    a field left out keeps the survivor's value, or the first non-empty one of the others.
    "addresses" takes a record id (only its addresses stay) or "all" (the default: united).
    Needs "change" on the survivor and "delete" on each other record; a stale
    ``expected_version`` of the survivor raises ConflictError. Nothing is written on error.
    """
    other_ids = _check_records(object_type, survivor, others)
    model = MODELS[object_type]
    require(actor, Action.CHANGE, survivor)
    for other in others:
        require(actor, Action.DELETE, other)
    locked = _lock(model, [survivor.pk, *other_ids])
    if len(locked) != len(other_ids) + 1:
        raise ValidationError({"ids": [_("One of the records no longer exists.")]})
    current = locked[survivor.pk]
    if expected_version is not None and expected_version != current.version:
        raise ConflictError(current.version)
    # Permission again on the locked rows: the owner may have changed since the caller read them.
    require(actor, Action.CHANGE, current)
    records = [current, *(locked[pk] for pk in other_ids)]
    for other in records[1:]:
        require(actor, Action.DELETE, other)
    picked, custom, addresses = _resolve(object_type, records, values or {})
    if "owner_id" in picked and picked["owner_id"] != current.owner_id:
        require(actor, Action.REASSIGN, current)

    before = row_values(current)
    lists_before = _lists(current)
    snapshot: dict[str, Any] = {
        "format": SNAPSHOT_VERSION,
        "survivor": before,
        "records": [row_values(r) for r in records[1:]],
        "labels": {str(r.pk): str(r) for r in records},
    }
    for name, value in picked.items():
        setattr(current, name, value)
    current.custom = custom
    try:
        current.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc

    mover = _Mover(current.pk, other_ids)
    if object_type == "company" and addresses != ALL_ADDRESSES:
        ids = [r.pk for r in records if r.pk != addresses]
        mover.delete_rows(Address, Address.objects.filter(company_id__in=ids))
    for field in relations(model):
        mover.move(field)
    _fix_primary_points(current, mover)
    _fix_primary_employment(current, mover)
    snapshot.update(moved=mover.moved, deleted=mover.deleted, updated=mover.updated)

    merged_entries = [
        audit.build(
            actor=actor,
            action=AuditEntry.Kind.DELETE,
            obj=other,
            changes={k: [v, None] for k, v in audit.snapshot(other).items() if not _is_empty(v)},
            related=current,
            message=_("Merged into %(record)s.") % {"record": _label(current)},
        )
        for other in records[1:]
    ]
    model._base_manager.filter(pk__in=other_ids).delete()

    try:
        current.validate_unique()
        current.validate_constraints()
        current.version = F("version") + 1
        current.updated_at = timezone.now()
        current.save()
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc
    except IntegrityError as exc:
        raise ValidationError(
            {
                "__all__": [
                    _("The picked values clash with another record: %(error)s") % {"error": exc}
                ]
            }
        ) from exc
    current.refresh_from_db()
    _refresh_search(current)
    snapshot["survivor_after"] = row_values(current)
    snapshot["clusters"] = _mark_clusters(object_type, [current.pk, *other_ids], actor)

    merge = Merge.objects.create(
        object_type=object_type,
        survivor_id=current.pk,
        merged_ids=other_ids,
        snapshot=snapshot,
        actor=actor,
    )
    changes: dict[str, Any] = {
        **audit.diff(audit.snapshot(_instance(model, before)), audit.snapshot(current)),
        **audit.diff(lists_before, _lists(current)),
    }
    for derived in ("name_key", "full_name"):
        changes.pop(derived, None)
    changes["merged"] = [None, other_ids]
    if mover.counts:
        changes["moved"] = [None, dict(mover.counts)]
    audit.record_many(
        [
            audit.build(
                actor=actor,
                action=AuditEntry.Kind.MERGE,
                obj=current,
                changes=changes,
                message=_("Merged %(records)s into this record (merge #%(merge)s).")
                % {"records": ", ".join(_label(r) for r in records[1:]), "merge": merge.pk},
            ),
            *merged_entries,
        ]
    )
    return merge


# -- undo ------------------------------------------------------------------------------------


def undo_refusal(merge: Merge) -> str | None:
    """Why this merge can't be undone now, or None."""
    if merge.undone_at is not None:
        return _("This merge has already been undone.")
    model = MODELS.get(merge.object_type)
    if model is None:
        return _("Only companies and contacts can be merged.")
    if not model._base_manager.filter(pk=merge.survivor_id).exists():
        candidates = Merge.objects.filter(
            object_type=merge.object_type,
            undone_at__isnull=True,
            merged_ids__icontains=str(merge.survivor_id),
        ).only("survivor_id", "merged_ids")
        for later in candidates:
            if merge.survivor_id in later.merged_ids:
                return _(
                    "The record this merge kept was since merged into #%(id)s; "
                    "undo that merge first."
                ) % {"id": later.survivor_id}
        return _("The record this merge kept has since been deleted.")
    if model._base_manager.filter(pk__in=merge.merged_ids).exists():
        return _("A record with the id of a merged record exists again.")
    return None


def may_undo(user: Any, merge: Merge) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and (merge.actor_id == user.pk or user.is_administrator)
    )


@transaction.atomic
def merge_undo(*, actor: User, merge: Merge) -> Company | Contact:
    """Put back what ``merge`` changed: the merged records with their ids and values, the
    survivor's old values, every moved relation; rows removed as duplicates come back too.
    Only the person who merged or an administrator may undo. Returns the survivor."""
    if not may_undo(actor, merge):
        raise PermissionDenied(_("Only the person who merged or an administrator may undo it."))
    merge = Merge.objects.select_for_update().get(pk=merge.pk)
    refusal = undo_refusal(merge)
    if refusal:
        raise ValidationError({"__all__": [refusal]})
    model = MODELS[merge.object_type]
    snap = merge.snapshot
    survivor = model._base_manager.select_for_update().get(pk=merge.survivor_id)
    before_undo = audit.snapshot(survivor)
    old = snap["survivor"]
    after = snap.get("survivor_after", {})
    now = row_values(survivor)
    skip = {"id", "created_at", "version", "updated_at"}
    for field in model._meta.concrete_fields:
        name = field.attname
        if name not in old or name in skip:
            continue
        # A value someone changed after the merge is theirs to keep; the rest goes back.
        if name in after and now.get(name) != after[name]:
            continue
        setattr(survivor, name, field.to_python(old[name]))
    survivor.version = F("version") + 1
    survivor.updated_at = timezone.now()
    try:
        survivor.save()
        restored: list[Any] = [_instance(model, values) for values in snap["records"]]
        model._base_manager.bulk_create(restored)
        for group in snap.get("deleted", []):
            related = apps.get_model(group["model"])
            related._base_manager.bulk_create(
                [_instance(related, r) for r in group["rows"]], batch_size=500
            )
        for group in snap.get("moved", []):
            related = apps.get_model(group["model"])
            for chunk in _chunks(group["pks"]):
                related._base_manager.filter(
                    pk__in=chunk, **{group["field"]: merge.survivor_id}
                ).update(**{group["field"]: group["old"]})
        for group in snap.get("updated", []):
            related = apps.get_model(group["model"])
            for chunk in _chunks(group["pks"]):
                related._base_manager.filter(pk__in=chunk).update(**{group["field"]: group["old"]})
    except IntegrityError as exc:
        raise ValidationError(
            {"__all__": [_("The merge can't be undone: %(error)s") % {"error": exc}]}
        ) from exc
    for cluster in snap.get("clusters", []):
        DuplicateCluster.objects.filter(pk=cluster["id"]).update(
            status=cluster["status"], resolved_by=None, resolved_at=None
        )
    survivor.refresh_from_db()
    _refresh_search(survivor)
    merge.undone_at = timezone.now()
    merge.undone_by = actor
    merge.save(update_fields=["undone_at", "undone_by"])
    message = _("Merge #%(merge)s undone.") % {"merge": merge.pk}
    audit.record_many(
        [
            audit.build(
                actor=actor,
                action=AuditEntry.Kind.CHANGE,
                obj=survivor,
                changes={
                    **audit.diff(before_undo, audit.snapshot(survivor)),
                    "merged": [merge.merged_ids, None],
                },
                message=message,
            ),
            *(
                audit.build(
                    actor=actor,
                    action=AuditEntry.Kind.CREATE,
                    obj=record,
                    changes={
                        k: [None, v] for k, v in audit.snapshot(record).items() if not _is_empty(v)
                    },
                    related=survivor,
                    message=message,
                )
                for record in restored
            ),
        ]
    )
    return survivor
