"""Sales data at scale for ``accord generate`` (issue #3, "Performance"): deals with the path
each one took through its pipeline, orders whose lines reach a million, invoices and payments.

Same approach as accord.ops.generator: compute what the services would store and insert it in
batches. In particular:
- a deal's ``is_closed``/``is_won``/``closed_at``/``stage_entered_at`` are derived from its
  stage and its StageChange chain, which starts with the creation row (no ``from_stage``) and
  ends at the deal's current stage, as ``deal_create``/``deal_move`` write them;
- every line's net/VAT/total and every document's totals come from
  accord.commerce.pricing (the one implementation quotes, orders and invoices use);
- document numbers follow accord.commerce.numbering (``O-2026-00042``) and the
  NumberSequence rows are moved past the generated numbers, so the services continue after
  them;
- one "create" audit entry per deal, order and invoice (their children -- stage changes,
  lines, payments -- are part of the parent's record), related to the client.
Memory stays flat: only the won deals (a fifth of them) are kept until their orders are made.
"""

from __future__ import annotations

import datetime
import math
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction

from accord.catalog.models import Price, PriceList, Product, Unit
from accord.commerce import pricing
from accord.commerce.models import Invoice, InvoiceLine, NumberSequence, Order, OrderLine, Payment
from accord.commerce.numbering import PREFIXES
from accord.core.models import AuditEntry
from accord.ops.generator import BulkInserter, _batches, _next_id, _picklist_ids
from accord.sales.models import Deal, Pipeline, Stage, StageChange

if TYPE_CHECKING:
    from accord.ops.generator import Generator

CLOSED_SHARE = 0.40
WON_SHARE_OF_CLOSED = 0.45
SECOND_PIPELINE_SHARE = 0.15
OPEN_STAGE_WEIGHTS = (30, 25, 20, 15, 10, 8, 6)  # early stages hold most open deals
VAT = Decimal("20")

SECOND_PIPELINE = (
    "Equipment supply (generated)",
    "Поставка оборудования (сгенерировано)",
    "Fourniture d'équipement (généré)",
    "Ausrüstungslieferung (generiert)",
)
# (en, ru, fr, de, kind, probability)
SECOND_STAGES = (
    ("Request", "Запрос", "Demande", "Anfrage", "open", 10),
    ("Specification", "Спецификация", "Spécification", "Spezifikation", "open", 30),
    ("Proposal", "Предложение", "Offre", "Angebot", "open", 50),
    ("Contract", "Договор", "Contrat", "Vertrag", "open", 80),
    ("Won", "Выиграна", "Gagnée", "Gewonnen", "won", 100),
    ("Lost", "Проиграна", "Perdue", "Verloren", "lost", 0),
)

OBJECTS = {
    "RU": ("склада", "бизнес-центра", "школы", "котельной", "моста", "ТЦ", "жилого комплекса"),
    "FR": ("d'un entrepôt", "d'une école", "d'un pont", "de bureaux", "d'un gymnase"),
    "GB": ("a warehouse", "a school", "a bridge", "an office block", "a sports centre"),
}
DEAL_PATTERNS = {
    "RU": ("Проект {o}", "Рабочая документация {o}", "Изыскания для {o}"),
    "FR": ("Études {o}", "Maîtrise d'œuvre {o}", "Diagnostic {o}"),
    "GB": ("Design of {o}", "Working drawings for {o}", "Survey of {o}"),
}
CAMPAIGNS = ("", "", "", "Exhibition 2026", "Newsletter spring", "Tender portal", "Webinar BIM")

# Lines of a design contract: (description, share of the amount in %).
CONTRACT_LINES = (
    ("Engineering survey", 15),
    ("Design documentation (stage P)", 35),
    ("Working documentation (stage RD)", 40),
    ("Author's supervision", 10),
)
# Generated catalogue: (sku, name, unit, kind, price in RUB).
PRODUCTS = tuple(
    (f"GEN-{index + 1:03d}", name, unit, kind, Decimal(price))
    for index, (name, unit, kind, price) in enumerate(
        (
            ("Engineering survey, per hectare", Unit.DAY, "service", "45000"),
            ("Geodetic survey", Unit.DAY, "service", "38000"),
            ("Architectural concept", Unit.SET, "service", "250000"),
            ("BIM model, per square metre", Unit.SQUARE_METRE, "service", "350"),
            ("Structural calculation", Unit.HOUR, "service", "4500"),
            ("HVAC design", Unit.SQUARE_METRE, "service", "220"),
            ("Electrical design", Unit.SQUARE_METRE, "service", "180"),
            ("Cost estimate", Unit.SET, "service", "60000"),
            ("State expertise support", Unit.MONTH, "service", "90000"),
            ("Design supervision visit", Unit.DAY, "service", "25000"),
            ("Plotter print, A1 sheet", Unit.PIECE, "product", "450"),
            ("Laser scanner rental", Unit.DAY, "product", "15000"),
            ("Drawing set archive copy", Unit.SET, "product", "12000"),
            ("CAD licence, annual", Unit.LICENCE, "product", "95000"),
            ("Consulting engineer", Unit.HOUR, "service", "3800"),
            ("Energy audit", Unit.SERVICE, "service", "140000"),
        )
    )
)
EUR_PER_RUB = Decimal("0.01")


