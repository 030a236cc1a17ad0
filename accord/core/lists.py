"""A small declarative list framework: columns, filters, sort, column choice, keyset pages (D2).

Each list (companies, contacts, activities) is a ``ListDefinition``: a *scoped* base queryset
(the app's selector), columns, filters and sort options. ``ListState`` turns a request's query
string into a filtered, ordered queryset and one page of rows. Pages are fetched with keyset
(cursor) pagination, so page 2,000 costs the same as page 1 (never ``OFFSET``).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime
import json
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, Q, QuerySet
from django.http import HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accord.core import customfields
from accord.core.models import SavedView, Team
from accord.core.permissions import ordered_scan

PAGE_SIZE = 50
COUNT_CAP = 10_000
# Parameters that describe the position in the list, not the list itself.
POSITION_PARAMS = ("after", "before")


@dataclass(frozen=True)
class Column:
    """One column: how to show a row's value, and which field sorts it (if any)."""

    key: str
    label: Any
    value: Callable[[Any], Any]
    sort: str = ""  # a key of ListDefinition.sorts
    is_default: bool = True
    link: Callable[[Any], str] | None = None
    # Exports: the typed value (Decimal, date, datetime, int, bool) when the shown value is
    # formatted text, and for an amount its currency code, written in a column of its own.
    export: Callable[[Any], Any] | None = None
    currency: Callable[[Any], str] | None = None
    # Fast exports (no model instances): the ``values_list()`` paths the exported value is
    # made of, and how to make it (``export_from(*values)``; without it, the one path's value
    # as it is). A path "@name" reads ``ListDefinition.export_related["name"]`` for the row.
    # A list is exported this way when every column declares its paths and none has a
    # currency; otherwise through model instances (``export``/``value`` above).
    export_paths: tuple[str, ...] = ()
    export_from: Callable[..., Any] | None = None


@dataclass(frozen=True)
class Filter:
    """One filter input, built as a form field, applied to the queryset when filled in."""

    key: str
    field: Callable[[Any], forms.Field]  # user -> form field (choices may depend on the user)
    apply: Callable[[QuerySet[Any], Any, Any], QuerySet[Any]]  # (qs, value, user) -> qs


@dataclass
class ListDefinition:
    key: str
    title: Any
    object_type: str  # permission object type and custom-field model ("company")
    queryset: Callable[[Any, str], QuerySet[Any]]  # (user, action) -> scoped queryset
    columns: list[Column]
    sorts: dict[str, tuple[Any, str]]  # key -> (label, model field); id breaks ties
    default_sort: str
    filters: list[Filter]
    url_name: str
    export_url_name: str = ""
    create_url_name: str = ""
    create_label: Any = ""
    prepare: Callable[[QuerySet[Any]], QuerySet[Any]] = lambda qs: qs
    has_custom_fields: bool = False
    has_text_search: bool = True  # companies and contacts: accord.parties.search.text_match
    # Related values of fast exports (see Column.export_paths): name -> (the path of the key,
    # a loader taking one chunk's distinct keys and returning {key: value}, one query).
    # A row whose key the loader did not return reads None.
    export_related: dict[str, tuple[str, Callable[[list[Any]], dict[Any, Any]]]] = field(
        default_factory=dict
    )

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)


LISTS: dict[str, ListDefinition] = {}


def register(definition: ListDefinition) -> ListDefinition:
    LISTS[definition.key] = definition
    return definition


# --- ready-made filters -------------------------------------------------------------------


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def date_range_filters(prefix: str, model_field: str, label: Any) -> list[Filter]:
    """Two date inputs (from / to, inclusive) compared with day bounds so indexes are used."""

    def from_field(user: Any) -> forms.Field:
        return forms.DateField(
            label=_("%(label)s from") % {"label": label},
            required=False,
            widget=forms.DateInput(attrs={"type": "date"}),
        )

    def to_field(user: Any) -> forms.Field:
        return forms.DateField(
            label=_("%(label)s to") % {"label": label},
            required=False,
            widget=forms.DateInput(attrs={"type": "date"}),
        )

    return [
        Filter(
            f"{prefix}_from",
            from_field,
            lambda qs, v, u: qs.filter(**{f"{model_field}__gte": _day_start(v)}),
        ),
        Filter(
            f"{prefix}_to",
            to_field,
            lambda qs, v, u: qs.filter(
                **{f"{model_field}__lt": _day_start(v + datetime.timedelta(days=1))}
            ),
        ),
    ]


