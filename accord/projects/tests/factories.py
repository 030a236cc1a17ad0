"""Helpers for project tests: a deal made directly (the deals part has its own tests) and the
seeded default template."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone

from accord.core.models import User
from accord.parties.models import Company
from accord.projects.models import ProjectTemplate


def default_template() -> ProjectTemplate:
    return ProjectTemplate.objects.get(name="Design contract")


def make_deal(*, owner: User, company: Company, amount: str = "500000.00", **fields: Any) -> Any:
    from accord.sales.models import Deal, Pipeline

    pipeline = Pipeline.objects.order_by("id").first()
    assert pipeline is not None
    stage = pipeline.stages.order_by("position", "id").first()  # type: ignore[attr-defined]
    return Deal.objects.create(
        name=fields.pop("name", "Office building, design"),
        company=company,
        pipeline=pipeline,
        stage=stage,
        amount=Decimal(amount),
        currency=fields.pop("currency", "RUB"),
        owner=owner,
        stage_entered_at=timezone.now(),
        **fields,
    )