@dataclass(frozen=True)
class StagePath:
    """One pipeline's stages as the generator needs them."""

    pipeline_id: int
    open_ids: tuple[int, ...]
    won_id: int
    lost_id: int


@dataclass(frozen=True)
class WonDeal:
    deal_id: int
    company_index: int
    owner_id: int
    team_id: int | None
    currency: str
    amount: Decimal
    closed_on: datetime.date


def _stage_path(pipeline: Pipeline) -> StagePath:
    stages = list(pipeline.stages.filter(is_active=True).order_by("position", "id"))
    open_ids = tuple(s.pk for s in stages if s.kind == Stage.Kind.OPEN)
    won = [s.pk for s in stages if s.kind == Stage.Kind.WON]
    lost = [s.pk for s in stages if s.kind == Stage.Kind.LOST]
    if not open_ids or not won or not lost:
        raise RuntimeError(f"pipeline {pipeline} needs open, won and lost stages")
    return StagePath(pipeline.pk, open_ids, won[0], lost[0])


def ensure_second_pipeline() -> Pipeline:
    """A second, smaller pipeline so reports filtered by pipeline have something to filter."""
    en, ru, fr, de = SECOND_PIPELINE
    pipeline = Pipeline.objects.filter(name=en).first()
    if pipeline is not None:
        return pipeline
    pipeline = Pipeline.objects.create(name=en, name_ru=ru, name_fr=fr, name_de=de, position=9)
    for position, (s_en, s_ru, s_fr, s_de, kind, probability) in enumerate(SECOND_STAGES):
        Stage.objects.create(
            pipeline=pipeline,
            name=s_en,
            name_ru=s_ru,
            name_fr=s_fr,
            name_de=s_de,
            kind=kind,
            probability=probability,
            position=position,
        )
    return pipeline


def ensure_products() -> list[tuple[int, str, Decimal, str]]:
    """The generated catalogue with prices in the default price lists:
    (id, unit, RUB price, name)."""
    lists = {p.currency: p for p in PriceList.objects.filter(name__in=("Base RUB", "Base EUR"))}
    products = []
    for sku, name, unit, kind, price in PRODUCTS:
        product, _created = Product.objects.get_or_create(
            sku=sku, defaults={"name": name, "unit": unit, "kind": kind}
        )
        for currency, price_list in lists.items():
            amount = price if currency == "RUB" else pricing.money(price * EUR_PER_RUB)
            Price.objects.get_or_create(
                price_list=price_list, product=product, option=None, defaults={"amount": amount}
            )
        products.append((product.pk, str(unit), price, product.name))
    return products