def owner_filter() -> Filter:
    def make(user: Any) -> forms.Field:
        return forms.ModelChoiceField(
            label=_("Owner"),
            required=False,
            queryset=get_user_model().objects.filter(is_active=True),
        )

    return Filter("owner", make, lambda qs, v, u: qs.filter(owner=v))


def team_filter() -> Filter:
    def make(user: Any) -> forms.Field:
        return forms.ModelChoiceField(label=_("Team"), required=False, queryset=Team.objects.all())

    return Filter("team", make, lambda qs, v, u: qs.filter(team=v))


def choice_filter(key: str, label: Any, choices: Sequence[tuple[str, Any]], path: str) -> Filter:
    def make(user: Any) -> forms.Field:
        return forms.ChoiceField(label=label, required=False, choices=[("", "—"), *choices])

    return Filter(key, make, lambda qs, v, u: qs.filter(**{path: v}) if v else qs)


def model_filter(key: str, label: Any, queryset: Callable[[], QuerySet[Any]], path: str) -> Filter:
    def make(user: Any) -> forms.Field:
        return forms.ModelChoiceField(label=label, required=False, queryset=queryset())

    return Filter(key, make, lambda qs, v, u: qs.filter(**{path: v}))


# --- cursors ------------------------------------------------------------------------------


