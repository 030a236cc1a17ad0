"""Import of leads and deals (D5): rows become records through the sales services, so an
imported lead is normalised, assigned and audited exactly like one typed in, and an imported
deal obeys the pipeline's state machine (a won or lost deal needs its reason)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accord.core.models import Picklist, PicklistOption, User
from accord.core.permissions import Action, require, restrict
from accord.dataio.handlers import register_handler
from accord.dataio.handlers._sales_common import (
    CompanyLookup,
    PicklistLookup,
    StageLookup,
    UserLookup,
    check_lengths,
    choice_lookup,
    clean_currency,
    clean_date,
    clean_decimal,
    current_value,
    fold,
    jsonable,
    owner_for,
    record,
    target,
    text,
    undo_records,
    write_rows,
)
from accord.dataio.handlers.base import (
    Handler,
    RowResult,
    TargetField,
    clean_custom,
    custom_targets,
)
from accord.dataio.models import ImportBatch, ImportRecord
from accord.sales.models import Deal, Lead, Stage
from accord.sales.selectors_deals import deals_visible_to
from accord.sales.services_deals import deal_create, deal_delete, deal_move, deal_update
from accord.sales.services_leads import (
    clean_lead_fields,
    lead_create,
    lead_delete,
    lead_set_status,
    lead_update,
)

# --- leads ---------------------------------------------------------------------------------

LEAD_TEXT_FIELDS = (
    "full_name",
    "company_name",
    "position",
    "email",
    "phone",
    "inn",
    "country",
    "city",
    "campaign",
    "description",
)
LEAD_STATUSES_ON_IMPORT = (
    Lead.Status.NEW,
    Lead.Status.CONTACTED,
    Lead.Status.QUALIFIED,
    Lead.Status.UNQUALIFIED,
)


class LeadHandler(Handler):
    """Leads, matched by e-mail, then phone, then organisation + person name."""

    object_type = "lead"
    label = gettext_lazy("leads")

    def fields(self, user: Any) -> list[TargetField]:
        return [
            target(
                "full_name",
                _("Person's name"),
                "name|full name|contact|фио|имя|контакт|контактное лицо|nom|nom complet",
                help=_("The person's or the organisation's name is required."),
            ),
            target(
                "company_name",
                _("Organisation"),
                "company|organisation|organization|компания|организация|société|entreprise"
                "|firma|unternehmen",
            ),
            target("position", _("Position"), "position|job title|должность|poste|fonction"),
            target("email", _("E-mail"), "email|e-mail|mail|почта|эл. почта|courriel"),
            target(
                "phone",
                _("Phone"),
                "phone|telephone|телефон|téléphone|telefon",
                help=_("Stored as +7 351 123-45-67 (E.164)."),
            ),
            target("inn", _("INN"), "inn|инн"),
            target(
                "country",
                _("Country"),
                "country|страна|pays|land",
                help=_("Two-letter code: RU, FR, DE."),
            ),
            target("city", _("City"), "city|город|ville|stadt"),
            target("region", _("Region"), "region|регион|région"),
            target("source", _("Source"), "source|источник|quelle|herkunft"),
            target("campaign", _("Campaign"), "campaign|кампания|campagne|kampagne"),
            target(
                "description",
                _("Description"),
                "description|описание|комментарий|beschreibung|notes",
            ),
            target(
                "estimated_amount",
                _("Estimated amount"),
                "amount|estimated amount|сумма|montant|betrag",
                help=_("A number; a decimal comma is fine: 1 250,50."),
            ),
            target("currency", _("Currency"), "currency|валюта|devise|währung"),
            target(
                "owner",
                _("Owner"),
                "owner|responsible|ответственный|менеджер|responsable|verantwortlich",
                help=_("User name, e-mail or full name; empty: the assignment rules choose."),
            ),
            target(
                "status",
                _("Status"),
                "status|статус|statut",
                help=_("New, contacted, qualified or not qualified (new leads only)."),
            ),
            target(
                "unqualified_reason",
                _("Reason not qualified"),
                "reason not qualified|причина|raison|grund",
            ),
        ]

    def clean(self, rows: list[RowResult], user: Any) -> None:
        regions = PicklistLookup(Picklist.REGION)
        sources = PicklistLookup(Picklist.SOURCE)
        users = UserLookup(rows, "owner")
        statuses = choice_lookup(Lead.Status, LEAD_STATUSES_ON_IMPORT)
        for row in rows:
            self._clean_row(row, user, regions, sources, users, statuses)
        self._match(rows, user)

    def _clean_row(
        self,
        row: RowResult,
        user: Any,
        regions: PicklistLookup,
        sources: PicklistLookup,
        users: UserLookup,
        statuses: dict[str, str],
    ) -> None:
        given: dict[str, Any] = {k: text(row, k) for k in LEAD_TEXT_FIELDS if text(row, k)}
        if given.get("description"):
            given["description"] = str(row.raw["description"]).strip()
        # A huge cell is refused before it reaches the phone and e-mail normalisers.
        check_lengths(row, {k: v for k, v in given.items() if len(v) > 1000}, Lead)
        given = {k: v for k, v in given.items() if k not in row.errors}
        amount = clean_decimal(row, "estimated_amount", minimum=None)
        if amount is not None:
            given["estimated_amount"] = amount
        try:
            values = clean_lead_fields(given)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                for message in messages:
                    row.add_error(key, message)
            values = {k: v for k, v in given.items() if k not in exc.message_dict}
        check_lengths(row, {k: v for k, v in values.items() if k not in row.errors}, Lead)
        if not (values.get("full_name") or values.get("company_name")) and row.ok:
            row.add_error("full_name", _("Enter the person's name or the organisation's name."))
        for key, lookup in (("region", regions), ("source", sources)):
            option = lookup.clean(row, key)
            if option is not None:
                values[key] = option
        currency = clean_currency(row, "currency")
        if currency:
            values["currency"] = currency
        owner = owner_for(row, users, user, Lead)
        if owner is not None:
            values["owner"] = owner
        status_text = text(row, "status")
        if status_text:
            status = statuses.get(fold(status_text))
            if status is None:
                row.add_error(
                    "status",
                    _("“%(value)s” is not a lead status an import can set.")
                    % {"value": status_text},
                )
            else:
                values["status"] = status
                reason = text(row, "unqualified_reason")
                if status == Lead.Status.UNQUALIFIED and not reason:
                    row.add_error("unqualified_reason", _("Say why the lead is not qualified."))
                values["unqualified_reason"] = reason
        row.values = values

    def _match(self, rows: list[RowResult], user: Any) -> None:
        from accord.sales.selectors_leads import lead_name_key

        emails = {r.values["email"] for r in rows if r.values.get("email")}
        phones = {r.values["phone"] for r in rows if r.values.get("phone")}
        keys = {}
        for row in rows:
            if row.values.get("full_name") or row.values.get("company_name"):
                keys[row.number] = lead_name_key(
                    full_name=row.values.get("full_name", ""),
                    company_name=row.values.get("company_name", ""),
                )
        query = Q(pk__in=[])
        if emails:
            query |= Q(email__in=emails)
        if phones:
            query |= Q(phone__in=phones)
        if keys:
            query |= Q(name_key__in=set(keys.values()) - {""})
        by_email: dict[str, int] = {}
        by_phone: dict[str, int] = {}
        by_name: dict[tuple[str, str], int] = {}
        existing = restrict(Lead.objects.all(), user).filter(query).order_by("pk")
        for pk, email, phone, name_key, full_name in existing.values_list(
            "pk", "email", "phone", "name_key", "full_name"
        ):
            if email:
                by_email.setdefault(email, pk)
            if phone:
                by_phone.setdefault(phone, pk)
            by_name.setdefault((name_key, fold(full_name)), pk)
        existing_by_kind: dict[str, dict[Any, int]] = {
            "email": by_email,
            "phone": by_phone,
            "name": by_name,
        }
        reasons = {
            "email": _("same e-mail"),
            "phone": _("same phone"),
            "name": _("same name and organisation"),
        }
        seen: dict[tuple[str, Any], RowResult] = {}
        for row in rows:
            name = (keys.get(row.number, ""), fold(row.values.get("full_name", "")))
            candidates: list[tuple[str, Any]] = [
                ("email", row.values.get("email") or ""),
                ("phone", row.values.get("phone") or ""),
                ("name", name if name[0] else ""),
            ]
            candidates = [(kind, key) for kind, key in candidates if key]
            for kind, key in candidates:
                if key in existing_by_kind[kind]:
                    row.match_id = existing_by_kind[kind][key]
                    row.match_reason = reasons[kind]
                    break
                earlier = seen.get((kind, key))
                if earlier is not None:
                    row.match_row = earlier.number
                    row.match_id = earlier.match_id
                    row.match_reason = _("same as row %(row)s") % {"row": earlier.number}
                    break
            if row.ok and row.match_row is None:
                for kind, key in candidates:
                    seen.setdefault((kind, key), row)

    def create(self, rows: list[RowResult], *, actor: Any, batch: ImportBatch) -> list[int]:
        require(actor, Action.ADD, Lead)

        def write(row: RowResult) -> int:
            fields = {
                k: v for k, v in row.values.items() if k not in ("status", "unqualified_reason")
            }
            lead = lead_create(actor=actor, fields=fields, channel=Lead.Channel.IMPORT)
            status = row.values.get("status")
            if status and status != lead.status:
                lead = lead_set_status(
                    actor=actor,
                    lead=lead,
                    status=status,
                    unqualified_reason=row.values.get("unqualified_reason", ""),
                )
            record(batch, self.object_type, lead, row)
            return lead.pk

        return write_rows(rows, write, {})

    def update(self, rows: list[RowResult], *, actor: Any, batch: ImportBatch) -> None:
        require(actor, Action.CHANGE, Lead)
        leads = Lead.objects.in_bulk([r.match_id for r in rows if r.match_id])

        def write(row: RowResult) -> int | None:
            lead = leads.get(row.match_id or 0)
            if lead is None:
                raise ValidationError({"__all__": [_("The matched lead no longer exists.")]})
            fields = {
                k: v for k, v in row.values.items() if k not in ("status", "unqualified_reason")
            }
            before = {k: current_value(lead, k) for k in fields}
            before = {k: v for k, v in before.items() if v != jsonable(fields[k])}
            if not before:
                return None
            previous = lead.version
            lead = leads[lead.pk] = lead_update(actor=actor, lead=lead, fields=fields)
            record(batch, self.object_type, lead, row, before=before, previous_version=previous)
            return lead.pk

        write_rows(rows, write, {})

    def undo(self, records: list[ImportRecord], *, actor: Any) -> list[int]:
        return undo_records(
            Lead,
            records,
            delete=lambda lead: lead_delete(actor=actor, lead=lead),
            restore=lambda lead, before: lead_update(
                actor=actor, lead=lead, fields=_restore_lead(before)
            ),
        )


def _restore_lead(before: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key, value in before.items():
        if key in ("region", "source"):
            fields[key] = PicklistOption.objects.filter(pk=value).first() if value else None
        elif key == "owner":
            fields[key] = User.objects.get(pk=value)
        elif key == "estimated_amount":
            fields[key] = value
        else:
            fields[key] = value if value is not None else ""
    return fields


# --- deals ---------------------------------------------------------------------------------

DEAL_ALIASES: dict[str, str] = {}


class DealHandler(Handler):
    """Deals, matched by client company + deal name (deals carry no external number)."""

    object_type = "deal"
    label = gettext_lazy("deals")

    def fields(self, user: Any) -> list[TargetField]:
        result = [
            target(
                "name",
                _("Deal name"),
                "deal|deal name|title|name|сделка|название|affaire|titre|opportunité|geschäft",
                required=True,
            ),
            target(
                "company",
                _("Client"),
                "company|client|customer|клиент|компания|société|kunde|firma",
                required=True,
                help=_("The company's name, INN or number in Accord; it must exist."),
            ),
            target(
                "amount",
                _("Amount"),
                "amount|sum|сумма|montant|betrag",
                help=_("A number; a decimal comma is fine: 1 250,50."),
            ),
            target("currency", _("Currency"), "currency|валюта|devise|währung"),
            target(
                "pipeline",
                _("Pipeline"),
                "pipeline|воронка|trichter",
                help=_("Empty: the default pipeline."),
            ),
            target(
                "stage",
                _("Stage"),
                "stage|этап|стадия|étape|phase|stufe",
                help=_("The stage's name in any language; empty: the first stage."),
            ),
            target(
                "expected_close",
                _("Expected close date"),
                "expected close|expected close date|close date|дата закрытия|date de clôture"
                "|abschlussdatum",
                help=_("31.12.2025, 31/12/2025 or 2025-12-31."),
            ),
            target("source", _("Source"), "source|источник|quelle|herkunft"),
            target("campaign", _("Campaign"), "campaign|кампания|campagne|kampagne"),
            target(
                "owner",
                _("Owner"),
                "owner|responsible|ответственный|менеджер|responsable|verantwortlich",
                help=_("User name, e-mail or full name; empty: you."),
            ),
            target("description", _("Description"), "description|описание|beschreibung"),
            target("won_reason", _("Reason for winning"), "won reason|причина выигрыша"),
            target("lost_reason", _("Reason for losing"), "lost reason|причина проигрыша"),
            target(
                "close_comment",
                _("Comment on the outcome"),
                "outcome comment|комментарий к итогу",
            ),
        ]
        result.extend(custom_targets("deal"))
        return result

    def clean(self, rows: list[RowResult], user: Any) -> None:
        companies = CompanyLookup(rows, "company", user)
        stages = StageLookup()
        users = UserLookup(rows, "owner")
        lookups = {
            "source": PicklistLookup(Picklist.SOURCE),
            "won_reason": PicklistLookup(Picklist.WON_REASON),
            "lost_reason": PicklistLookup(Picklist.LOST_REASON),
        }
        has_custom = any(key.startswith("custom.") for row in rows[:1] for key in row.raw)
        for row in rows:
            values: dict[str, Any] = {}
            name = text(row, "name")
            if not name:
                row.add_error("name", _("Enter the deal's name."))
            values["name"] = name
            company = companies.clean(row, "company")
            if company is not None:
                values["company"] = company
            amount = clean_decimal(row, "amount", minimum=None)
            if amount is not None:
                if amount < 0:
                    row.add_error("amount", _("The amount cannot be negative."))
                values["amount"] = amount
            for key, value in (
                ("currency", clean_currency(row, "currency")),
                ("expected_close", clean_date(row, "expected_close")),
                ("owner", owner_for(row, users, user, Deal)),
            ):
                if value is not None:
                    values[key] = value
            for key, lookup in lookups.items():
                option = lookup.clean(row, key)
                if option is not None:
                    values[key] = option
            for key in ("campaign", "description", "close_comment"):
                if text(row, key):
                    values[key] = str(row.raw.get(key) or "").strip()
            self._clean_stage(row, values, stages)
            check_lengths(row, values, Deal)
            # Custom fields only when the file maps any (the definitions are read per row).
            custom = clean_custom("deal", row) if has_custom else {}
            if custom:
                values["custom"] = custom
            row.values = values
        self._match(rows, user)

    def _clean_stage(self, row: RowResult, values: dict[str, Any], stages: StageLookup) -> None:
        pipeline_text = text(row, "pipeline")
        pipeline = stages.pipelines.get(fold(pipeline_text)) if pipeline_text else stages.default
        if pipeline is None:
            if pipeline_text:
                row.add_error(
                    "pipeline", _("Pipeline “%(value)s” not found.") % {"value": pipeline_text}
                )
            else:
                row.add_error("pipeline", _("No active pipeline is set up."))
            return
        values["pipeline"] = pipeline
        stage_text = text(row, "stage")
        if not stage_text:
            return
        stage = stages.stages.get((pipeline.pk, fold(stage_text)))
        if stage is None:
            row.add_error(
                "stage",
                _("Stage “%(value)s” not found in the pipeline “%(pipeline)s”.")
                % {"value": stage_text, "pipeline": pipeline.localized_name()},
            )
            return
        values["stage"] = stage
        reason_given = "won_reason" in values or "won_reason" in row.errors
        if stage.kind == Stage.Kind.WON and not reason_given:
            row.add_error("won_reason", _("Say why the deal was won."))
        reason_given = "lost_reason" in values or "lost_reason" in row.errors
        if stage.kind == Stage.Kind.LOST and not reason_given:
            row.add_error("lost_reason", _("Say why the deal was lost."))

    def _match(self, rows: list[RowResult], user: Any) -> None:
        company_ids = {r.values["company"].pk for r in rows if r.values.get("company")}
        names = {r.values["name"].lower() for r in rows if r.values.get("name")}
        existing: dict[tuple[int, str], int] = {}
        if company_ids and names:
            found = (
                deals_visible_to(user)
                .annotate(lower_name=Lower("name"))
                .filter(company_id__in=company_ids, lower_name__in=names)
                .order_by("pk")
                .values_list("pk", "company_id", "name")
            )
            for pk, company_id, name in found:
                existing.setdefault((company_id, fold(name)), pk)
        seen: dict[tuple[int, str], RowResult] = {}
        for row in rows:
            company = row.values.get("company")
            if company is None or not row.values.get("name"):
                continue
            key = (company.pk, fold(row.values["name"]))
            if key in existing:
                row.match_id = existing[key]
                row.match_reason = _("same client and deal name")
            elif key in seen:
                row.match_row = seen[key].number
                row.match_id = seen[key].match_id
                row.match_reason = _("same as row %(row)s") % {"row": seen[key].number}
            elif row.ok:
                seen[key] = row

    def create(self, rows: list[RowResult], *, actor: Any, batch: ImportBatch) -> list[int]:
        require(actor, Action.ADD, Deal)

        def write(row: RowResult) -> int:
            values = row.values
            target = values.get("stage")
            closed = target is not None and target.kind != Stage.Kind.OPEN
            deal = deal_create(
                actor=actor,
                company=values["company"],
                name=values["name"],
                amount=values.get("amount", 0),
                currency=values.get("currency"),
                pipeline=values.get("pipeline"),
                stage=None if closed else target,
                expected_close=values.get("expected_close"),
                source=values.get("source"),
                campaign=values.get("campaign", ""),
                owner=values.get("owner"),
                description=values.get("description", ""),
                custom=values.get("custom"),
            )
            if closed:
                deal = deal_move(
                    actor=actor,
                    deal=deal,
                    stage=target,
                    won_reason=values.get("won_reason"),
                    lost_reason=values.get("lost_reason"),
                    comment=values.get("close_comment", ""),
                )
            record(batch, self.object_type, deal, row)
            return deal.pk

        return write_rows(rows, write, DEAL_ALIASES)

    def update(self, rows: list[RowResult], *, actor: Any, batch: ImportBatch) -> None:
        require(actor, Action.CHANGE, Deal)
        deals = Deal.objects.select_related("stage").in_bulk(
            [r.match_id for r in rows if r.match_id]
        )

        def write(row: RowResult) -> int | None:
            deal = deals.get(row.match_id or 0)
            if deal is None:
                raise ValidationError({"__all__": [_("The matched deal no longer exists.")]})
            fields = {k: v for k, v in row.values.items() if k != "custom"}
            if fields.get("stage") is not None and fields["stage"].pk == deal.stage_id:
                fields.pop("stage")
            if fields.get("pipeline") is not None and fields["pipeline"].pk == deal.pipeline_id:
                fields.pop("pipeline")
            before = _deal_before(deal, fields, row.values.get("custom"))
            if not before:
                return None
            previous = deal.version
            deal = deals[deal.pk] = deal_update(
                actor=actor, deal=deal, fields=fields, custom=_merged_custom(deal, row)
            )
            record(batch, self.object_type, deal, row, before=before, previous_version=previous)
            return deal.pk

        write_rows(rows, write, DEAL_ALIASES)

    def undo(self, records: list[ImportRecord], *, actor: Any) -> list[int]:
        return undo_records(
            Deal,
            records,
            delete=lambda deal: deal_delete(actor=actor, deal=deal),
            restore=lambda deal, before: _restore_deal(actor, deal, before),
        )


def _restore_deal(actor: Any, deal: Deal, before: dict[str, Any]) -> None:
    fields = dict(before)
    custom = fields.pop("custom", None)
    deal_update(actor=actor, deal=deal, fields=fields, custom=custom)


def _merged_custom(deal: Deal, row: RowResult) -> dict[str, Any] | None:
    custom = row.values.get("custom")
    if not custom:
        return None
    return {**(deal.custom or {}), **custom}


def _deal_before(
    deal: Deal, fields: dict[str, Any], custom: dict[str, Any] | None
) -> dict[str, Any]:
    """The deal's current values of the fields the row changes (what undo puts back)."""
    before: dict[str, Any] = {}
    for key, value in fields.items():
        current = current_value(deal, key)
        if current != jsonable(value):
            before[key] = current
    if "stage" in before or "pipeline" in before:
        before["pipeline"] = deal.pipeline_id
        before["stage"] = deal.stage_id
        before["won_reason"] = deal.won_reason_id
        before["lost_reason"] = deal.lost_reason_id
        before["close_comment"] = deal.close_comment
    if custom and any((deal.custom or {}).get(k) != v for k, v in custom.items()):
        before["custom"] = dict(deal.custom or {})
    if "owner" in before and before["owner"] is None:
        before.pop("owner")
    return before


register_handler(LeadHandler())
register_handler(DealHandler())