class NumberBook:
    """Document numbers per year, continuing the NumberSequence rows and moving them on."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.last: dict[int, int] = {}

    def next(self, on: datetime.date) -> str:
        year = on.year
        if year not in self.last:
            row = NumberSequence.objects.filter(kind=self.kind, year=year).first()
            self.last[year] = row.last if row else 0
        self.last[year] += 1
        return f"{PREFIXES[self.kind]}-{year}-{self.last[year]:05d}"

    def save(self) -> None:
        for year, last in self.last.items():
            NumberSequence.objects.update_or_create(
                kind=self.kind, year=year, defaults={"last": last}
            )


class SalesGenerator:
    """Deals, stage changes, orders, invoices and payments over the generator's companies."""

    def __init__(self, generator: Generator) -> None:
        self.g = generator
        self.rng = generator.rng
        self.inserter = BulkInserter
        self.won_reasons = _picklist_ids("won_reason")
        self.lost_reasons = _picklist_ids("lost_reason")
        self.payment_methods = _picklist_ids("payment_method")
        self.today = generator.now.date()
        self.won: list[WonDeal] = []

    # --- deals --------------------------------------------------------------------------------
    def deals(self, total: int) -> None:
        g = self.g
        rng = self.rng
        company_count = len(g.company_owner)
        if not company_count or not total:
            return
        with transaction.atomic():
            default = _stage_path(Pipeline.objects.get(is_default=True))
            second = _stage_path(ensure_second_pipeline())
        first_id = _next_id(Deal)
        deals = self.inserter(Deal, with_id=True)
        changes = self.inserter(StageChange, with_id=False)
        links = self.inserter(Deal.contacts.through, with_id=False)
        entries = self.inserter(AuditEntry, with_id=False)
        managers = g.owners.managers
        started = time.monotonic()
        for start, size in _batches(total, g.batch_size):
            with transaction.atomic():
                for offset in range(size):
                    pk = first_id + start + offset
                    company_index = min(int(company_count * rng.random() ** 1.5), company_count - 1)
                    company_id = g.company_first_id + company_index
                    owner = g.company_owner[company_index]
                    if rng.random() < 0.1:  # a colleague works this one
                        owner = managers[rng.randrange(len(managers))].pk
                    team = g.company_team[company_index] or None
                    country = g.company_country[company_index]
                    path = second if rng.random() < SECOND_PIPELINE_SHARE else default
                    row, moves = self._deal(pk, path, country)
                    row.update(company_id=company_id, owner_id=owner, team_id=team)
                    deals.add(row)
                    previous: int | None = None
                    previous_at: datetime.datetime | None = None
                    for stage_id, at in moves:
                        changes.add(
                            {
                                "deal_id": pk,
                                "from_stage_id": previous,
                                "to_stage_id": stage_id,
                                "at": at,
                                "actor_id": owner,
                                "amount": row["amount"],
                                "seconds_in_previous": int((at - previous_at).total_seconds())
                                if previous_at is not None
                                else None,
                            }
                        )
                        previous, previous_at = stage_id, at
                    contacts = g.company_contacts[company_index]
                    if contacts and rng.random() < 0.7:
                        links.add({"deal_id": pk, "contact_id": rng.choice(contacts)})
                    if row["is_won"]:
                        self.won.append(
                            WonDeal(
                                pk,
                                company_index,
                                owner,
                                team,
                                row["currency"],
                                row["amount"],
                                row["closed_at"].date(),
                            )
                        )
                    entries.add(
                        g._audit_row(
                            actor_id=owner,
                            object_type="deal",
                            object_id=pk,
                            object_repr=row["name"],
                            changes={
                                "name": [None, row["name"]],
                                "amount": [None, str(row["amount"])],
                                "currency": [None, row["currency"]],
                                "stage_id": [None, row["stage_id"]],
                                "owner_id": [None, owner],
                            },
                            timestamp=row["created_at"],
                            related_id=company_id,
                        )
                    )
                g._count("deals", deals.flush())
                g._count("stage changes", changes.flush())
                g._count("deal contacts", links.flush())
                g._count("audit entries", entries.flush())
            g._report("deals", start + size, total, started)

    def _deal(
        self, pk: int, path: StagePath, country: str
    ) -> tuple[dict[str, Any], list[tuple[int, datetime.datetime]]]:
        """The deal's row and its moves [(stage, when)], the last move being its stage."""
        rng = self.rng
        now = self.g.now
        day = datetime.timedelta(days=1)
        draw = rng.random()
        open_count = len(path.open_ids)
        if draw < CLOSED_SHARE:
            is_won = draw < CLOSED_SHARE * WON_SHARE_OF_CLOSED
            closed_at = now - day * rng.uniform(0.1, 365)
            cycle = day * (rng.uniform(20, 300) if is_won else rng.uniform(3, 200))
            created = closed_at - cycle
            if is_won:
                reached = open_count - 1
            else:
                reached = min(int(open_count * rng.random() ** 1.3), open_count - 1)
            visited = self._visited(path.open_ids[: reached + 1])
            visited.append(path.won_id if is_won else path.lost_id)
            end = closed_at
        else:
            is_won = False
            closed_at = None
            created = now - day * rng.uniform(0.5, 365)
            weights = OPEN_STAGE_WEIGHTS[:open_count]
            reached = rng.choices(range(open_count), weights=weights)[0]
            visited = self._visited(path.open_ids[: reached + 1])
            end = created + (now - created) * rng.uniform(0.3, 0.95)
        moves = [(visited[0], created)]
        if len(visited) > 1:
            span = (end - created).total_seconds()
            points = sorted(rng.random() for _ in range(len(visited) - 2))
            for stage_id, share in zip(visited[1:-1], points, strict=True):
                moves.append((stage_id, created + datetime.timedelta(seconds=span * share)))
            moves.append((visited[-1], end))
        currency = self._currency(country)
        amount = self._amount(currency)
        if closed_at is not None:
            expected = closed_at.date()
        else:
            expected = self.today + day * rng.randint(-90, 365)
        pattern = rng.choice(DEAL_PATTERNS[country])
        name = pattern.format(o=rng.choice(OBJECTS[country]))
        row: dict[str, Any] = {
            "id": pk,
            "name": f"{name} #{pk}",
            "pipeline_id": path.pipeline_id,
            "stage_id": visited[-1],
            "amount": amount,
            "currency": currency,
            "expected_close": expected,
            "source_id": rng.choice(self.g.sources),
            "campaign": rng.choice(CAMPAIGNS),
            "is_closed": closed_at is not None,
            "is_won": is_won,
            "closed_at": closed_at,
            "won_reason_id": rng.choice(self.won_reasons) if is_won else None,
            "lost_reason_id": rng.choice(self.lost_reasons)
            if closed_at is not None and not is_won
            else None,
            "stage_entered_at": moves[-1][1],
            "custom": {},
            "created_at": created,
            "updated_at": moves[-1][1],
            "version": len(moves),
        }
        return row, moves

    def _visited(self, open_ids: tuple[int, ...]) -> list[int]:
        """The open stages a deal went through up to its last one; some middle ones skipped."""
        if len(open_ids) <= 2:
            return list(open_ids)
        middle = [s for s in open_ids[1:-1] if self.rng.random() > 0.15]
        return [open_ids[0], *middle, open_ids[-1]]

    def _currency(self, country: str) -> str:
        share = {"FR": 0.6, "GB": 0.3}.get(country, 0.0)
        return "EUR" if self.rng.random() < share else "RUB"

    def _amount(self, currency: str) -> Decimal:
        """Design contracts: log-normal around 1.5M RUB / 25k EUR, rounded like a person would."""
        if currency == "RUB":
            value = round(self.rng.lognormvariate(math.log(1_500_000), 0.8), -3)
            return Decimal(int(max(value, 50_000)))
        value = round(self.rng.lognormvariate(math.log(25_000), 0.8), -2)
        return Decimal(int(max(value, 1_000)))

    # --- orders, invoices, payments ----------------------------------------------------------
    def orders(self, line_target: int) -> None:
        """An order per won deal (its contract split into lines), then repeat orders from the
        catalogue until the lines reach ``line_target``."""
        g = self.g
        company_count = len(g.company_owner)
        if not company_count or not line_target:
            return
        with transaction.atomic():
            self.products = ensure_products()
        self.order_numbers = NumberBook("order")
        self.invoice_numbers = NumberBook("invoice")
        self.order_id = _next_id(Order)
        self.line_id = _next_id(OrderLine)
        self.invoice_id = _next_id(Invoice)
        self.buyers = sorted({w.company_index for w in self.won}) or list(range(company_count))
        ins = self.inserter
        self.batch = {
            "orders": ins(Order, with_id=True),
            "order lines": ins(OrderLine, with_id=True),
            "invoices": ins(Invoice, with_id=True),
            "invoice lines": ins(InvoiceLine, with_id=False),
            "payments": ins(Payment, with_id=False),
            "audit entries": ins(AuditEntry, with_id=False),
        }
        self.lines_done = 0
        started = time.monotonic()
        won = self.won
        self.won = []
        index = 0
        while self.lines_done < line_target:
            with transaction.atomic():
                for _ in range(max(1, g.batch_size // 5)):
                    if self.lines_done >= line_target:
                        break
                    if index < len(won):
                        self._won_order(won[index], line_target)
                        index += 1
                    else:
                        self._repeat_order(line_target)
                for label, inserter in self.batch.items():
                    g._count(label, inserter.flush())
            g._report("order lines", self.lines_done, line_target, started)
        with transaction.atomic():
            self.order_numbers.save()
            self.invoice_numbers.save()

    def _won_order(self, deal: WonDeal, line_target: int) -> None:
        rng = self.rng
        count = min(rng.randint(2, len(CONTRACT_LINES)), line_target - self.lines_done)
        chosen = CONTRACT_LINES[:count]
        share_total = sum(share for _d, share in chosen)
        drafts = []
        left = deal.amount
        for position, (description, share) in enumerate(chosen):
            if position == len(chosen) - 1:
                price = left
            else:
                price = pricing.money(deal.amount * share / share_total)
                left -= price
            drafts.append(
                pricing.LineDraft(
                    description=description,
                    quantity=Decimal("1"),
                    unit_price=price,
                    unit=str(Unit.SERVICE),
                    tax_rate=VAT,
                )
            )
        self._order(
            company_index=deal.company_index,
            owner=deal.owner_id,
            team=deal.team_id,
            currency=deal.currency,
            ordered_on=deal.closed_on,
            deal_id=deal.deal_id,
            channel=Order.Channel.QUOTE.value,
            drafts=drafts,
        )

    def _repeat_order(self, line_target: int) -> None:
        g = self.g
        rng = self.rng
        if rng.random() < 0.8:
            company_index = rng.choice(self.buyers)
        else:
            company_index = rng.randrange(len(g.company_owner))
        country = g.company_country[company_index]
        currency = self._currency(country)
        count = min(rng.randint(1, 9), line_target - self.lines_done)
        drafts = []
        for product_id, unit, price, name in rng.sample(self.products, k=count):
            unit_price = price if currency == "RUB" else pricing.money(price * EUR_PER_RUB)
            if unit in ("m2", "m", "kg"):
                quantity = Decimal(rng.randint(50, 5000))
            elif unit == "h":
                quantity = Decimal(rng.randint(4, 120))
            else:
                quantity = Decimal(rng.randint(1, 12))
            drafts.append(
                pricing.LineDraft(
                    description=name,
                    quantity=quantity,
                    unit_price=unit_price,
                    unit=unit,
                    discount_percent=Decimal(rng.choice((0, 0, 0, 0, 5, 10))),
                    tax_rate=VAT,
                    product_id=product_id,
                )
            )
        self._order(
            company_index=company_index,
            owner=g.company_owner[company_index],
            team=g.company_team[company_index] or None,
            currency=currency,
            ordered_on=self.today - datetime.timedelta(days=rng.randint(0, 730)),
            deal_id=None,
            channel=rng.choice(("phone", "phone", "email", "web", "meeting")),
            drafts=drafts,
        )

    def _order(
        self,
        *,
        company_index: int,
        owner: int,
        team: int | None,
        currency: str,
        ordered_on: datetime.date,
        deal_id: int | None,
        channel: str,
        drafts: list[pricing.LineDraft],
    ) -> None:
        g = self.g
        rng = self.rng
        totals = pricing.compute(drafts)
        pk = self.order_id
        self.order_id += 1
        company_id = g.company_first_id + company_index
        age = (self.today - ordered_on).days
        if age > 60:
            status = rng.choices(("completed", "confirmed", "cancelled"), weights=(85, 10, 5))[0]
        else:
            status = rng.choices(("new", "confirmed", "completed"), weights=(30, 40, 30))[0]
        created = datetime.datetime.combine(
            ordered_on, datetime.time(rng.randint(8, 18), rng.randint(0, 59)), datetime.UTC
        )
        number = self.order_numbers.next(ordered_on)
        self.batch["orders"].add(
            {
                "id": pk,
                "number": number,
                "company_id": company_id,
                "currency": currency,
                "subtotal": totals.subtotal,
                "discount_total": totals.discount_total,
                "tax_total": totals.tax_total,
                "total": totals.total,
                "status": status,
                "channel": channel,
                "deal_id": deal_id,
                "ordered_on": ordered_on,
                "fulfilled_at": created + datetime.timedelta(days=30)
                if status == "completed"
                else None,
                "owner_id": owner,
                "team_id": team,
                "created_at": created,
                "updated_at": created,
                "version": 1,
            }
        )
        line_ids = []
        for position, (draft, amounts) in enumerate(zip(drafts, totals.lines, strict=True)):
            line_ids.append(self.line_id)
            self.batch["order lines"].add(
                {
                    "id": self.line_id,
                    "order_id": pk,
                    **_line_fields(position, draft, amounts),
                }
            )
            self.line_id += 1
        self.lines_done += len(drafts)
        self.batch["audit entries"].add(
            g._audit_row(
                actor_id=owner,
                object_type="order",
                object_id=pk,
                object_repr=number,
                changes={
                    "number": [None, number],
                    "total": [None, str(totals.total)],
                    "currency": [None, currency],
                    "lines": [None, len(drafts)],
                },
                timestamp=created,
                related_id=company_id,
            )
        )
        invoiced_share = {"completed": 0.7, "confirmed": 0.3}.get(status, 0.0)
        if rng.random() < invoiced_share:
            self._invoice(
                order_id=pk,
                company_id=company_id,
                owner=owner,
                team=team,
                currency=currency,
                ordered_on=ordered_on,
                drafts=drafts,
                totals=totals,
                line_ids=line_ids,
            )

    def _invoice(
        self,
        *,
        order_id: int,
        company_id: int,
        owner: int,
        team: int | None,
        currency: str,
        ordered_on: datetime.date,
        drafts: list[pricing.LineDraft],
        totals: pricing.Totals,
        line_ids: list[int],
    ) -> None:
        g = self.g
        rng = self.rng
        issued = min(ordered_on + datetime.timedelta(days=rng.randint(0, 10)), self.today)
        age = (self.today - issued).days
        if age > 30:
            status = rng.choices(("paid", "partial", "issued"), weights=(80, 10, 10))[0]
        else:
            status = rng.choices(("paid", "partial", "issued"), weights=(30, 20, 50))[0]
        payments: list[Decimal] = []
        if status == "paid":
            if rng.random() < 0.3 and totals.total >= Decimal("0.02"):
                first = pricing.money(totals.total * Decimal(rng.randint(30, 70)) / 100)
                payments = [first, totals.total - first]
            else:
                payments = [totals.total]
        elif status == "partial":
            payments = [pricing.money(totals.total * Decimal(rng.randint(20, 80)) / 100)]
        payments = [p for p in payments if p > 0]
        pk = self.invoice_id
        self.invoice_id += 1
        number = self.invoice_numbers.next(issued)
        created = datetime.datetime.combine(issued, datetime.time(10, 0), datetime.UTC)
        self.batch["invoices"].add(
            {
                "id": pk,
                "number": number,
                "company_id": company_id,
                "currency": currency,
                "subtotal": totals.subtotal,
                "discount_total": totals.discount_total,
                "tax_total": totals.tax_total,
                "total": totals.total,
                "order_id": order_id,
                "status": status if payments or status == "issued" else "issued",
                "issued_on": issued,
                "due_on": issued + datetime.timedelta(days=14),
                "amount_paid": sum(payments, Decimal("0")),
                "owner_id": owner,
                "team_id": team,
                "created_at": created,
                "updated_at": created,
                "version": 1 + len(payments),
            }
        )
        for position, (draft, amounts, line_id) in enumerate(
            zip(drafts, totals.lines, line_ids, strict=True)
        ):
            self.batch["invoice lines"].add(
                {
                    "invoice_id": pk,
                    "order_line_id": line_id,
                    **_line_fields(position, draft, amounts),
                }
            )
        for amount in payments:
            paid_on = min(issued + datetime.timedelta(days=rng.randint(0, 30)), self.today)
            at = datetime.datetime.combine(paid_on, datetime.time(12, 0), datetime.UTC)
            self.batch["payments"].add(
                {
                    "invoice_id": pk,
                    "amount": amount,
                    "paid_on": paid_on,
                    "method_id": rng.choice(self.payment_methods),
                    "reference": f"PP-{pk}-{len(payments)}",
                    "created_by_id": owner,
                    "created_at": at,
                    "updated_at": at,
                    "version": 1,
                }
            )
        self.batch["audit entries"].add(
            g._audit_row(
                actor_id=owner,
                object_type="invoice",
                object_id=pk,
                object_repr=number,
                changes={
                    "number": [None, number],
                    "total": [None, str(totals.total)],
                    "order_id": [None, order_id],
                },
                timestamp=created,
                related_id=company_id,
            )
        )


def _line_fields(
    position: int, draft: pricing.LineDraft, amounts: pricing.LineAmounts
) -> dict[str, Any]:
    return {
        "position": position,
        "product_id": draft.product_id,
        "description": draft.description,
        "configuration": [],
        "quantity": draft.quantity,
        "unit": draft.unit,
        "unit_price": draft.unit_price,
        "discount_percent": draft.discount_percent,
        "tax_rate": draft.tax_rate,
        "net_amount": amounts.net,
        "tax_amount": amounts.tax,
        "total_amount": amounts.total,
    }