def encode_cursor(value: Any, pk: int) -> str:
    if isinstance(value, datetime.datetime | datetime.date):
        value = value.isoformat()
    raw = json.dumps([value, pk], ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, model: type[Model], field_name: str) -> tuple[Any, int] | None:
    """The (sort value, id) of a cursor, or None when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        value, pk = json.loads(raw)
        model_field = model._meta.get_field(field_name)
        return model_field.to_python(value), int(pk)  # type: ignore[union-attr]
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError, Exception):
        return None


# --- the state of one request -------------------------------------------------------------


@dataclass
class Cell:
    label: Any
    value: Any
    url: str = ""


@dataclass
class Row:
    obj: Any
    cells: list[Cell]


@dataclass
class HeaderCell:
    key: str
    label: Any
    url: str = ""
    direction: str = ""  # "asc" / "desc" when this column is the current sort


@dataclass
class ListState:
    """Everything a list page (or export) needs, parsed once from the query string."""

    definition: ListDefinition
    user: Any
    params: QueryDict
    action: str = "view"
    form: forms.Form = field(init=False)
    sort_key: str = field(init=False)
    is_descending: bool = field(init=False)
    column_keys: list[str] = field(init=False)

    def __post_init__(self) -> None:
        definition = self.definition
        self.form = self._build_form()
        raw_sort = self.params.get("sort", "") or definition.default_sort
        self.is_descending = raw_sort.startswith("-")
        key = raw_sort.lstrip("-")
        if key not in definition.sorts:
            default = definition.default_sort
            self.is_descending, key = default.startswith("-"), default.lstrip("-")
        self.sort_key = key
        self.column_keys = self._columns()

    # form and filters
    def _build_form(self) -> forms.Form:
        data = self.params.copy()
        if not data.get("sort"):
            data["sort"] = self.definition.default_sort  # so "Apply" keeps the current order
        form = forms.Form(data)
        if self.definition.has_text_search:
            form.fields["q"] = forms.CharField(label=_("Search"), required=False, max_length=200)
        for flt in self.definition.filters:
            form.fields[flt.key] = flt.field(self.user)
        if self.definition.has_custom_fields:
            for definition in customfields.definitions(self.definition.object_type):
                form.fields[f"cf_{definition.name}"] = self._custom_filter_field(definition)
        sort_choices = []
        for key, (label, _field) in self.definition.sorts.items():
            sort_choices.append((key, _("%(label)s ↑") % {"label": label}))
            sort_choices.append((f"-{key}", _("%(label)s ↓") % {"label": label}))
        form.fields["sort"] = forms.ChoiceField(
            label=_("Sort by"), required=False, choices=sort_choices
        )
        return form

    @staticmethod
    def _custom_filter_field(definition: Any) -> forms.Field:
        kind = definition.field_type
        if kind == customfields.FieldType.BOOLEAN:
            return forms.ChoiceField(
                label=definition.label,
                required=False,
                choices=[("", "—"), ("true", _("Yes")), ("false", _("No"))],
            )
        if kind == customfields.FieldType.MULTI_CHOICE:
            return forms.ChoiceField(
                label=definition.label,
                required=False,
                choices=[("", "—"), *[(c, c) for c in definition.choices]],
            )
        result = customfields.form_field(definition)
        result.required = False
        return result

    def _columns(self) -> list[str]:
        known = [c.key for c in self.definition.columns]
        raw = ",".join(self.params.getlist("cols"))
        chosen = [key for key in raw.split(",") if key in known]
        if not chosen:
            chosen = [c.key for c in self.definition.columns if c.is_default]
        return list(dict.fromkeys(chosen))

    def filtered(self) -> QuerySet[Any]:
        """The scoped queryset with the filters applied (unordered, unpaged)."""
        from accord.parties.search import text_match

        queryset = self.definition.queryset(self.user, self.action)
        if not self.form.is_valid():
            return queryset.none()
        data = self.form.cleaned_data
        if data.get("q"):
            queryset = text_match(queryset, data["q"])
        for flt in self.definition.filters:
            value = data.get(flt.key)
            if value not in (None, "", []):
                queryset = flt.apply(queryset, value, self.user)
        if self.definition.has_custom_fields:
            custom: dict[str, str] = {
                k: str(v) for k, v in self.params.items() if k.startswith("cf_") and v
            }
            if custom:
                queryset = customfields.filter_queryset(
                    queryset, self.definition.object_type, custom
                )
        return queryset

    @property
    def sort_field(self) -> str:
        return self.definition.sorts[self.sort_key][1]

    def ordered(self, *, reverse: bool = False) -> QuerySet[Any]:
        descending = self.is_descending != reverse
        prefix = "-" if descending else ""
        return self.filtered().order_by(f"{prefix}{self.sort_field}", f"{prefix}id")

    def columns(self) -> list[Column]:
        return [c for c in (self.definition.column(k) for k in self.column_keys) if c]

    # pagination
    def page(self) -> Page:
        # Rows come in index order and stop at a page: see permissions.ordered_scan.
        with ordered_scan():
            return self._page()

    def _page(self) -> Page:
        model = self.definition.queryset(self.user, self.action).model
        after = self.params.get("after", "")
        before = self.params.get("before", "")
        cursor = None
        going_back = False
        if before:
            cursor = decode_cursor(before, model, self.sort_field)
            going_back = cursor is not None
        elif after:
            cursor = decode_cursor(after, model, self.sort_field)
        queryset = self.ordered(reverse=going_back)
        if cursor is not None:
            value, pk = cursor
            descending = self.is_descending != going_back
            op = "lt" if descending else "gt"
            # The redundant ">=" term lets both databases seek the (field, id) index
            # instead of scanning from the start: deep pages cost as much as the first.
            queryset = queryset.filter(
                Q(**{f"{self.sort_field}__{op}e": value}),
                Q(**{f"{self.sort_field}__{op}": value})
                | Q(**{self.sort_field: value, f"id__{op}": pk}),
            )
        objects = list(self.definition.prepare(queryset)[: PAGE_SIZE + 1])
        has_more = len(objects) > PAGE_SIZE
        objects = objects[:PAGE_SIZE]
        if going_back:
            objects.reverse()
            has_previous, has_next = has_more, True
        else:
            has_previous, has_next = cursor is not None, has_more
        return Page(state=self, objects=objects, has_next=has_next, has_previous=has_previous)

    def capped_count(self) -> tuple[int, bool]:
        """Number of matching rows, counted up to COUNT_CAP (True when capped)."""
        # With a text filter the matches are few and must drive the count; without one the
        # owner/team indexes are the fastest way to count what the user may see.
        scan = ordered_scan() if self.params.get("q") else contextlib.nullcontext()
        with scan:
            count = self.filtered().order_by().values("pk")[: COUNT_CAP + 1].count()
        return min(count, COUNT_CAP), count > COUNT_CAP

    # links
    def base_params(self, **changes: str | None) -> str:
        params = {k: v for k, v in self.params.lists() if k not in POSITION_PARAMS}
        for key, value in changes.items():
            if value is None:
                params.pop(key, None)
            else:
                params[key] = [value]
        return urlencode(params, doseq=True)

    def list_url(self, **changes: str | None) -> str:
        query = self.base_params(**changes)
        return reverse(self.definition.url_name) + (f"?{query}" if query else "")

    def headers(self) -> list[HeaderCell]:
        cells = []
        for column in self.columns():
            cell = HeaderCell(key=column.key, label=column.label)
            if column.sort:
                current = column.sort == self.sort_key
                descending = current and not self.is_descending
                cell.url = self.list_url(sort=("-" if descending else "") + column.sort)
                if current:
                    cell.direction = "desc" if self.is_descending else "asc"
            cells.append(cell)
        return cells

    def rows(self, objects: Sequence[Any]) -> list[Row]:
        columns = self.columns()
        return [
            Row(
                obj=obj,
                cells=[
                    Cell(label=c.label, value=c.value(obj), url=c.link(obj) if c.link else "")
                    for c in columns
                ],
            )
            for obj in objects
        ]


@dataclass
class Page:
    state: ListState
    objects: list[Any]
    has_next: bool
    has_previous: bool

    def _cursor(self, obj: Any) -> str:
        return encode_cursor(getattr(obj, self.state.sort_field), obj.pk)

    @property
    def next_url(self) -> str:
        if not (self.has_next and self.objects):
            return ""
        return (
            self.state.list_url()
            + self._sep()
            + urlencode({"after": self._cursor(self.objects[-1])})
        )

    @property
    def previous_url(self) -> str:
        if not (self.has_previous and self.objects):
            return ""
        return (
            self.state.list_url()
            + self._sep()
            + urlencode({"before": self._cursor(self.objects[0])})
        )

    def _sep(self) -> str:
        return "&" if "?" in self.state.list_url() else "?"


def saved_views_for(user: Any, list_key: str) -> QuerySet[SavedView]:
    """A user's own saved views of one list (nobody sees another user's views)."""
    return SavedView.objects.filter(user=user, list_key=list_key)


def list_context(definition: ListDefinition, user: Any, params: QueryDict) -> dict[str, Any]:
    """Template context for core/list.html."""
    from accord.core.permissions import user_scope

    state = ListState(definition=definition, user=user, params=params)
    page = state.page()
    count, is_capped = state.capped_count()
    query = state.base_params()
    # The filter selects (owners, teams, tags, picklists) cost queries and most of the
    # rendering time; they are rendered when a filter is in use, else fetched when opened.
    filters_open = (
        bool(state.form.errors)
        or any(params.get(name) for name in state.form.fields if name not in ("q", "sort"))
        or params.get("filters") == "1"
    )
    return {
        "definition": definition,
        "state": state,
        "page": page,
        "headers": state.headers(),
        "rows": state.rows(page.objects),
        "count": count,
        "count_is_capped": is_capped,
        "count_cap": COUNT_CAP,
        "form": state.form,
        "filters_open": filters_open,
        "filter_fields": filter_fields_of(state) if filters_open else [],
        "filters_url": reverse(definition.url_name) + "?" + urlencode({"part": "filters"}),
        "all_columns": definition.columns,
        "column_keys": state.column_keys,
        "query": query,
        "saved_views": list(saved_views_for(user, definition.key)),
        "export_url": (
            reverse(definition.export_url_name) + (f"?{query}" if query else "")
            if definition.export_url_name and user_scope(user, definition.object_type, "export")
            else ""
        ),
        "create_url": reverse(definition.create_url_name) if definition.create_url_name else "",
        "can_export_lossless": bool(getattr(user, "is_administrator", False)),
        "export_inline_max": settings.ACCORD_EXPORT_INLINE_MAX,
    }


# --- export (D2) --------------------------------------------------------------------------

EXPORT_CHUNK = 5000  # rows fetched (and related rows prefetched) per database round trip


def export_header(definition: ListDefinition) -> list[str]:
    """Every column (chosen or not), an amount's currency beside it, then custom fields."""
    header: list[str] = []
    for column in definition.columns:
        header.append(str(column.label))
        if column.currency is not None:
            header.append(str(_("%(label)s: currency") % {"label": column.label}))
    header += [str(d.label) for d in _export_custom_fields(definition)]
    return header


