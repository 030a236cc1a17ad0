"""Forms of the import wizard (D5): upload, format overrides, column mapping, options.

The forms only parse what the user chose; the import services validate it again, check
permissions and store it on the batch (so the wizard survives a reload).
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accord.dataio.models import ImportBatch

#: encodings offered as overrides (what Excel and 1C produce in Russia and Western Europe)
ENCODINGS = [
    ("utf-8", gettext_lazy("UTF-8")),
    ("utf-8-sig", gettext_lazy("UTF-8 with BOM")),
    ("cp1251", gettext_lazy("Windows-1251 (Cyrillic)")),
    ("cp1252", gettext_lazy("Windows-1252 (Western European)")),
    ("koi8-r", gettext_lazy("KOI8-R")),
    ("utf-16", gettext_lazy("UTF-16 (Excel “Unicode text”)")),
]
DELIMITERS = [
    (",", gettext_lazy("Comma ,")),
    (";", gettext_lazy("Semicolon ;")),
    ("\t", gettext_lazy("Tab")),
    ("|", gettext_lazy("Vertical bar |")),
]
ALLOWED_EXTENSIONS = (".csv", ".txt", ".tsv", ".xlsx")


def apply_service_errors(
    form: forms.BaseForm, exc: ValidationError, aliases: dict[str, str] | None = None
) -> None:
    """Put a service's field-named errors next to the matching fields (``aliases`` maps a
    service's key to a form field), the rest on top of the form."""
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    aliases = aliases or {}
    for name, errors in exc.message_dict.items():
        target: str | None = aliases.get(name, name)
        if target not in form.fields or target == NON_FIELD_ERRORS:
            target = None
        for message in errors:
            form.add_error(target, message)


def _choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


