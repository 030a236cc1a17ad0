"""The sales side of the demo organisation (issue #3): our company details, the example
catalogue, leads, deals in every stage, a quote, an order shipped in part, an invoice paid in
part and a design project, all written through the services of the sales apps (so the demo
also shows their audit trail on the client cards).

Loaded after the clients of ``accord demo``; ``is_loaded`` looks for the first demo deal, so an
organisation loaded before issue #3 gets its sales data on the next ``accord demo`` and a
second run changes nothing.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accord.catalog import configurator
from accord.catalog.examples import STATION_SKU, create_example_catalog
from accord.catalog.models import Product
from accord.catalog.selectors import default_price_list, price_of, tax_rate_of
from accord.commerce import seller
from accord.commerce.models import Invoice, Order, Quote
from accord.commerce.pricing import LineDraft
from accord.commerce.services_invoices import invoice_create, payment_create
from accord.commerce.services_orders import order_set_status, shipment_create
from accord.commerce.services_quotes import (
    quote_accept,
    quote_create,
    quote_mark_sent,
)
from accord.core.models import PicklistOption, User
from accord.ops import synthetic
from accord.parties.models import Company, Contact
from accord.projects.models import ProjectTemplate
from accord.projects.services import project_create, stage_set_status
from accord.sales.models import Deal, Pipeline, Stage
from accord.sales.services_deals import deal_create, deal_move
from accord.sales.services_leads import lead_convert, lead_create, lead_set_status

FIRST_DEAL = "Проект реконструкции котельной"  # its existence means this part was loaded

# (manager, deal name, amount, stage position or "won"/"lost", reason code)
DEALS: tuple[tuple[str, str, str, object, str], ...] = (
    ("manager", FIRST_DEAL, "1850000", "won", "expertise"),
    ("manager", "Рабочая документация склада", "920000", 0, ""),
    ("manager", "Изыскания под жилой комплекс", "640000", 1, ""),
    ("manager", "Проект школы на 550 мест", "4300000", 2, ""),
    ("manager", "Реконструкция моста через Исеть", "7800000", 3, ""),
    ("manager", "Проект бизнес-центра класса B", "3100000", 4, ""),
    ("manager", "Экспертиза проекта ТЦ", "380000", "lost", "price"),
    ("manager2", "Études d'un entrepôt logistique", "48000", 0, ""),
    ("manager2", "Maîtrise d'œuvre d'une école", "126000", 1, ""),
    ("manager2", "Diagnostic structure de bureaux", "22000", 2, ""),
    ("manager2", "Études d'un gymnase", "87000", 3, ""),
    ("manager2", "Plans d'exécution d'un pont", "210000", 4, ""),
    ("manager2", "Réhabilitation d'un hôtel", "156000", "won", "relationship"),
    ("manager2", "Extension d'un collège", "64000", "lost", "competitor"),
)

# (owner, status, full name, organisation, position, e-mail, phone, country, city, amount)
LEADS: tuple[tuple[str, str, str, str, str, str, str, str, str, str], ...] = (
    (
        "manager",
        "new",
        "Кузнецов Андрей Павлович",
        "ООО «Северстройпроект»",
        "Главный инженер",
        "a.kuznetsov@severstroy.example",
        "+7 812 555-01-23",
        "RU",
        "Санкт-Петербург",
        "1200000",
    ),
    (
        "manager",
        "qualified",
        "Орлова Марина Сергеевна",
        "АО «Камадорпроект»",
        "Руководитель отдела закупок",
        "orlova@kamador.example",
        "+7 343 555-44-10",
        "RU",
        "Екатеринбург",
        "2600000",
    ),
    (
        "manager",
        "converted",
        "Соколов Игорь Викторович",
        "ООО «Байкалэнергопроект»",
        "Генеральный директор",
        "sokolov@baikalenergo.example",
        "+7 383 555-77-00",
        "RU",
        "Новосибирск",
        "3400000",
    ),
    (
        "manager2",
        "new",
        "Sophie Martin",
        "Atelier Martin Architectes",
        "Architecte",
        "s.martin@atelier-martin.example",
        "+33 4 72 55 10 20",
        "FR",
        "Lyon",
        "35000",
    ),
    (
        "manager2",
        "contacted",
        "Luc Bernard",
        "Bernard Structures SAS",
        "Directeur technique",
        "luc.bernard@bernard-structures.example",
        "+33 1 45 55 20 30",
        "FR",
        "Paris",
        "58000",
    ),
)


def is_loaded() -> bool:
    return Deal.objects.filter(name=FIRST_DEAL).exists()


class SalesDemo:
    """Builds the sales data for the demo users; ``users`` maps demo usernames to users."""

    def __init__(
        self, *, users: dict[str, User], seed: int, say: Callable[[str], None] | None = None
    ) -> None:
        self.users = users
        self.rng = random.Random(seed)
        self.say = say or (lambda _line: None)
        self.today = timezone.localdate()
        self.counts: dict[str, int] = {}
        self.pipeline = Pipeline.objects.get(is_default=True)
        self.stages = list(self.pipeline.stages.filter(is_active=True).order_by("position", "id"))

    def load(self) -> dict[str, int]:
        self.seller_profile()
        self.products = create_example_catalog(self.users["admin"])
        self.leads()
        deals = self.deals()
        self.quote_order_invoice(deals)
        self.project(deals)
        return self.counts

    # --- our company --------------------------------------------------------------------------
    def seller_profile(self) -> None:
        """A Russian design firm as the letterhead, unless an administrator already gave ours."""
        profile = seller.get_seller_profile()
        if profile.inn:
            return
        rng = random.Random(77)
        seller.seller_profile_update(
            actor=self.users["admin"],
            fields={
                "name": "Аккорд Проект",
                "legal_name": "Общество с ограниченной ответственностью «Аккорд Проект»",
                "country": "RU",
                "address": "125009, г. Москва, ул. Тверская, д. 7, офис 412",
                "phone": "+7 495 555-12-34",
                "email": "info@accord-proekt.example",
                "website": "https://accord-proekt.example/",
                "inn": synthetic.company_inn(rng, "77"),
                "kpp": synthetic.company_kpp("77"),
                "ogrn": synthetic.company_ogrn(rng, "77"),
                "bank_details": (
                    "Р/с 40702810938000012345 в ПАО «Демобанк», г. Москва\n"
                    "К/с 30101810400000000225, БИК 044525999"
                ),
                "quote_validity_days": 30,
                "payment_terms_days": 10,
                "quote_footer": "Цены указаны с НДС 20 %. Срок действия предложения — 30 дней.",
            },
        )

    # --- leads --------------------------------------------------------------------------------
    def leads(self) -> None:
        sources = list(PicklistOption.objects.filter(picklist="source", is_active=True))
        for index, row in enumerate(LEADS):
            owner, status, name, organisation, position, email, phone, country, city, amount = row
            actor = self.users[owner]
            lead = lead_create(
                actor=actor,
                fields={
                    "full_name": name,
                    "company_name": organisation,
                    "position": position,
                    "email": email,
                    "phone": phone,
                    "country": country,
                    "city": city,
                    "source": sources[index % len(sources)] if sources else None,
                    "campaign": "Exhibition 2026" if index % 2 else "",
                    "estimated_amount": Decimal(amount),
                    "currency": "RUB" if country == "RU" else "EUR",
                    "inn": synthetic.company_inn(random.Random(index), "78")
                    if country == "RU"
                    else "",
                },
                assign_automatically=False,
            )
            if status in ("contacted", "qualified"):
                lead = lead_set_status(actor=actor, lead=lead, status=status)
            elif status == "converted":
                lead = lead_set_status(actor=actor, lead=lead, status="qualified")
                lead_convert(actor=actor, lead=lead, deal_name=f"Энергоаудит: {organisation}")
        self.counts["leads"] = len(LEADS)
        self.say(f"leads: {len(LEADS)}")

    # --- deals --------------------------------------------------------------------------------
    def _clients_of(self, user: User) -> list[Company]:
        return list(Company.objects.filter(owner=user).order_by("id")[:40])

    def deals(self) -> dict[str, Deal]:
        """Deals in every stage of the default pipeline for both managers, moved stage by stage
        so each has its history; won and lost ones carry their reason."""
        open_stages = [s for s in self.stages if s.kind == Stage.Kind.OPEN]
        won = next(s for s in self.stages if s.kind == Stage.Kind.WON)
        lost = next(s for s in self.stages if s.kind == Stage.Kind.LOST)
        sources = list(PicklistOption.objects.filter(picklist="source", is_active=True))
        reasons = {
            (o.picklist, o.code): o
            for o in PicklistOption.objects.filter(picklist__in=("won_reason", "lost_reason"))
        }
        clients = {name: self._clients_of(self.users[name]) for name in ("manager", "manager2")}
        made: dict[str, Deal] = {}
        for index, (owner, name, amount, target, reason) in enumerate(DEALS):
            actor = self.users[owner]
            mine = clients[owner]
            if not mine:
                continue
            company = mine[index % len(mine)]
            contact = Contact.objects.filter(employments__company=company).order_by("id").first()
            deal = deal_create(
                actor=actor,
                company=company,
                name=name,
                amount=Decimal(amount),
                currency="RUB" if owner == "manager" else "EUR",
                expected_close=self.today + datetime.timedelta(days=15 + 20 * index),
                source=sources[index % len(sources)] if sources else None,
                contacts=[contact] if contact else [],
            )
            if isinstance(target, int):
                path = open_stages[1 : target + 1]
                final: Stage | None = None
            else:
                path = open_stages[1:]
                final = won if target == "won" else lost
                if target == "lost":
                    path = open_stages[1:3]
            for stage in path:
                deal = deal_move(actor=actor, deal=deal, stage=stage)
            if final is not None:
                option = reasons.get(("won_reason" if target == "won" else "lost_reason", reason))
                deal = deal_move(
                    actor=actor,
                    deal=deal,
                    stage=final,
                    won_reason=option if target == "won" else None,
                    lost_reason=option if target == "lost" else None,
                )
            made[name] = deal
        self.counts["deals"] = len(made)
        self.say(f"deals: {len(made)}")
        return made

    # --- quote → order → shipment → invoice → payment ----------------------------------------
    def _lines(self, currency: str) -> list[LineDraft]:
        """Catalogue lines: two services and the configured pumping station (two units)."""
        price_list = default_price_list(currency)
        if price_list is None:
            return []
        lines = []
        by_sku = {p.sku: p for p in self.products}
        for sku, quantity in (("SRV-SURVEY", "1"), ("SRV-DESIGN-H", "120")):
            product = by_sku.get(sku)
            price = price_of(product, price_list) if product is not None else None
            if product is None or price is None:
                continue
            lines.append(
                LineDraft(
                    description=product.name,
                    quantity=Decimal(quantity),
                    unit_price=price,
                    unit=product.unit,
                    tax_rate=tax_rate_of(product),
                    product_id=product.pk,
                )
            )
        station = Product.objects.filter(sku=STATION_SKU).first()
        if station is not None:
            lines.append(
                configurator.configure(
                    product=station,
                    option_codes=["v380", "motor-3ph", "remote", "gsm"],
                    price_list=price_list,
                    quantity=Decimal("2"),
                )
            )
        return lines

    def quote_order_invoice(self, deals: dict[str, Deal]) -> None:
        """A draft quote on a deal being negotiated, and on the won deal the whole chain: quote
        sent and accepted, order confirmed and shipped in part, invoice paid in part."""
        manager = self.users["manager"]
        proposal = deals.get("Проект школы на 550 мест")
        if proposal is not None:
            quote_create(actor=manager, deal=proposal, lines=self._lines(proposal.currency))
        won = deals.get(FIRST_DEAL)
        lines = self._lines(won.currency) if won is not None else []
        if won is None or not lines:
            return
        quote = quote_create(actor=manager, deal=won, lines=lines)
        contact = quote.contact
        quote = quote_mark_sent(
            actor=manager, quote=quote, sent_to=_email_of(contact) or "client@example.com"
        )
        quote_accept(actor=manager, quote=quote)
        order = Order.objects.get(quote=quote)
        order = order_set_status(actor=manager, order=order, status=Order.Status.CONFIRMED)
        station_line = order.lines.filter(product__sku=STATION_SKU).first()
        first_line = station_line or order.lines.order_by("position", "id").first()
        if first_line is not None:
            shipment_create(
                actor=manager,
                order=order,
                quantities={first_line.pk: Decimal("1")},
                carrier="ПЭК",
                tracking_number="DEMO-0001",
            )
        invoice = invoice_create(actor=manager, order=order, issue=True)
        payment_create(
            actor=manager,
            invoice=invoice,
            amount=(invoice.total * Decimal("0.3")).quantize(Decimal("0.01")),
            reference="п/п 1375",
            method=PicklistOption.objects.filter(
                picklist="payment_method", code="bank_transfer"
            ).first(),
        )
        self.counts["quotes"] = Quote.objects.count()
        self.counts["orders"] = Order.objects.count()
        self.counts["invoices"] = Invoice.objects.count()
        self.say("quotes, order, shipment, invoice and payment: done")

    # --- a design project ---------------------------------------------------------------------
    def project(self, deals: dict[str, Deal]) -> None:
        won = deals.get(FIRST_DEAL)
        template = ProjectTemplate.objects.filter(is_active=True).order_by("id").first()
        if won is None:
            return
        project = project_create(
            actor=self.users["manager"],
            deal=won,
            template=template,
            start_date=self.today - datetime.timedelta(days=45),
            code="ПР-2026-017",
            contract_number="17/26-П",
            contract_date=self.today - datetime.timedelta(days=50),
        )
        stages = list(project.stages.order_by("position", "id"))
        if stages:
            stage_set_status(actor=self.users["manager"], stage=stages[0], status="in_progress")
            stage_set_status(
                actor=self.users["manager"],
                stage=stages[0],
                status="done",
                completed_on=self.today - datetime.timedelta(days=10),
            )
        if len(stages) > 1:
            stage_set_status(actor=self.users["manager"], stage=stages[1], status="in_progress")
        self.counts["projects"] = 1
        self.say("project: 1")


def _email_of(contact: Any) -> str:
    if contact is None:
        return ""
    point = contact.contact_points.filter(kind="email").order_by("-is_primary", "id").first()
    return point.value if point is not None else ""