def _export_custom_fields(definition: ListDefinition) -> list[Any]:
    if not definition.has_custom_fields:
        return []
    return list(customfields.definitions(definition.object_type))


def _custom_value(field_definition: Any, custom: dict[str, Any]) -> Any:
    value = custom.get(field_definition.name)
    if value in (None, ""):
        return None
    if field_definition.field_type == customfields.FieldType.DATE and isinstance(value, str):
        with contextlib.suppress(ValueError):
            return datetime.date.fromisoformat(value)
    return value


def export_state(definition: ListDefinition, user: Any, params: QueryDict) -> ListState:
    """The list as the user filtered, sorted (or saved) it, scoped with the "export" action."""
    return ListState(definition=definition, user=user, params=params, action="export")


def export_count(definition: ListDefinition, user: Any, params: QueryDict, cap: int) -> int:
    """Rows the export would write, counted up to ``cap + 1`` (enough to pick inline/job)."""
    state = export_state(definition, user, params)
    return state.filtered().order_by().values("pk")[: cap + 1].count()


def export_values(
    definition: ListDefinition, user: Any, params: QueryDict, *, chunk_size: int = EXPORT_CHUNK
) -> Iterator[list[Any]]:
    """The header, then one row of typed values per record the user may export, in the
    list's order. Typed: a column's ``export`` value (amounts as Decimal, dates as dates)
    when it has one, else the text shown on screen."""
    state = export_state(definition, user, params)
    custom = _export_custom_fields(definition)
    yield export_header(definition)
    if _is_fast(definition):
        yield from _fast_export_values(state, custom, chunk_size)
        return
    for obj in export_objects(state, chunk_size=chunk_size):
        values: list[Any] = []
        for column in definition.columns:
            values.append(column.export(obj) if column.export else column.value(obj))
            if column.currency is not None:
                values.append(column.currency(obj))
        if custom:
            data = getattr(obj, "custom", None) or {}
            values += [_custom_value(d, data) for d in custom]
        yield values