class UploadForm(forms.Form):
    """Step 1: what to import and the file."""

    object_type = forms.ChoiceField(label=gettext_lazy("What the file holds"))
    file = forms.FileField(label=gettext_lazy("File (CSV or XLSX)"))

    def __init__(self, *args: Any, types: list[tuple[str, Any]], max_bytes: int, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes
        _choice_field(self, "object_type").choices = types
        if len(types) == 1:
            self.fields["object_type"].initial = types[0][0]
        self.fields["file"].widget.attrs["accept"] = ".csv,.txt,.tsv,.xlsx"
        self.fields["file"].help_text = _(
            "A CSV file (any common encoding and delimiter) or an Excel workbook (.xlsx), "
            "at most %(size)s; the first row holds the column names."
        ) % {"size": filesizeformat(max_bytes)}

    def clean_file(self) -> Any:
        uploaded = self.cleaned_data["file"]
        name = (uploaded.name or "").lower()
        if not name.endswith(ALLOWED_EXTENSIONS):
            raise ValidationError(
                _("Choose a .csv or .xlsx file; “%(name)s” is neither."), params={"name": name}
            )
        if uploaded.size > self.max_bytes:
            raise ValidationError(
                _("The file is %(size)s; the limit is %(limit)s."),
                params={
                    "size": filesizeformat(uploaded.size),
                    "limit": filesizeformat(self.max_bytes),
                },
            )
        return uploaded


class FormatForm(forms.Form):
    """Step 2: override what was detected; the file is read again with these settings."""

    encoding = forms.ChoiceField(label=gettext_lazy("Encoding"), required=False)
    delimiter = forms.ChoiceField(label=gettext_lazy("Delimiter"), required=False)
    sheet = forms.ChoiceField(label=gettext_lazy("Sheet"), required=False)

    def __init__(self, *args: Any, batch: ImportBatch, sheets: list[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.is_excel = batch.file_name.lower().endswith(".xlsx")
        encodings: list[tuple[str, Any]] = list(ENCODINGS)
        if batch.encoding and batch.encoding not in dict(encodings):
            encodings.insert(0, (batch.encoding, batch.encoding))
        delimiters: list[tuple[str, Any]] = list(DELIMITERS)
        if batch.delimiter and batch.delimiter not in dict(delimiters):
            delimiters.insert(0, (batch.delimiter, batch.delimiter))
        _choice_field(self, "encoding").choices = encodings
        _choice_field(self, "delimiter").choices = delimiters
        _choice_field(self, "sheet").choices = [(name, name) for name in sheets]
        self.initial.update(
            {"encoding": batch.encoding, "delimiter": batch.delimiter, "sheet": batch.sheet}
        )
        if self.is_excel:
            del self.fields["encoding"]
            del self.fields["delimiter"]
        else:
            del self.fields["sheet"]


class MappingForm(forms.Form):
    """Step 3: one select per file column (the suggestion pre-selected), and a name to save the
    mapping under for the next file of this kind."""

    save_as = forms.CharField(
        label=gettext_lazy("Save this mapping as…"),
        required=False,
        max_length=100,
        help_text=gettext_lazy("Optional: a name to reuse this mapping for the next file."),
    )

    def __init__(
        self,
        *args: Any,
        headers: list[str],
        targets: list[Any],
        initial_columns: dict[str, str],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.headers = headers
        choices = [("", _("— do not import —"))]
        for target in targets:
            label = f"{target.label} *" if target.required else str(target.label)
            choices.append((target.key, label))
        self.column_fields: list[str] = []
        help_by_key = {t.key: t.help for t in targets if t.help}
        for index, header in enumerate(headers):
            name = f"col_{index}"
            chosen = initial_columns.get(header, "")
            self.fields[name] = forms.ChoiceField(
                label=header or _("(column %(number)s without a name)") % {"number": index + 1},
                choices=choices,
                required=False,
                initial=chosen,
                help_text=help_by_key.get(chosen, ""),
            )
            self.column_fields.append(name)
        self.order_fields([*self.column_fields, "save_as"])

    def field_for_header(self, header: str) -> str | None:
        try:
            return f"col_{self.headers.index(header)}"
        except ValueError:
            return None

    def columns(self) -> dict[str, str]:
        return {
            header: self.cleaned_data.get(f"col_{index}", "") or ""
            for index, header in enumerate(self.headers)
        }

    def column_bound_fields(self) -> list[Any]:
        return [self[name] for name in self.column_fields]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        seen: dict[str, str] = {}
        for name in self.column_fields:
            key = data.get(name) or ""
            if not key:
                continue
            if key in seen:
                self.add_error(
                    name,
                    _("This field is already taken by column “%(column)s”.")
                    % {"column": self.fields[seen[key]].label},
                )
            else:
                seen[key] = name
        return data

    def apply_service_errors(self, exc: ValidationError, targets: list[Any]) -> None:
        """Errors naming a header or a mapped field key go to that column's select."""
        if not hasattr(exc, "error_dict"):
            for message in exc.messages:
                self.add_error(None, message)
            return
        chosen = {v: k for k, v in self.columns().items() if v} if self.is_bound else {}
        for key, messages in exc.message_dict.items():
            target = self.field_for_header(key)
            if target is None and key in chosen:
                target = self.field_for_header(chosen[key])
            if target is None and key in self.fields:
                target = key
            for message in messages:
                self.add_error(target or self._column_named_in(message), message)

    def _column_named_in(self, message: str) -> str | None:
        """The column whose header a message quotes (“Город”), if exactly one does."""
        named = [h for h in self.headers if h and f"“{h}”" in message]
        return self.field_for_header(named[-1]) if named else None


class OptionsForm(forms.Form):
    """Step 4: what to do with records that already exist, and what to do with bad rows."""

    ALL_OR_NOTHING = "all"
    VALID_ROWS = "valid"

    mode = forms.ChoiceField(
        label=gettext_lazy("Rows that match an existing record"), widget=forms.RadioSelect
    )
    rejects = forms.ChoiceField(
        label=gettext_lazy("Rows with errors"),
        widget=forms.RadioSelect,
        choices=[
            (
                ALL_OR_NOTHING,
                gettext_lazy("All or nothing: import nothing if any row has an error"),
            ),
            (
                VALID_ROWS,
                gettext_lazy(
                    "Import the valid rows and give me a file of the rejected rows, "
                    "with the reason in an extra column"
                ),
            ),
        ],
    )

    def __init__(self, *args: Any, mode_options: list[dict[str, Any]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.mode_options = mode_options
        _choice_field(self, "mode").choices = [(o["value"], o["label"]) for o in mode_options]
        self.disabled_modes = {o["value"] for o in mode_options if o["reason"]}

    def clean_mode(self) -> str:
        mode: str = self.cleaned_data["mode"]
        if mode in self.disabled_modes:
            reason = next(o["reason"] for o in self.mode_options if o["value"] == mode)
            raise ValidationError(reason)
        return mode

    @property
    def all_or_nothing(self) -> bool:
        return self.cleaned_data.get("rejects") != self.VALID_ROWS
