"""Custom fields (I8): definitions in a table, values in the model's ``custom`` JSON column.

Forms, filters and the API schema are generated from the definitions here, so adding a field
in the admin UI needs no code and no migration.
"""

from __future__ import annotations

import datetime
import decimal
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accord.core.models import CustomFieldDefinition

FieldType = CustomFieldDefinition.FieldType

# Record types that carry a ``custom`` column. Other apps add themselves here.
EXTENSIBLE_MODELS: dict[str, str] = {"company": "parties.Company", "contact": "parties.Contact"}


def definitions(model: str) -> list[CustomFieldDefinition]:
    return list(CustomFieldDefinition.objects.filter(model=model, is_active=True))


def form_field(definition: CustomFieldDefinition) -> forms.Field:
    common: dict[str, Any] = {
        "label": definition.label,
        "required": definition.is_required,
        "help_text": definition.help_text,
    }
    kind = definition.field_type
    if kind == FieldType.NUMBER:
        return forms.DecimalField(max_digits=18, decimal_places=4, **common)
    if kind == FieldType.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == FieldType.CHOICE:
        return forms.ChoiceField(
            choices=[("", "—"), *[(c, c) for c in definition.choices]], **common
        )
    if kind == FieldType.MULTI_CHOICE:
        return forms.MultipleChoiceField(
            choices=[(c, c) for c in definition.choices],
            widget=forms.CheckboxSelectMultiple,
            **common,
        )
    if kind == FieldType.BOOLEAN:
        common["required"] = False
        return forms.BooleanField(**common)
    if kind == FieldType.USER:
        return forms.ModelChoiceField(
            queryset=get_user_model().objects.filter(is_active=True), **common
        )
    return forms.CharField(max_length=500, **common)


def add_form_fields(
    form: forms.BaseForm, model: str, instance_values: dict[str, Any] | None
) -> list[str]:
    """Add ``cf_<name>`` fields to a form; returns their names in order."""
    names = []
    for definition in definitions(model):
        name = f"cf_{definition.name}"
        form.fields[name] = form_field(definition)
        if instance_values and definition.name in instance_values and not form.is_bound:
            form.initial[name] = instance_values[definition.name]
        names.append(name)
    return names


def to_json(definition: CustomFieldDefinition, value: Any) -> Any:
    if value in (None, "", []):
        return None
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


def values_from_form(form: forms.BaseForm, model: str) -> dict[str, Any]:
    values = {}
    for definition in definitions(model):
        value = form.cleaned_data.get(f"cf_{definition.name}")
        values[definition.name] = to_json(definition, value)
    return {k: v for k, v in values.items() if v is not None}


def clean_values(
    model: str, data: dict[str, Any] | None, *, partial: bool = False
) -> dict[str, Any]:
    """Validate raw values (API, import) against the definitions; errors name ``custom.<key>``."""
    data = dict(data or {})
    defs = {d.name: d for d in definitions(model)}
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for key in data:
        if key not in defs:
            errors.setdefault(f"custom.{key}", []).append(_("Unknown custom field."))
    for key, definition in defs.items():
        if key not in data:
            if definition.is_required and not partial:
                errors.setdefault(f"custom.{key}", []).append(_("This field is required."))
            continue
        raw = data[key]
        field = form_field(definition)
        if definition.field_type == FieldType.USER and raw not in (None, ""):
            raw = str(raw)
        try:
            value = field.clean(raw if raw is not None else "")
        except ValidationError as exc:
            errors.setdefault(f"custom.{key}", []).extend(exc.messages)
            continue
        converted = to_json(definition, value)
        if converted is not None:
            cleaned[key] = converted
    if errors:
        raise ValidationError(errors)
    return cleaned


def filter_queryset(queryset: QuerySet[Any], model: str, params: dict[str, str]) -> QuerySet[Any]:
    """Apply ``cf_<name>=value`` filters. Text matches by substring, the rest exactly."""
    for definition in definitions(model):
        raw = params.get(f"cf_{definition.name}")
        if raw in (None, ""):
            continue
        path = f"custom__{definition.name}"
        kind = definition.field_type
        if kind == FieldType.TEXT:
            queryset = queryset.filter(**{f"{path}__icontains": raw})
        elif kind == FieldType.NUMBER:
            try:
                queryset = queryset.filter(**{path: float(decimal.Decimal(raw.replace(",", ".")))})
            except decimal.InvalidOperation:
                queryset = queryset.none()
        elif kind == FieldType.BOOLEAN:
            queryset = queryset.filter(**{path: raw.lower() in {"1", "true", "yes", "on"}})
        elif kind == FieldType.MULTI_CHOICE:
            # The JSON text of the list holds each option in quotes on SQLite and PostgreSQL.
            queryset = queryset.filter(**{f"{path}__icontains": f'"{raw}"'})
        elif kind == FieldType.USER:
            queryset = queryset.filter(**{path: int(raw)}) if raw.isdigit() else queryset.none()
        else:
            queryset = queryset.filter(**{path: raw})
    return queryset


def json_schema(model: str) -> dict[str, Any]:
    """OpenAPI (JSON Schema) object for a model's custom fields, from the definitions."""
    properties: dict[str, Any] = {}
    required = []
    for definition in definitions(model):
        kind = definition.field_type
        schema: dict[str, Any]
        if kind == FieldType.NUMBER:
            schema = {"type": "number"}
        elif kind == FieldType.DATE:
            schema = {"type": "string", "format": "date"}
        elif kind == FieldType.CHOICE:
            schema = {"type": "string", "enum": list(definition.choices)}
        elif kind == FieldType.MULTI_CHOICE:
            schema = {
                "type": "array",
                "items": {"type": "string", "enum": list(definition.choices)},
            }
        elif kind == FieldType.BOOLEAN:
            schema = {"type": "boolean"}
        elif kind == FieldType.USER:
            schema = {"type": "integer", "description": "user id"}
        else:
            schema = {"type": "string", "maxLength": 500}
        schema["title"] = definition.label
        if definition.help_text:
            schema["description"] = definition.help_text
        properties[definition.name] = schema
        if definition.is_required:
            required.append(definition.name)
    result: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        result["required"] = required
    return result