def export_user_names(ids: list[int]) -> dict[int, str]:
    """A loader for ``ListDefinition.export_related``: users' names as ``str(user)``."""
    return {user.pk: str(user) for user in get_user_model().objects.filter(pk__in=ids)}


def _is_fast(definition: ListDefinition) -> bool:
    return all(c.export_paths and c.currency is None for c in definition.columns)


def _fast_export_values(
    state: ListState, custom: list[Any], chunk_size: int
) -> Iterator[list[Any]]:
    """``export_values`` without model instances: each chunk is one ``values_list()`` of the
    columns' paths, plus one query per related loader; each column's value is computed by a
    getter prepared once."""
    definition = state.definition
    # Rows start with the keyset fields (id, sort field), then each path once.
    paths: list[str] = ["id", state.sort_field]
    for column in definition.columns:
        for path in column.export_paths:
            if path.startswith("@"):
                path = definition.export_related[path[1:]][0]
            if path not in paths:
                paths.append(path)
    if custom and "custom" not in paths:
        paths.append("custom")
    index = {path: position for position, path in enumerate(paths)}
    related: dict[str, dict[Any, Any]] = {name: {} for name in definition.export_related}
    getters = [_fast_getter(column, index, definition, related) for column in definition.columns]
    custom_at = index.get("custom", -1)
    for chunk in _export_chunks(state, chunk_size, paths):
        for name, (key_path, loader) in definition.export_related.items():
            position = index[key_path]
            keys = list(dict.fromkeys(row[position] for row in chunk if row[position] is not None))
            related[name] = loader(keys) if keys else {}
        for row in chunk:
            values = [getter(row) for getter in getters]
            if custom:
                data = row[custom_at] or {}
                values += [_custom_value(d, data) for d in custom]
            yield values


