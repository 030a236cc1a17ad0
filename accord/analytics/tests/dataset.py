"""A small hand-made sales history whose every report figure is worked out by hand in the tests.

Two managers in two teams (Anna in North office, Boris in South office), deals in two
pipelines and two currencies, stage changes, won and lost deals with reasons, leads, orders
in March 2026 and in the 31 days before, and activities. Records are created with the ORM
directly: the reports read what is stored, whichever service stored it.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from accord.activities.models import Activity
from accord.commerce.models import Order
from accord.core.models import Picklist, PicklistOption, Team, User
from accord.core.testing import TeamFactory, user_with_role
from accord.parties.models import Company
from accord.parties.tests.factories import make_company
from accord.sales.models import Deal, Lead, Pipeline, Stage, StageChange

MSK = zoneinfo.ZoneInfo("Europe/Moscow")


def at(day: str, time: str = "12:00") -> datetime.datetime:
    """A Moscow wall-clock time (the managers' time zone)."""
    return datetime.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=MSK)


@dataclass
class Dataset:
    team_a: Team
    team_b: Team
    anna: User
    boris: User
    head: User
    design: Pipeline
    equipment: Pipeline
    stages: dict[str, Stage]
    companies: dict[str, Company]
    deals: dict[str, Deal]
    options: dict[str, PicklistOption]


def _option(picklist: str, code: str, label: str, position: int, **labels: str) -> PicklistOption:
    return PicklistOption.objects.create(
        picklist=picklist, code=code, label=label, position=position, **labels
    )


