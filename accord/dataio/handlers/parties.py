"""Import handlers for companies and contacts.

Values are cleaned as the forms clean them (``accord.parties.normalize``: E.164 phones,
lower-cased e-mails, validated INN/KPP/OGRN/SIREN/SIRET/VAT) and matched against what the
importing user may see, one bulk query per key per chunk: tax ids, then e-mail, then phone; rows
no identifier matched (contacts: rows without e-mail and phone) then go to the duplicate
engine's name similarity (:func:`accord.dedup.scan.match_profiles`: transliteration, legal
forms, fuzzy score). Companies are written through ``company_create``/``company_update``;
contacts, which come by the hundred thousand, through :func:`contacts_import_bulk`, which does
what ``contact_create`` does for a whole chunk at once (permission, search fields, contact
points, employments, tags, audit) in a handful of INSERTs.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accord.core import audit
from accord.core.models import AuditEntry, Picklist
from accord.core.permissions import Action, Scope, allows, restrict, user_scope
from accord.dataio.handlers import register_handler
from accord.dataio.handlers.base import (
    Choices,
    Handler,
    RowResult,
    TargetField,
    Users,
    check_length,
    clean_custom,
    custom_targets,
    mark_repeats,
    parse_bool,
    parse_date,
    split_values,
)
from accord.dataio.models import ImportBatch, ImportRecord
from accord.dedup import matching
from accord.dedup.scan import match_profiles
from accord.parties import normalize
from accord.parties import services as parties
from accord.parties.models import Company, Contact, ContactPoint, Employment, Tag

TAX_KEYS = ("inn", "kpp", "ogrn", "siren", "siret", "vat_number")
PICKLISTS = {
    "industry": Picklist.INDUSTRY,
    "region": Picklist.REGION,
    "company_type": Picklist.COMPANY_TYPE,
    "source": Picklist.SOURCE,
    "size": Picklist.SIZE,
}


def batch_message(batch: ImportBatch) -> str:
    """What audit entries of an import say, so the history shows the batch."""
    return _("import #%(number)s: %(file)s") % {"number": batch.pk, "file": batch.file_name}


def _error(row: RowResult, key: str, error: ValidationError) -> None:
    for message in error.messages:
        row.add_error(key, message)


def _text(row: RowResult, key: str, limit: int) -> str | None:
    """A plain text field: None when the column is not mapped or the cell is empty."""
    value = row.raw.get(key, "").strip()
    if not value:
        return None
    return check_length(row, key, value, limit)


# A plain ASCII address with a dotted domain: what ``normalize_email`` returns for it is the
# address lower-cased, so the (slower) validator is only asked about the others.
_PLAIN_EMAIL = re.compile(
    r"^[a-z0-9_%+-]+(?:\.[a-z0-9_%+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}$"
)
_SPECIAL_DOMAINS = (".arpa", ".invalid", ".local", ".localhost", ".onion", ".test")


def fast_email(raw: str) -> str:
    value = raw.strip().lower()
    if (
        len(value) <= 254
        and _PLAIN_EMAIL.match(value)
        and len(value.partition("@")[0]) <= 64
        and not value.endswith(_SPECIAL_DOMAINS)
    ):
        return value
    return normalize.normalize_email(raw)


def spreadsheet_phone(raw: str) -> str:
    """``normalize_phone``, also accepting an international number whose "+" a spreadsheet
    dropped when it stored the phone as a number (``33123456789``, ``79991234567``)."""
    try:
        return normalize.normalize_phone(raw)
    except ValidationError:
        digits = raw.strip()
        if digits.isdigit() and len(digits) >= 11:
            try:
                return normalize.normalize_phone("+" + digits)
            except ValidationError:
                pass
        raise


def _points(row: RowResult, key: str, kind: str) -> list[str]:
    cleaner = spreadsheet_phone if kind == "phone" else fast_email
    result = []
    for part in split_values(row.raw.get(key, "")) if kind == "email" else _phone_parts(row, key):
        try:
            result.append(cleaner(part))
        except ValidationError as error:
            _error(row, key, error)
    return result


def _phone_parts(row: RowResult, key: str) -> list[str]:
    # Phones contain commas rarely but spaces and brackets always: split on ; , and new lines.
    return split_values(row.raw.get(key, ""))


def _matches(queryset: Any, kind: str, values: set[str]) -> dict[str, int]:
    """{normalized value: record id} for records of ``queryset`` with that contact point; the
    lowest id wins when several share it."""
    if not values:
        return {}
    found: dict[str, int] = {}
    rows = queryset.filter(
        contact_points__kind=kind, contact_points__normalized__in=values
    ).values_list("contact_points__normalized", "pk")
    for value, pk in rows:
        if value not in found or pk < found[value]:
            found[value] = pk
    return found


def similar_name_reason(match: matching.Match) -> str:
    """What the preview says of a name-similarity match: "similar name (92)"."""
    code = next(
        (r for r in match.reasons if r in (matching.REASON_NAME, matching.REASON_NAME_TRANSLIT)),
        match.reasons[0] if match.reasons else matching.REASON_NAME,
    )
    return _("%(reason)s (%(score)s)") % {
        "reason": matching.REASONS[code],
        "score": round(match.score),
    }


def _similar_names(
    object_type: str,
    rows: list[RowResult],
    profiles: list[matching.Profile],
    keys: list[str],
    queryset: Any,
) -> None:
    """Match ``rows`` (which no identifier matched) by name similarity: the engine's candidates
    share the row's name key (a few bulk queries for the whole chunk), are limited to
    ``queryset`` (what the user may see) and score at least the engine's threshold; the best
    one wins."""
    if not rows:
        return
    found = match_profiles(object_type, profiles, name_keys=keys, queryset=queryset)
    labels: dict[tuple[tuple[str, ...], float], str] = {}  # a few distinct labels per chunk
    for row, matches in zip(rows, found, strict=True):
        if matches:
            pk, match = matches[0]
            label = labels.get((match.reasons, match.score))
            if label is None:
                label = labels[(match.reasons, match.score)] = similar_name_reason(match)
            row.match_id, row.match_reason = pk, label


class _Common(Handler):
    model: type[Company] | type[Contact]

    def _prepare(self, user: Any) -> dict[str, Any]:
        from accord.core import customfields

        return {
            "users": Users(),
            "channel": Choices.from_text_choices(Contact.Channel),
            "custom": customfields.definitions(self.object_type),
        }

    def _owner(self, row: RowResult, users: Users) -> None:
        text = row.raw.get("owner", "").strip()
        if text:
            try:
                row.values["owner"] = users.resolve(text)
            except ValidationError as error:
                _error(row, "owner", error)

    def _tags(self, row: RowResult) -> None:
        if row.raw.get("tags", "").strip():
            row.values["tags"] = [t[:60] for t in split_values(row.raw["tags"])]


# --- companies ----------------------------------------------------------------------------


class CompanyHandler(_Common):
    object_type = "company"
    label = gettext_lazy("companies")
    model = Company

    def fields(self, user: Any) -> list[TargetField]:
        return [
            TargetField(
                "name",
                _("Name"),
                required=True,
                synonyms=(
                    "name",
                    "company",
                    "company name",
                    "organisation",
                    "organization",
                    "account",
                    "название",
                    "наименование",
                    "компания",
                    "организация",
                    "контрагент",
                    "клиент",
                    "nom",
                    "société",
                    "societe",
                    "entreprise",
                    "raison sociale",
                    "firma",
                    "firmenname",
                    "unternehmen",
                ),
            ),
            TargetField(
                "legal_name",
                _("Legal name"),
                synonyms=(
                    "legal name",
                    "full name",
                    "полное наименование",
                    "юридическое название",
                    "dénomination",
                    "denomination sociale",
                    "rechtlicher name",
                ),
            ),
            TargetField(
                "inn",
                _("INN"),
                synonyms=("inn", "инн", "tax id", "taxpayer number"),
                help=_("10 or 12 digits, checksum verified."),
            ),
            TargetField("kpp", _("KPP"), synonyms=("kpp", "кпп")),
            TargetField("ogrn", _("OGRN"), synonyms=("ogrn", "огрн", "огрнип")),
            TargetField("siren", _("SIREN"), synonyms=("siren", "numéro siren")),
            TargetField("siret", _("SIRET"), synonyms=("siret", "numéro siret")),
            TargetField(
                "vat_number",
                _("VAT number"),
                synonyms=(
                    "vat",
                    "vat number",
                    "vat id",
                    "tva",
                    "numéro de tva",
                    "tva intracommunautaire",
                    "ust-idnr",
                    "ust id",
                    "umsatzsteuer-id",
                    "ндс номер",
                ),
                help=_("With country prefix, e.g. FR40303265045."),
            ),
            *[
                TargetField(
                    key,
                    str(getattr(Company._meta.get_field(key), "verbose_name", key)).capitalize(),
                    synonyms=synonyms,
                )
                for key, synonyms in (
                    ("industry", ("industry", "отрасль", "сфера", "secteur", "branche")),
                    ("region", ("region", "регион", "région", "область")),
                    (
                        "company_type",
                        (
                            "type",
                            "company type",
                            "тип",
                            "тип компании",
                            "type de société",
                            "typ",
                            "unternehmenstyp",
                        ),
                    ),
                    ("source", ("source", "lead source", "источник", "origine", "quelle")),
                    ("size", ("size", "размер", "taille", "größe", "grösse")),
                )
            ],
            TargetField(
                "country",
                _("Country"),
                synonyms=("country", "страна", "pays", "land"),
                help=_("Two-letter ISO code, e.g. RU, FR, DE."),
            ),
            TargetField(
                "website",
                _("Website"),
                synonyms=(
                    "website",
                    "site",
                    "web",
                    "url",
                    "сайт",
                    "site web",
                    "site internet",
                    "webseite",
                ),
            ),
            TargetField(
                "phone",
                _("Phone"),
                synonyms=("phone", "telephone", "tel", "телефон", "тел", "téléphone", "telefon"),
            ),
            TargetField(
                "email",
                _("E-mail"),
                synonyms=(
                    "email",
                    "e-mail",
                    "mail",
                    "почта",
                    "электронная почта",
                    "courriel",
                    "e-mail-adresse",
                ),
            ),
            TargetField(
                "address",
                _("Address"),
                synonyms=(
                    "address",
                    "street",
                    "адрес",
                    "adresse",
                    "rue",
                    "straße",
                    "strasse",
                    "anschrift",
                ),
            ),
            TargetField("city", _("City"), synonyms=("city", "город", "ville", "stadt", "ort")),
            TargetField(
                "postcode",
                _("Postcode"),
                synonyms=(
                    "postcode",
                    "zip",
                    "postal code",
                    "индекс",
                    "почтовый индекс",
                    "code postal",
                    "cp",
                    "plz",
                    "postleitzahl",
                ),
            ),
            TargetField(
                "description",
                _("Description"),
                synonyms=(
                    "description",
                    "notes",
                    "comment",
                    "описание",
                    "комментарий",
                    "примечание",
                    "remarque",
                    "commentaire",
                    "beschreibung",
                    "notiz",
                    "bemerkung",
                ),
            ),
            TargetField(
                "owner",
                _("Owner"),
                synonyms=(
                    "owner",
                    "manager",
                    "responsible",
                    "ответственный",
                    "менеджер",
                    "владелец",
                    "responsable",
                    "commercial",
                    "propriétaire",
                    "verantwortlich",
                    "betreuer",
                    "inhaber",
                ),
                help=_("Username, e-mail or full name of a user."),
            ),
            TargetField(
                "tags",
                _("Tags"),
                synonyms=(
                    "tags",
                    "tag",
                    "labels",
                    "теги",
                    "метки",
                    "étiquettes",
                    "étiquette",
                    "schlagwörter",
                ),
            ),
            *custom_targets("company"),
        ]

    def clean(self, rows: list[RowResult], user: Any) -> None:
        context = self._prepare(user)
        picklists = {
            key: Choices.from_picklist(pl)
            for key, pl in PICKLISTS.items()
            if any(r.raw.get(key, "").strip() for r in rows)
        }
        for row in rows:
            values = row.values
            name = _text(row, "name", 255)
            if name is not None:
                values["name"] = name
            elif "name" in row.raw or not row.match_id:
                row.add_error("name", _("This field is required."))
            for key, limit in (("legal_name", 255), ("website", 200), ("description", 100_000)):
                text = _text(row, key, limit)
                if text is not None:
                    values[key] = text
            if values.get("website") and "://" not in values["website"]:
                values["website"] = "https://" + values["website"]
            taxes = {k: row.raw[k].strip() for k in TAX_KEYS if row.raw.get(k, "").strip()}
            if row.raw.get("country", "").strip():
                taxes["country"] = row.raw["country"].strip()
            try:
                values.update(parties._clean_tax_ids(taxes))
            except ValidationError as error:
                for key, messages in error.message_dict.items():
                    for message in messages:
                        row.add_error(key, message)
            if values.get("country") and len(values["country"]) != 2:
                row.add_error("country", _("Use a two-letter ISO code, e.g. RU, FR, DE."))
            for key, choices in picklists.items():
                if row.raw.get(key, "").strip():
                    try:
                        values[key + "_id"] = choices.resolve(row.raw[key])
                    except ValidationError as error:
                        _error(row, key, error)
            values["phones"] = _points(row, "phone", "phone")
            values["emails"] = _points(row, "email", "email")
            street = _text(row, "address", 255)
            if street:
                values["addresses"] = [
                    {
                        "kind": "office",
                        "street": street,
                        "city": (row.raw.get("city") or "").strip()[:120],
                        "postcode": (row.raw.get("postcode") or "").strip()[:20],
                        "country": values.get("country", ""),
                    }
                ]
            self._owner(row, context["users"])
            self._tags(row)
            custom = clean_custom("company", row, context["users"], context["custom"])
            if custom:
                values["custom"] = custom
        self._match(rows, user)

    def _match(self, rows: list[RowResult], user: Any) -> None:
        visible = restrict(Company.objects.all(), user, Action.VIEW)
        ok = [r for r in rows if r.ok]
        by_tax: dict[str, dict[str, int]] = {}
        for key in ("inn", "siren", "vat_number"):
            wanted = {r.values[key] for r in ok if r.values.get(key)}
            found: dict[str, int] = {}
            if wanted:
                for value, pk in visible.filter(**{f"{key}__in": wanted}).values_list(key, "pk"):
                    found.setdefault(value, pk)
            by_tax[key] = found
        phones = _matches(visible, "phone", {p for r in ok for p in r.values["phones"]})
        emails = _matches(visible, "email", {e for r in ok for e in r.values["emails"]})
        keys = {r.number: normalize.name_key(r.values.get("name", "")) for r in ok}
        reasons = {
            "inn": _("same INN"),
            "siren": _("same SIREN"),
            "vat_number": _("same VAT number"),
        }
        for row in ok:
            for key in ("inn", "siren", "vat_number"):
                pk = by_tax[key].get(row.values.get(key) or "")
                if pk:
                    row.match_id, row.match_reason = pk, reasons[key]
                    break
            else:
                for values, found, reason in (
                    (row.values["emails"], emails, _("same e-mail")),
                    (row.values["phones"], phones, _("same phone")),
                ):
                    pk = next((found[v] for v in values if v in found), None)
                    if pk:
                        row.match_id, row.match_reason = pk, reason
                        break
        # Rows no identifier matched: name similarity through the matching engine. The
        # profile carries the row's tax ids, so a company with another INN is not "the same".
        by_name = [r for r in ok if r.match_id is None and keys[r.number]]
        _similar_names(
            "company",
            by_name,
            [
                matching.company_profile(
                    id=0,
                    name=r.values["name"],
                    inn=r.values.get("inn") or "",
                    siren=r.values.get("siren") or "",
                    siret=r.values.get("siret") or "",
                    vat_number=r.values.get("vat_number") or "",
                )
                for r in by_name
            ],
            [keys[r.number] for r in by_name],
            visible,
        )

        def row_keys(row: RowResult) -> Iterable[Any]:
            yield from (
                (k, row.values.get(k)) for k in ("inn", "siren", "vat_number") if row.values.get(k)
            )
            yield from (("email", e) for e in row.values["emails"])
            yield from (("phone", p) for p in row.values["phones"])
            yield ("name", keys[row.number])

        mark_repeats(rows, row_keys)

    def _service_args(self, row: RowResult) -> dict[str, Any]:
        values = dict(row.values)
        args: dict[str, Any] = {
            "phones": values.pop("phones", []),
            "emails": values.pop("emails", []),
            "tags": values.pop("tags", []),
            "custom": values.pop("custom", None),
            "addresses": values.pop("addresses", []),
        }
        fields = {}
        for key, value in values.items():
            fields[key[:-3] if key.endswith("_id") else key] = value
        for key in PICKLISTS:
            if key in fields:
                from accord.core.models import PicklistOption

                fields[key] = PicklistOption(pk=fields[key])
        args["fields"] = fields
        return args

    def create(self, rows: list[RowResult], *, actor: Any, batch: ImportBatch) -> list[int]:
        ids: list[int] = []
        records = []
        for row in rows:
            args = self._service_args(row)
            try:
                with transaction.atomic():
                    company = parties.company_create(actor=actor, **args)
            except ValidationError as error:
                for key, messages in error.message_dict.items():
                    for message in messages:
                        row.add_error(key, message)
                continue
            except PermissionDenied as error:
                row.add_error("owner", str(error) or _("You do not have permission to do this."))
                continue
            ids.append(company.pk)
            row.match_id = company.pk
            records.append(
                ImportRecord(
                    batch=batch,
                    object_type="company",
                    object_id=company.pk,
                    action=ImportRecord.Action.CREATED,
                    row_number=row.number,
                )
            )
        ImportRecord.objects.bulk_create(records)
        return ids

    def update(self, rows: list[RowResult], *, actor: Any, batch: ImportBatch) -> None:
        companies = {c.pk: c for c in Company.objects.filter(pk__in=[r.match_id for r in rows])}
        records = []
        for row in rows:
            company = companies.get(row.match_id or 0)
            if company is None:
                row.add_error("name", _("The matched record no longer exists."))
                continue
            if not allows(actor, Action.CHANGE, company):
                row.add_error(
                    "name",
                    _("You may not change the matched record (%(name)s).") % {"name": company.name},
                )
                continue
            args = self._service_args(row)
            current = parties._points_snapshot(company)
            current_tags = sorted(company.tags.values_list("name", flat=True))
            before: dict[str, Any] = {"fields": {}, "version": 0}
            fields = dict(args["fields"])
            for key in list(fields):
                old = getattr(company, key + "_id" if key in PICKLISTS or key == "owner" else key)
                before["fields"][key] = old
            kwargs: dict[str, Any] = {"fields": fields}
            phones = list(dict.fromkeys([*current["phones"], *args["phones"]]))
            emails = list(dict.fromkeys([*current["emails"], *args["emails"]]))
            if phones != current["phones"] or emails != current["emails"]:
                kwargs["phones"], kwargs["emails"] = phones, emails
                before["phones"], before["emails"] = current["phones"], current["emails"]
            tags = sorted(set(current_tags) | set(args["tags"]))
            if tags != current_tags:
                kwargs["tags"] = tags
                before["tags"] = current_tags
            if args["custom"]:
                kwargs["custom"] = {**company.custom, **args["custom"]}
                before["custom"] = company.custom
            if args["addresses"]:
                kwargs["addresses"] = args["addresses"]
                before["addresses"] = list(company.addresses.values(*parties.ADDRESS_KEYS))
            try:
                with transaction.atomic():
                    company = parties.company_update(actor=actor, company=company, **kwargs)
            except ValidationError as error:
                for key, messages in error.message_dict.items():
                    for message in messages:
                        row.add_error(key, message)
                continue
            except PermissionDenied as error:
                row.add_error("owner", str(error))
                continue
            before["version"] = company.version
            records.append(
                ImportRecord(
                    batch=batch,
                    object_type="company",
                    object_id=company.pk,
                    action=ImportRecord.Action.UPDATED,
                    row_number=row.number,
                    before=audit._plain(before),
                )
            )
        ImportRecord.objects.bulk_create(records)

    def undo(self, records: list[ImportRecord], *, actor: Any) -> list[int]:
        return _undo(Company, records, actor=actor, restore=self._restore)

    def _restore(self, company: Any, before: dict[str, Any], actor: Any) -> None:
        fields = dict(before.get("fields", {}))
        for key in [*PICKLISTS, "owner", "team"]:
            if key in fields:
                fields[key + "_id"] = fields.pop(key)
        kwargs: dict[str, Any] = {}
        for key in ("phones", "emails", "tags", "custom", "addresses"):
            if key in before:
                kwargs[key] = before[key]
        _set_fields(company, fields)
        parties.company_update(actor=actor, company=company, fields=_plain_fields(fields), **kwargs)


# --- contacts -----------------------------------------------------------------------------


class ContactHandler(_Common):
    object_type = "contact"
    label = gettext_lazy("contacts")
    model = Contact

    def fields(self, user: Any) -> list[TargetField]:
        return [
            TargetField(
                "last_name",
                _("Last name"),
                synonyms=(
                    "last name",
                    "surname",
                    "family name",
                    "lastname",
                    "фамилия",
                    "nom",
                    "nom de famille",
                    "nachname",
                    "familienname",
                    "name",
                ),
            ),
            TargetField(
                "first_name",
                _("First name"),
                synonyms=(
                    "first name",
                    "given name",
                    "firstname",
                    "forename",
                    "имя",
                    "prénom",
                    "prenom",
                    "vorname",
                ),
            ),
            TargetField(
                "middle_name",
                _("Patronymic / middle name"),
                synonyms=(
                    "middle name",
                    "patronymic",
                    "отчество",
                    "deuxième prénom",
                    "second prénom",
                    "zweiter vorname",
                    "mittelname",
                ),
            ),
            TargetField(
                "full_name",
                _("Full name"),
                synonyms=(
                    "full name",
                    "contact",
                    "contact name",
                    "person",
                    "фио",
                    "ф и о",
                    "полное имя",
                    "контакт",
                    "контактное лицо",
                    "nom complet",
                    "nom et prénom",
                    "vollständiger name",
                    "kontakt",
                    "ansprechpartner",
                ),
                help=_("Split into last, first and middle name when those are not mapped."),
            ),
            TargetField(
                "position",
                _("Position"),
                synonyms=(
                    "position",
                    "title",
                    "job title",
                    "role",
                    "должность",
                    "позиция",
                    "poste",
                    "fonction",
                    "titre",
                    "position",
                    "funktion",
                    "stellung",
                    "berufsbezeichnung",
                ),
            ),
            TargetField(
                "company",
                _("Company"),
                synonyms=(
                    "company",
                    "organisation",
                    "organization",
                    "account",
                    "employer",
                    "компания",
                    "организация",
                    "место работы",
                    "контрагент",
                    "société",
                    "societe",
                    "entreprise",
                    "firma",
                    "unternehmen",
                    "arbeitgeber",
                ),
                help=_("Name or INN of an existing company."),
            ),
            TargetField(
                "email",
                _("E-mail"),
                synonyms=(
                    "email",
                    "e-mail",
                    "mail",
                    "email address",
                    "почта",
                    "электронная почта",
                    "емейл",
                    "эл почта",
                    "имейл",
                    "courriel",
                    "adresse e-mail",
                    "adresse mail",
                    "e-mail-adresse",
                ),
            ),
            TargetField(
                "phone",
                _("Phone"),
                synonyms=(
                    "phone",
                    "telephone",
                    "tel",
                    "work phone",
                    "телефон",
                    "тел",
                    "рабочий телефон",
                    "téléphone",
                    "tél",
                    "telefon",
                    "rufnummer",
                ),
            ),
            TargetField(
                "mobile",
                _("Mobile phone"),
                synonyms=(
                    "mobile",
                    "mobile phone",
                    "cell",
                    "cell phone",
                    "мобильный",
                    "мобильный телефон",
                    "сотовый",
                    "portable",
                    "téléphone portable",
                    "mobile",
                    "handy",
                    "mobiltelefon",
                    "mobilnummer",
                ),
            ),
            TargetField(
                "birthday",
                _("Birthday"),
                synonyms=(
                    "birthday",
                    "date of birth",
                    "birth date",
                    "dob",
                    "день рождения",
                    "дата рождения",
                    "date de naissance",
                    "anniversaire",
                    "geburtstag",
                    "geburtsdatum",
                ),
                help=_("dd.mm.yyyy, dd/mm/yyyy or yyyy-mm-dd."),
            ),
            TargetField(
                "preferred_channel",
                _("Preferred channel"),
                synonyms=(
                    "preferred channel",
                    "channel",
                    "предпочтительный канал",
                    "канал связи",
                    "canal préféré",
                    "bevorzugter kanal",
                ),
            ),
            TargetField(
                "do_not_call",
                _("Do not call"),
                synonyms=("do not call", "не звонить", "ne pas appeler", "nicht anrufen"),
            ),
            TargetField(
                "do_not_email",
                _("Do not e-mail"),
                synonyms=(
                    "do not email",
                    "do not e-mail",
                    "не писать",
                    "ne pas écrire",
                    "ne pas envoyer d'e-mail",
                    "keine e-mail",
                ),
            ),
            TargetField(
                "notes",
                _("Notes"),
                synonyms=(
                    "notes",
                    "note",
                    "comment",
                    "comments",
                    "заметки",
                    "комментарий",
                    "примечание",
                    "remarques",
                    "commentaire",
                    "notizen",
                    "bemerkung",
                    "kommentar",
                ),
            ),
            TargetField(
                "owner",
                _("Owner"),
                synonyms=(
                    "owner",
                    "manager",
                    "responsible",
                    "ответственный",
                    "менеджер",
                    "владелец",
                    "responsable",
                    "commercial",
                    "propriétaire",
                    "verantwortlich",
                    "betreuer",
                    "inhaber",
                ),
                help=_("Username, e-mail or full name of a user."),
            ),
            TargetField(
                "tags",
                _("Tags"),
                synonyms=("tags", "tag", "labels", "теги", "метки", "étiquettes", "schlagwörter"),
            ),
            *custom_targets("contact"),
        ]

    def mapping_errors(self, keys: set[str], user: Any) -> list[str]:
        errors = super().mapping_errors(keys, user)
        if not keys & {"last_name", "first_name", "full_name"}:
            errors.append(_("Map a column to the last name, the first name or the full name."))
        return errors

    def clean(self, rows: list[RowResult], user: Any) -> None:
        context = self._prepare(user)
        users, channel = context["users"], context["channel"]
        for row in rows:
            values = row.values
            for key, limit in (
                ("last_name", 120),
                ("first_name", 120),
                ("middle_name", 120),
                ("position", 200),
                ("notes", 100_000),
            ):
                text = _text(row, key, limit)
                if text is not None:
                    values[key] = text
            full = (row.raw.get("full_name") or "").strip()
            if full and not (values.get("last_name") or values.get("first_name")):
                values.update(split_full_name(full))
            if not (values.get("last_name") or values.get("first_name")):
                row.add_error(
                    "last_name" if "full_name" not in row.raw else "full_name",
                    _("Enter a last name or a first name."),
                )
            if row.raw.get("birthday", "").strip():
                try:
                    values["birthday"] = parse_date(row.raw["birthday"])
                except ValidationError as error:
                    _error(row, "birthday", error)
            if row.raw.get("preferred_channel", "").strip():
                try:
                    values["preferred_channel"] = channel.resolve(row.raw["preferred_channel"])
                except ValidationError as error:
                    _error(row, "preferred_channel", error)
            for key in ("do_not_call", "do_not_email"):
                if row.raw.get(key, "").strip():
                    try:
                        values[key] = parse_bool(row.raw[key])
                    except ValidationError as error:
                        _error(row, key, error)
            values["phones"] = list(
                dict.fromkeys([*_points(row, "phone", "phone"), *_points(row, "mobile", "phone")])
            )
            values["emails"] = list(dict.fromkeys(_points(row, "email", "email")))
            self._owner(row, users)
            self._tags(row)
            custom = clean_custom("contact", row, users, context["custom"])
            if custom:
                values["custom"] = custom
        self._companies(rows, user)
        self._match(rows, user)

    def _companies(self, rows: list[RowResult], user: Any) -> None:
        wanted = [r for r in rows if (r.raw.get("company") or "").strip()]
        if not wanted:
            return
        visible = restrict(Company.objects.all(), user, Action.VIEW)
        texts = {r.number: r.raw["company"].strip() for r in wanted}
        inns = {t for t in texts.values() if t.isdigit() and len(t) in (10, 12)}
        keys = {normalize.name_key(t) for t in texts.values()} - {""}
        by_inn: dict[str, Any] = {}
        by_key: dict[str, list[Any]] = defaultdict(list)
        fields = ("pk", "name", "inn", "name_key", "team_id")
        for company in visible.filter(Q(inn__in=inns) | Q(name_key__in=keys)).only(*fields)[:5000]:
            if company.inn in inns:
                by_inn.setdefault(company.inn, company)
            by_key[company.name_key].append(company)
        for row in wanted:
            text = texts[row.number]
            company = by_inn.get(text)
            if company is None:
                candidates = by_key.get(normalize.name_key(text), [])
                exact = [c for c in candidates if c.name.strip().lower() == text.lower()]
                candidates = exact or candidates
                if len(candidates) > 1:
                    row.add_error(
                        "company",
                        _("Several companies are called “%(name)s”; use the INN.") % {"name": text},
                    )
                    continue
                company = candidates[0] if candidates else None
            if company is None:
                row.add_error(
                    "company",
                    _(
                        "No company “%(name)s” (import the companies first, "
                        "or give the name or INN of an existing one)."
                    )
                    % {"name": text},
                )
                continue
            row.values["company"] = company

    def _match(self, rows: list[RowResult], user: Any) -> None:
        visible = restrict(Contact.objects.all(), user, Action.VIEW)
        ok = [r for r in rows if r.ok]
        emails = _matches(visible, "email", {e for r in ok for e in r.values["emails"]})
        phones = _matches(visible, "phone", {p for r in ok for p in r.values["phones"]})
        from accord.ops.generator import name_key

        keys = {}
        for r in ok:
            key = name_key(f"{r.values.get('last_name', '')} {r.values.get('first_name', '')}")
            r.values["_name_key"] = keys[r.number] = key
        same_email, same_phone = _("same e-mail"), _("same phone")
        for row in ok:
            for values, found, reason in (
                (row.values["emails"], emails, same_email),
                (row.values["phones"], phones, same_phone),
            ):
                pk = next((found[v] for v in values if v in found), None)
                if pk:
                    row.match_id, row.match_reason = pk, reason
                    break
        # Rows without any e-mail or phone: name similarity through the matching engine (rows
        # whose identifiers matched nothing are new people: sending them too made cleaning
        # ten times slower on a base of common names). A person's name alone is weak evidence
        # (two Ivan Ivanovs), so the engine needs a second sign: the same company or the same
        # patronymic. Rows with neither are not sent (the engine could not match them), and
        # candidates are narrowed to those that could.
        by_name = [
            r
            for r in ok
            if r.match_id is None
            and not r.values["emails"]
            and not r.values["phones"]
            and keys[r.number]
            and (r.values.get("company") is not None or r.values.get("middle_name"))
        ]
        if by_name:
            company_ids = {r.values["company"].pk for r in by_name if r.values.get("company")}
            condition = Q(primary_company_id__in=company_ids)
            if any(r.values.get("middle_name") for r in by_name):
                condition |= ~Q(middle_name="")
            _similar_names(
                "contact",
                by_name,
                [
                    matching.contact_profile(
                        id=0,
                        last_name=r.values.get("last_name", ""),
                        first_name=r.values.get("first_name", ""),
                        middle_name=r.values.get("middle_name", ""),
                        company_id=r.values["company"].pk if r.values.get("company") else None,
                    )
                    for r in by_name
                ],
                [keys[r.number] for r in by_name],
                visible.filter(condition),
            )

        def row_keys(row: RowResult) -> Iterable[Any]:
            yield from (("email", e) for e in row.values["emails"])
            yield from (("phone", p) for p in row.values["phones"])
            if not row.values["emails"] and not row.values["phones"]:
                company = row.values.get("company")
                yield ("name", keys[row.number], company.pk if company else None)

        mark_repeats(rows, row_keys)

    def create(self, rows: list[RowResult], *, actor: Any, batch: ImportBatch) -> list[int]:
        return contacts_import_bulk(actor=actor, rows=rows, batch=batch)

    def update(self, rows: list[RowResult], *, actor: Any, batch: ImportBatch) -> None:
        contacts = {c.pk: c for c in Contact.objects.filter(pk__in=[r.match_id for r in rows])}
        records = []
        for row in rows:
            contact = contacts.get(row.match_id or 0)
            if contact is None:
                row.add_error("last_name", _("The matched record no longer exists."))
                continue
            if not allows(actor, Action.CHANGE, contact):
                row.add_error(
                    "last_name",
                    _("You may not change the matched record (%(name)s).") % {"name": str(contact)},
                )
                continue
            values = dict(row.values)
            current = parties._points_snapshot(contact)
            current_tags = sorted(contact.tags.values_list("name", flat=True))
            current_companies = list(
                contact.employments.order_by("-is_primary", "id").values_list(
                    "company_id", flat=True
                )
            )
            before: dict[str, Any] = {"fields": {}}
            fields: dict[str, Any] = {}
            for key in parties.CONTACT_FIELDS:
                if key in values and key != "primary_company":
                    fields[key] = values[key]
                    before["fields"][key] = getattr(
                        contact, key + "_id" if key in ("owner", "team") else key
                    )
            kwargs: dict[str, Any] = {"fields": fields}
            phones = list(dict.fromkeys([*current["phones"], *values.get("phones", [])]))
            emails = list(dict.fromkeys([*current["emails"], *values.get("emails", [])]))
            if phones != current["phones"] or emails != current["emails"]:
                kwargs["phones"], kwargs["emails"] = phones, emails
                before["phones"], before["emails"] = current["phones"], current["emails"]
            tags = sorted(set(current_tags) | set(values.get("tags", [])))
            if tags != current_tags:
                kwargs["tags"] = tags
                before["tags"] = current_tags
            if values.get("custom"):
                kwargs["custom"] = {**contact.custom, **values["custom"]}
                before["custom"] = contact.custom
            company = values.get("company")
            if company is not None and company.pk not in current_companies:
                kwargs["companies"] = (
                    [*current_companies, company.pk] if current_companies else [company.pk]
                )
                before["companies"] = current_companies
            try:
                with transaction.atomic():
                    contact = parties.contact_update(actor=actor, contact=contact, **kwargs)
            except ValidationError as error:
                for key, messages in error.message_dict.items():
                    for message in messages:
                        row.add_error(key, message)
                continue
            except PermissionDenied as error:
                row.add_error("owner", str(error))
                continue
            before["version"] = contact.version
            records.append(
                ImportRecord(
                    batch=batch,
                    object_type="contact",
                    object_id=contact.pk,
                    action=ImportRecord.Action.UPDATED,
                    row_number=row.number,
                    before=audit._plain(before),
                )
            )
        ImportRecord.objects.bulk_create(records)

    def undo(self, records: list[ImportRecord], *, actor: Any) -> list[int]:
        return _undo(Contact, records, actor=actor, restore=self._restore)

    def _restore(self, contact: Any, before: dict[str, Any], actor: Any) -> None:
        fields = dict(before.get("fields", {}))
        kwargs: dict[str, Any] = {}
        for key in ("phones", "emails", "tags", "custom", "companies"):
            if key in before:
                kwargs[key] = before[key]
        if fields.get("birthday"):
            import datetime

            fields["birthday"] = datetime.date.fromisoformat(fields["birthday"])
        for key in ("owner", "team"):
            if key in fields:
                fields[key + "_id"] = fields.pop(key)
        _set_fields(contact, fields)
        parties.contact_update(actor=actor, contact=contact, fields=_plain_fields(fields), **kwargs)


def _set_fields(obj: Any, fields: dict[str, Any]) -> None:
    """FK ids are set on the object directly (the services take model instances)."""
    for key in [k for k in fields if k.endswith("_id")]:
        setattr(obj, key, fields[key])


def _plain_fields(fields: dict[str, Any]) -> dict[str, Any]:
    from accord.core.models import PicklistOption, User

    result: dict[str, Any] = {}
    for key, value in fields.items():
        if key.endswith("_id"):
            name = key[:-3]
            if name == "owner":
                result[name] = User.objects.get(pk=value)
            elif name == "team":
                from accord.core.models import Team

                result[name] = Team.objects.filter(pk=value).first() if value else None
            else:
                result[name] = PicklistOption.objects.filter(pk=value).first() if value else None
        else:
            result[key] = value
    return result


def split_full_name(text: str) -> dict[str, str]:
    """ "Иванов Пётр Сергеевич" -> last, first, middle (Russian order when Cyrillic or when the
    patronymic ends like one); "Marie Dupont" -> first, last; "Dupont, Marie" -> last, first."""
    if "," in text:
        last, _sep, rest = text.partition(",")
        parts = rest.split()
        return {"last_name": last.strip()[:120], "first_name": " ".join(parts)[:120]}
    parts = text.split()
    if len(parts) == 1:
        return {"last_name": parts[0][:120]}
    cyrillic = any("а" <= ch.lower() <= "я" or ch.lower() == "ё" for ch in text)
    patronymic = (
        parts[-1].lower().endswith(("vich", "vna", "ich", "ovna", "evna", "ична", "вич", "вна"))
    )
    if cyrillic or (len(parts) == 3 and patronymic):
        result = {"last_name": parts[0][:120], "first_name": parts[1][:120]}
        if len(parts) > 2:
            result["middle_name"] = " ".join(parts[2:])[:120]
        return result
    return {"first_name": " ".join(parts[:-1])[:120], "last_name": parts[-1][:120]}


def contacts_import_bulk(*, actor: Any, rows: list[RowResult], batch: ImportBatch) -> list[int]:
    """Create contacts for a chunk of clean rows the way ``contact_create`` would, in bulk.

    The "add" permission is checked once for the type and then per row in memory (an "own
    records" grant adds only contacts the importer owns; another owner needs "reassign").
    Writes contacts with their search fields, contact points, employments, tags, one audit
    entry per contact (message "import #N: file") and an ImportRecord per contact, in one
    transaction. Rows refused here get an error and are left out; returns the new ids in row
    order and sets ``row.match_id`` to the new record.
    """
    from accord.ops.generator import name_key, search_text

    if user_scope(actor, "contact", Action.ADD) == Scope.NONE:
        raise PermissionDenied(_("You do not have permission to do this."))
    message = batch_message(batch)
    contacts: list[Contact] = []
    kept: list[RowResult] = []
    for row in rows:
        values = row.values
        company = values.get("company")
        contact = Contact(
            last_name=values.get("last_name", ""),
            first_name=values.get("first_name", ""),
            middle_name=values.get("middle_name", ""),
            position=values.get("position", ""),
            primary_company=company,
            birthday=values.get("birthday"),
            preferred_channel=values.get("preferred_channel", ""),
            do_not_call=values.get("do_not_call", False),
            do_not_email=values.get("do_not_email", False),
            notes=values.get("notes", ""),
            owner=values.get("owner") or actor,
            team_id=company.team_id if company is not None else None,
            custom=values.get("custom") or {},
        )
        if not allows(actor, Action.ADD, contact) or (
            contact.owner_id != actor.pk and not allows(actor, Action.REASSIGN, contact)
        ):
            row.add_error(
                "owner",
                _("You may not add a contact owned by %(owner)s.") % {"owner": str(contact.owner)},
            )
            continue
        full_name = contact.compose_full_name()
        point_values = [*values.get("emails", []), *values.get("phones", [])]
        contact.full_name = full_name
        contact.search_text = search_text(
            full_name,
            f"{contact.first_name} {contact.last_name}",
            contact.position,
            *point_values,
            *[p.lstrip("+") for p in values.get("phones", [])],
        )
        contact.name_key = values.get("_name_key") or name_key(
            f"{contact.last_name} {contact.first_name}"
        )
        contacts.append(contact)
        kept.append(row)
    if not contacts:
        return []
    from accord.ops.generator import BulkInserter

    context = audit.current()
    now = timezone.now()
    actor_name = str(actor)[:150]
    points = BulkInserter(ContactPoint, with_id=False)
    employments = BulkInserter(Employment, with_id=False)
    entries = BulkInserter(AuditEntry, with_id=False)
    records = BulkInserter(ImportRecord, with_id=False)
    # No savepoint when the engine's per-chunk transaction is already open: inside a savepoint
    # SQLite copies every page it changes to a sub-journal first, which made these INSERTs (and
    # the search index's trigger) more than twice as slow. An error still undoes everything:
    # it reaches the caller's transaction, which rolls the whole chunk back.
    with transaction.atomic(savepoint=False):
        _insert_with_ids(Contact, contacts)
        tag_links: list[tuple[int, str]] = []
        for row, contact in zip(kept, contacts, strict=True):
            values = row.values
            phones, emails = values.get("phones", []), values.get("emails", [])
            for kind, items in (("phone", phones), ("email", emails)):
                for index, value in enumerate(items):
                    points.add(
                        {
                            "kind": kind,
                            "label": "",
                            "value": value,
                            "normalized": value,
                            "is_primary": index == 0,
                            "contact_id": contact.pk,
                            "company_id": None,
                        }
                    )
            company = values.get("company")
            if company is not None:
                employments.add(
                    {
                        "contact_id": contact.pk,
                        "company_id": company.pk,
                        "position": contact.position,
                        "role_id": None,
                        "is_primary": True,
                    }
                )
            tags = sorted(set(values.get("tags", [])))
            tag_links.extend((contact.pk, name) for name in tags)
            snapshot = {
                name: value
                for name, value in (
                    ("last_name", contact.last_name),
                    ("first_name", contact.first_name),
                    ("middle_name", contact.middle_name),
                    ("position", contact.position),
                    ("primary_company_id", contact.primary_company_id),
                    ("birthday", contact.birthday.isoformat() if contact.birthday else None),
                    ("preferred_channel", contact.preferred_channel),
                    ("do_not_call", contact.do_not_call),
                    ("do_not_email", contact.do_not_email),
                    ("notes", contact.notes),
                    ("custom", contact.custom),
                    ("owner_id", contact.owner_id),
                    ("team_id", contact.team_id),
                    ("full_name", contact.full_name),
                    ("phones", phones),
                    ("emails", emails),
                    ("tags", tags),
                    ("companies", [company.pk] if company is not None else []),
                )
                if value not in (None, "", [], {}, False)
            }
            entries.add(
                {
                    "timestamp": now,
                    "actor_id": actor.pk,
                    "actor_name": actor_name,
                    "request_id": context.request_id,
                    "source": context.source,
                    "action": AuditEntry.Kind.CREATE.value,
                    "object_type": "contact",
                    "object_id": contact.pk,
                    "object_repr": contact.full_name[:200],
                    "related_type": "company" if company is not None else "",
                    "related_id": company.pk if company is not None else None,
                    "changes": {k: [None, v] for k, v in snapshot.items()},
                    "message": message[:300],
                }
            )
            records.add(
                {
                    "batch_id": batch.pk,
                    "object_type": "contact",
                    "object_id": contact.pk,
                    "action": ImportRecord.Action.CREATED.value,
                    "row_number": row.number,
                    "before": {},
                }
            )
            row.match_id = contact.pk
        points.flush()
        employments.flush()
        if tag_links:
            names = sorted({name for _pk, name in tag_links})
            Tag.objects.bulk_create([Tag(name=n) for n in names], ignore_conflicts=True)
            tag_ids = dict(Tag.objects.filter(name__in=names).values_list("name", "pk"))
            through = Contact.tags.through
            through.objects.bulk_create(
                [through(contact_id=pk, tag_id=tag_ids[name]) for pk, name in tag_links],
                ignore_conflicts=True,
            )
        entries.flush()
        records.flush()
    return [c.pk for c in contacts]


def _insert_with_ids(model: Any, objects: list[Any]) -> None:
    """INSERT new records and set their ids. On SQLite the ids are taken after the highest id
    ever used (AUTOINCREMENT's sqlite_sequence included), under the write lock SQLite gives the
    transaction once it has written (so no other writer can take them), and the rows go in with
    one ``executemany``; elsewhere ``bulk_create`` returns the ids."""
    from django.db import connection

    from accord.ops.generator import BulkInserter

    if not objects:
        return
    if connection.vendor != "sqlite":
        model.objects.bulk_create(objects, batch_size=500)
        return
    table = model._meta.db_table
    with connection.cursor() as cursor:
        # Take the write lock first: the ids read below stay ours until commit.
        cursor.execute("UPDATE sqlite_sequence SET seq = seq WHERE name = %s", [table])
        cursor.execute(f'SELECT MAX(id) FROM "{table}"')  # noqa: S608 - a model's table
        highest = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        found = cursor.fetchone()
        highest = max(highest, found[0] if found else 0)
    inserter = BulkInserter(model, with_id=True)
    names = [f.attname for f in inserter.fields]
    for offset, obj in enumerate(objects, start=1):
        obj.pk = highest + offset
        obj._state.adding = False
        obj._state.db = connection.alias
        inserter.add({name: getattr(obj, name) for name in names})
    inserter.flush()


def _insert(model: Any, objects: list[Any]) -> None:
    """Plain multi-row INSERTs (``executemany``) for rows whose ids nobody needs back: several
    times faster than ``bulk_create`` for thousands of rows."""
    from accord.ops.generator import BulkInserter

    if not objects:
        return
    inserter = BulkInserter(model, with_id=False)
    names = [f.attname for f in inserter.fields]
    for obj in objects:
        inserter.add({name: getattr(obj, name) for name in names})
    inserter.flush()


def _undo(model: Any, records: list[ImportRecord], *, actor: Any, restore: Any) -> list[int]:
    """Delete created records (one audit entry each, in bulk) and restore updated ones through
    the update service, to what they were before the batch.

    A record the batch touched several times (created then updated by a repeated row, or
    updated twice) is handled once, at its earliest record of the batch: deleted if the batch
    created it, else given the values from before its first update. A record changed by anyone
    since the import (its version is not the one the batch left) is left as it is; its id is
    returned so the caller can say so."""
    if not records:
        return []
    ids = {r.object_id for r in records}
    history: dict[int, list[ImportRecord]] = defaultdict(list)
    for record in ImportRecord.objects.filter(
        batch_id=records[0].batch_id, object_type=records[0].object_type, object_id__in=ids
    ).order_by("pk"):
        history[record.object_id].append(record)
    todo = {}
    for record in records:
        past = history.get(record.object_id) or [record]
        if past[0].pk == record.pk:
            todo[record.object_id] = past
    skipped: list[int] = []
    entries = []
    doomed = []
    objects = {o.pk: o for o in model.objects.filter(pk__in=list(todo))}
    for object_id, past in todo.items():
        obj = objects.get(object_id)
        if obj is None:
            continue
        versions = [
            r.before.get("version", 0) for r in past if r.action == ImportRecord.Action.UPDATED
        ]
        created = past[0].action == ImportRecord.Action.CREATED
        expected = max([*versions, 1 if created else 0])
        if obj.version != expected:
            skipped.append(obj.pk)
            continue
        if created:
            entries.append(
                audit.build(
                    actor=actor,
                    action=AuditEntry.Kind.DELETE,
                    obj=obj,
                    changes={
                        k: [v, None]
                        for k, v in audit.snapshot(obj).items()
                        if v not in (None, "", [], {})
                    },
                    message=_("import undone"),
                )
            )
            doomed.append(obj.pk)
        else:
            restore(obj, past[0].before, actor)
    for start in range(0, len(doomed), 500):
        model.objects.filter(pk__in=doomed[start : start + 500]).delete()
    audit.record_many(entries)
    return skipped


register_handler(CompanyHandler())
register_handler(ContactHandler())