def _fast_getter(
    column: Column,
    index: dict[str, int],
    definition: ListDefinition,
    related: dict[str, dict[Any, Any]],
) -> Callable[[Sequence[Any]], Any]:
    """A function of one ``values_list()`` row giving the column's exported value."""
    from operator import itemgetter

    parts: list[Callable[[Sequence[Any]], Any]] = []
    for path in column.export_paths:
        if path.startswith("@"):
            name = path[1:]
            position = index[definition.export_related[name][0]]
            parts.append(_related_getter(related, name, position))
        else:
            parts.append(itemgetter(index[path]))
    compute = column.export_from
    if compute is None:
        if len(parts) != 1:
            raise ValueError(f"column {column.key}: several export paths need export_from")
        return parts[0]
    if len(parts) == 1:
        only = parts[0]
        return lambda row: compute(only(row))
    return lambda row: compute(*[part(row) for part in parts])


def _related_getter(
    related: dict[str, dict[Any, Any]], name: str, position: int
) -> Callable[[Sequence[Any]], Any]:
    def get(row: Sequence[Any]) -> Any:
        return related[name].get(row[position])

    return get


def _export_chunks(
    state: ListState, chunk_size: int, paths: Sequence[str]
) -> Iterator[list[Sequence[Any]]]:
    """The rows of the list as ``values_list(*paths)`` tuples (``paths[0]`` the id,
    ``paths[1]`` the sort field), in keyset chunks: see ``export_objects``."""
    yield from _keyset_chunks(
        state,
        chunk_size,
        fetch=lambda queryset: list(queryset.values_list(*paths)[:chunk_size]),
        key=lambda row: (row[1], row[0]),
    )


def export_objects(state: ListState, *, chunk_size: int = EXPORT_CHUNK) -> Iterator[Any]:
    """Every record of the list in its order, fetched in keyset chunks of ``chunk_size``.

    Each chunk is its own short query, never one cursor held open for the whole export: on
    SQLite (WAL) a connection that keeps an old read snapshot cannot write (job progress), and
    it would stop the log from being checkpointed. Rows without a value in the sort field come
    after the others, ordered by id.
    """
    definition = state.definition
    sort_field = state.sort_field
    for chunk in _keyset_chunks(
        state,
        chunk_size,
        fetch=lambda queryset: list(definition.prepare(queryset)[:chunk_size]),
        key=lambda obj: (getattr(obj, sort_field), obj.pk),
    ):
        yield from chunk


def _keyset_chunks(
    state: ListState,
    chunk_size: int,
    *,
    fetch: Callable[[QuerySet[Any]], list[Any]],
    key: Callable[[Any], tuple[Any, int]],
) -> Iterator[list[Any]]:
    """Chunks of ``fetch(queryset)`` walking the list's order by (sort value, id); ``key``
    gives a fetched row's (sort value, id)."""
    sort_field = state.sort_field
    descending = state.is_descending
    op = "lt" if descending else "gt"
    # Walk the sort index instead of sorting every row (see ordered_scan).
    with ordered_scan():
        base = state.filtered()
    model = base.model
    is_nullable = bool(getattr(model._meta.get_field(sort_field), "null", False))
    prefix = "-" if descending else ""
    valued = base.exclude(**{f"{sort_field}__isnull": True}) if is_nullable else base
    valued = valued.order_by(f"{prefix}{sort_field}", f"{prefix}id")
    cursor: tuple[Any, int] | None = None
    while True:
        queryset = valued
        if cursor is not None:
            value, pk = cursor
            queryset = queryset.filter(
                Q(**{f"{sort_field}__{op}e": value}),
                Q(**{f"{sort_field}__{op}": value}) | Q(**{sort_field: value, f"id__{op}": pk}),
            )
        chunk = fetch(queryset)
        if chunk:
            yield chunk
        if len(chunk) < chunk_size:
            break
        cursor = key(chunk[-1])
    if not is_nullable:
        return
    empty = base.filter(**{f"{sort_field}__isnull": True}).order_by("id")
    last_id = 0
    while True:
        chunk = fetch(empty.filter(id__gt=last_id))
        if chunk:
            yield chunk
        if len(chunk) < chunk_size:
            break
        last_id = key(chunk[-1])[1]


def export_rows(definition: ListDefinition, user: Any, params: QueryDict) -> Iterator[list[Any]]:
    """Header and rows as safe CSV text: all columns plus custom fields, export-scoped."""
    from accord.core.export import csv_rows

    return csv_rows(export_values(definition, user, params))