def build() -> Dataset:
    team_a, team_b = TeamFactory(name="North office"), TeamFactory(name="South office")
    anna = user_with_role(
        "sales_manager", team=team_a, first_name="Anna", last_name="Alpha", username="anna"
    )
    boris = user_with_role(
        "sales_manager", team=team_b, first_name="Boris", last_name="Beta", username="boris"
    )
    head = user_with_role("head_of_sales", first_name="Helen", last_name="Head", username="head")
    options = {
        "north": _option(Picklist.REGION, "t-north", "North", 50, label_ru="Север"),
        "south": _option(Picklist.REGION, "t-south", "South", 51),
        "web": _option(Picklist.SOURCE, "t-web", "Website", 50),
        "referral": _option(Picklist.SOURCE, "t-referral", "Referral", 51),
        "price": _option(Picklist.LOST_REASON, "t-price", "Price too high", 50),
    }
    companies = {
        "a1": make_company(owner=anna, name="Alpha Works", region=options["north"]),
        "a2": make_company(owner=anna, name="Alpha Two"),
        "a3": make_company(owner=anna, name="Alpha Three", region=options["north"]),
        "b1": make_company(owner=boris, name="Beta Build", region=options["south"]),
    }
    design = Pipeline.objects.get(is_default=True)
    equipment = Pipeline.objects.create(name="Equipment", position=1)
    stages = {f"d{s.position}": s for s in design.stages.all()}
    stages["e-open"] = Stage.objects.create(
        pipeline=equipment, name="Offer", kind="open", probability=30, position=0
    )
    stages["e-won"] = Stage.objects.create(
        pipeline=equipment, name="Won", kind="won", probability=100, position=1
    )
    stages["e-lost"] = Stage.objects.create(
        pipeline=equipment, name="Lost", kind="lost", probability=0, position=2
    )
    # design stages: d0 Enquiry 10 %, d1 Technical assignment 20 %, d2 Commercial proposal
    # 40 %, d3 Negotiation 60 %, d4 Contract 80 %, d5 Won, d6 Lost

    def deal(
        name: str,
        owner: User,
        company: str,
        stage: str,
        amount: str,
        currency: str,
        created: datetime.datetime,
        *,
        closed: datetime.datetime | None = None,
        expected: str | None = None,
        source: str | None = None,
        lost_reason: str | None = None,
        moves: tuple[str, ...] = (),
    ) -> Deal:
        stage_obj = stages[stage]
        record = Deal.objects.create(
            name=name,
            owner=owner,
            company=companies[company],
            pipeline=stage_obj.pipeline,
            stage=stage_obj,
            amount=Decimal(amount),
            currency=currency,
            expected_close=datetime.date.fromisoformat(expected) if expected else None,
            source=options[source] if source else None,
            lost_reason=options[lost_reason] if lost_reason else None,
            is_closed=stage_obj.kind != "open",
            is_won=stage_obj.kind == "won",
            closed_at=closed,
            created_at=created,
            stage_entered_at=closed or created,
        )
        previous = None
        for step, move in enumerate(moves):
            StageChange.objects.create(
                deal=record,
                from_stage=previous,
                to_stage=stages[move],
                at=created + datetime.timedelta(hours=step),
                amount=record.amount,
            )
            previous = stages[move]
        return record

    deals = {
        # open
        "D1": deal("D1", anna, "a1", "d0", "1000.00", "RUB", at("2026-03-02"),
                   expected="2026-03-15", source="web"),
        "D2": deal("D2", anna, "a1", "d3", "2000.00", "RUB", at("2026-03-05"),
                   expected="2026-04-10", source="web", moves=("d0", "d1", "d2", "d3")),
        "D3": deal("D3", boris, "b1", "d2", "500.00", "EUR", at("2026-02-20"),
                   expected="2026-03-20", source="referral"),
        "D4": deal("D4", boris, "b1", "e-open", "300.00", "EUR", at("2026-03-10"),
                   expected="2026-03-31"),
        # won: W1 created at 00:30 Moscow on 1 March (still 28 February in UTC)
        "W1": deal("W1", anna, "a1", "d5", "3000.00", "RUB", at("2026-03-01", "00:30"),
                   closed=at("2026-03-11", "00:30"), source="web",
                   moves=("d0", "d1", "d4", "d5")),
        # won at 23:30 Moscow on 31 March (20:30 UTC): March for a Moscow reader
        "W2": deal("W2", boris, "b1", "d5", "1000.00", "EUR", at("2026-03-11", "23:30"),
                   closed=at("2026-03-31", "23:30"), source="referral"),
        # won at 00:30 Moscow on 1 April (still 31 March in UTC): not in March
        "X1": deal("X1", anna, "a1", "d5", "9999.00", "RUB", at("2026-03-25"),
                   closed=at("2026-04-01", "00:30"), source="web"),
        # lost
        "L1": deal("L1", anna, "a2", "d6", "1500.00", "RUB", at("2026-03-03"),
                   closed=at("2026-03-20"), source="web", lost_reason="price",
                   moves=("d0", "d1", "d2", "d6")),
        "L2": deal("L2", boris, "b1", "d6", "700.00", "EUR", at("2026-02-01"),
                   closed=at("2026-03-15"), lost_reason="price"),
        "L3": deal("L3", boris, "b1", "e-lost", "200.00", "EUR", at("2026-03-12"),
                   closed=at("2026-03-25")),
    }  # fmt: skip

    for full_name, owner, region, source, created in (
        ("Lead North", anna, "north", "web", at("2026-03-05")),
        ("Lead South", boris, "south", "referral", at("2026-03-06")),
        ("Lead February", anna, "north", "web", at("2026-02-10")),
    ):
        Lead.objects.create(
            full_name=full_name,
            owner=owner,
            region=options[region],
            source=options[source],
            created_at=created,
        )

    number = {"n": 0}

    def order(company: str, owner: User, currency: str, total: str, day: str, **extra: Any) -> None:
        number["n"] += 1
        Order.objects.create(
            number=f"O-{number['n']}",
            company=companies[company],
            owner=owner,
            currency=currency,
            total=Decimal(total),
            ordered_on=datetime.date.fromisoformat(day),
            **extra,
        )

    # March 2026
    order("a1", anna, "RUB", "100.00", "2026-03-02")
    order("a1", anna, "RUB", "200.00", "2026-03-20")
    order("b1", boris, "EUR", "50.00", "2026-03-10")
    order("a2", anna, "RUB", "400.00", "2026-03-15", status=Order.Status.CANCELLED)
    order("a2", anna, "RUB", "70.00", "2026-03-25")
    # the 31 days before: 29 January – 28 February
    order("a1", anna, "RUB", "10.00", "2026-02-10")
    order("b1", boris, "EUR", "20.00", "2026-01-30")
    order("a3", anna, "RUB", "30.00", "2026-02-15")
    # earlier still: in neither period
    order("a2", anna, "RUB", "99.00", "2026-01-10")

    def activity(owner: User, kind: str, when: datetime.datetime, **extra: Any) -> None:
        Activity.objects.create(owner=owner, kind=kind, subject=kind, at=when, **extra)

    activity(anna, "call", at("2026-03-05"), outcome="reached")
    activity(anna, "call", at("2026-03-31", "23:00"), outcome="no_answer")
    activity(anna, "meeting", at("2026-03-10"), is_done=True, done_at=at("2026-03-10"))
    activity(anna, "task", at("2026-03-14"), is_done=True, done_at=at("2026-03-15"))
    activity(anna, "task", at("2026-03-16"))
    activity(anna, "task", at("2026-03-30"), is_done=True, done_at=at("2026-04-01", "10:00"))
    activity(anna, "note", at("2026-03-12"))
    activity(boris, "call", at("2026-03-03"), outcome="reached")
    activity(boris, "meeting", at("2026-03-12"), is_done=True, done_at=at("2026-03-12"))
    activity(boris, "call", at("2026-02-28"))

    return Dataset(
        team_a, team_b, anna, boris, head, design, equipment, stages, companies, deals, options
    )