def filter_fields_of(state: ListState) -> list[Any]:
    return [state.form[name] for name in state.form.fields if name not in ("q", "sort")]


def render_list(request: Any, definition: ListDefinition) -> HttpResponse:
    """The list page (thin view body shared by every list)."""
    if request.GET.get("part") == "filters":
        state = ListState(definition=definition, user=request.user, params=QueryDict())
        return render(
            request, "core/_list_filter_fields.html", {"filter_fields": filter_fields_of(state)}
        )
    return render(request, "core/list.html", list_context(definition, request.user, request.GET))


def export_allowed(user: Any, definition: ListDefinition, *, lossless: bool = False) -> None:
    """Raise PermissionDenied unless the user may export this list (in lossless mode: and
    is an administrator). Nothing is written before this check."""
    from accord.core.permissions import Scope, user_scope

    if user_scope(user, definition.object_type, "export") == Scope.NONE:
        raise PermissionDenied(_("You do not have permission to export these records."))
    if lossless and not getattr(user, "is_administrator", False):
        raise PermissionDenied(_("Only administrators may export exact (lossless) values."))


def export_filename(base: str, file_format: str, *, lossless: bool = False) -> str:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return f"{base}-{stamp}{'-lossless' if lossless else ''}.{file_format}"


def export_options(request: Any) -> tuple[str, bool]:
    """The file format and lossless flag of an export request (form fields or query string)."""
    from accord.core.export import FORMATS

    source = request.POST if request.method == "POST" else request.GET
    file_format = (source.get("format") or "csv").lower()
    if file_format not in FORMATS:
        raise ValidationError({"format": [_("Choose CSV or XLSX.")]})
    lossless = source.get("lossless", "") in ("1", "true", "on", "yes")
    return file_format, lossless


def export_list(request: Any, definition: ListDefinition, filename: str) -> HttpResponseBase:
    """Export the filtered list as CSV or XLSX: streamed at once when it is small, else (and
    always in lossless mode, so that each one leaves a record) as a background job whose page
    the user is sent to. 403 for users without the "export" action."""
    from django.contrib import messages
    from django.http import HttpResponseBadRequest
    from django.shortcuts import redirect

    try:
        file_format, lossless = export_options(request)
    except ValidationError as error:
        return HttpResponseBadRequest(" ".join(error.messages))
    export_allowed(request.user, definition, lossless=lossless)
    params = request.GET
    if lossless or export_needs_job(definition, request.user, params):
        from accord.dataio.export import export_start

        job = export_start(
            actor=request.user,
            list_key=definition.key,
            params=params,
            file_format=file_format,
            lossless=lossless,
        )
        messages.info(
            request, _("The export runs in the background; download the file from this page.")
        )
        return redirect(job_url(job))
    return export_file_response(definition, request.user, params, file_format, filename)


def export_needs_job(definition: ListDefinition, user: Any, params: QueryDict) -> bool:
    """True when the export is larger than ``ACCORD_EXPORT_INLINE_MAX`` rows."""
    limit = settings.ACCORD_EXPORT_INLINE_MAX
    return export_count(definition, user, params, limit) > limit


def export_file_response(
    definition: ListDefinition, user: Any, params: QueryDict, file_format: str, filename: str
) -> HttpResponseBase:
    """The (small) export as a download, streamed: CSV row by row, XLSX from a spooled file."""
    from django.http import FileResponse

    from accord.core import export

    name = export_filename(filename, file_format)
    values = export_values(definition, user, params)
    if file_format == "csv":
        return export.csv_response(export.csv_rows(values), name)
    buffer = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    export.write_xlsx(values, buffer, title=str(definition.title))
    buffer.seek(0)
    return FileResponse(
        buffer, as_attachment=True, filename=name, content_type=export.XLSX_CONTENT_TYPE
    )


def job_url(job: Any) -> str:
    """The page of a background job (the jobs pages), or the home page without them."""
    from django.urls import NoReverseMatch

    try:
        return reverse("dataio:job_detail", args=[job.pk])
    except NoReverseMatch:  # the jobs pages are not installed
        return "/"
