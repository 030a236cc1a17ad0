"""Cost of service per client and contract, and engineer utilisation (V5), summed in SQL over
the work orders the user may see (finished in the period for costs; time logged in the
period for utilisation)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from accord.core.models import User
from accord.fieldservice.models import TimeEntry, WorkOrder
from accord.fieldservice.selectors import work_orders_visible_to

ZERO = Decimal("0")
DEFAULT_DAY = datetime.timedelta(hours=8)


def _bounds(
    start: datetime.date, end: datetime.date
) -> tuple[datetime.datetime, datetime.datetime]:
    tz = timezone.get_current_timezone()
    return (
        datetime.datetime.combine(start, datetime.time.min, tzinfo=tz),
        datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz),
    )


@dataclass
class CostRow:
    key: int | None
    label: str
    currency: str
    visits: int = 0
    work_hours: Decimal = ZERO
    travel_hours: Decimal = ZERO
    travel_km: Decimal = ZERO
    labour: Decimal = ZERO
    travel: Decimal = ZERO
    materials: Decimal = ZERO
    total: Decimal = ZERO


@dataclass
class CostReport:
    group: str
    rows: list[CostRow] = field(default_factory=list)
    totals: dict[str, CostRow] = field(default_factory=dict)  # per currency


GROUPS = {"company": ("company", "company__name"), "contract": ("contract", "contract__number")}


def _money(value: Any) -> Decimal:
    """A summed amount back to kopecks (SQLite sums decimals as floats)."""
    return Decimal(str(value or 0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _hours(seconds: Any) -> Decimal:
    return (Decimal(seconds or 0) / Decimal(3600)).quantize(Decimal("0.01"))


def cost_report(
    user: User,
    start: datetime.date,
    end: datetime.date,
    *,
    group: str = "company",
    company_id: int | None = None,
    contract_id: int | None = None,
    limit: int = 500,
) -> CostReport:
    """Done visits finished in [start, end], summed per client or per contract (one GROUP BY
    query); the rows biggest first, totals per currency."""
    key, label = GROUPS.get(group, GROUPS["company"])
    since, until = _bounds(start, end)
    visits = work_orders_visible_to(user).filter(
        status=WorkOrder.Status.DONE, finished_at__gte=since, finished_at__lt=until
    )
    if company_id:
        visits = visits.filter(company_id=company_id)
    if contract_id:
        visits = visits.filter(contract_id=contract_id)
    aggregated = (
        visits.values(key, label, "currency")
        .annotate(
            visits=Count("id"),
            work=Sum("work_seconds"),
            travel_time=Sum("travel_seconds"),
            km=Sum("travel_km"),
            labour=Sum("labour_cost"),
            travel=Sum("travel_cost"),
            materials=Sum("materials_cost"),
            total=Sum("total_cost"),
        )
        .order_by("-total", label)[:limit]
    )
    report = CostReport(group=group if group in GROUPS else "company")
    for values in aggregated:
        row = CostRow(
            key=values[key],
            label=values[label] or "",
            currency=values["currency"],
            visits=values["visits"],
            work_hours=_hours(values["work"]),
            travel_hours=_hours(values["travel_time"]),
            travel_km=Decimal(str(values["km"] or 0)).quantize(Decimal("0.1")),
            labour=_money(values["labour"]),
            travel=_money(values["travel"]),
            materials=_money(values["materials"]),
            total=_money(values["total"]),
        )
        report.rows.append(row)
        total = report.totals.setdefault(row.currency, CostRow(None, "", row.currency))
        for name in (
            "visits",
            "work_hours",
            "travel_hours",
            "travel_km",
            "labour",
            "travel",
            "materials",
            "total",
        ):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    return report


# --- utilisation ---------------------------------------------------------------------------


def working_seconds(start: datetime.date, end: datetime.date) -> int:
    """Working time of one engineer in [start, end] from the default working calendar (its
    weekly hours, holidays and transferred working days); Monday to Friday, 8 hours a day,
    when no calendar is set up."""
    from accord.sla.models import Holiday, WorkCalendar, WorkingHours

    calendar = WorkCalendar.objects.filter(is_default=True).first()
    per_weekday: dict[int, int] = {}
    exceptions: dict[datetime.date, bool] = {}
    if calendar is not None:
        for hours in WorkingHours.objects.filter(calendar=calendar):
            span = datetime.datetime.combine(start, hours.end) - datetime.datetime.combine(
                start, hours.start
            )
            per_weekday[hours.weekday] = per_weekday.get(hours.weekday, 0) + int(
                span.total_seconds()
            )
        exceptions = dict(
            Holiday.objects.filter(calendar=calendar, date__gte=start, date__lte=end).values_list(
                "date", "is_working_day"
            )
        )
    if not per_weekday:
        per_weekday = dict.fromkeys(range(5), int(DEFAULT_DAY.total_seconds()))
    usual_day = max(per_weekday.values())
    total = 0
    day = start
    while day <= end:
        if day in exceptions:
            total += usual_day if exceptions[day] else 0
        else:
            total += per_weekday.get(day.weekday(), 0)
        day += datetime.timedelta(days=1)
    return total


@dataclass
class UtilisationRow:
    engineer: User
    work_hours: Decimal
    travel_hours: Decimal
    visits: int
    available_hours: Decimal

    @property
    def logged_hours(self) -> Decimal:
        return self.work_hours + self.travel_hours

    @property
    def percent(self) -> int:
        if not self.available_hours:
            return 0
        return int((self.logged_hours * 100 / self.available_hours).to_integral_value())


def utilisation_report(
    user: User, start: datetime.date, end: datetime.date, engineers: list[User]
) -> list[UtilisationRow]:
    """Per engineer: hours logged working and travelling on visible work orders in the
    period, visits finished, against the working hours of the period (two GROUP BY queries)."""
    since, until = _bounds(start, end)
    ids = [engineer.pk for engineer in engineers]
    visible = work_orders_visible_to(user).values("pk")
    seconds: dict[tuple[int, str], int] = {}
    rows = (
        TimeEntry.objects.filter(
            engineer_id__in=ids,
            started_at__gte=since,
            started_at__lt=until,
            ended_at__isnull=False,
            work_order__in=visible,
        )
        .values("engineer_id", "kind")
        .annotate(total=Sum("duration_seconds"))
        .values_list("engineer_id", "kind", "total")
    )
    for engineer_id, kind, total in rows:
        seconds[(engineer_id, kind)] = int(total or 0)
    visits = dict(
        User.objects.filter(pk__in=ids)
        .annotate(
            visits=Count(
                "work_order_rows",
                filter=Q(
                    work_order_rows__work_order__status=WorkOrder.Status.DONE,
                    work_order_rows__work_order__finished_at__gte=since,
                    work_order_rows__work_order__finished_at__lt=until,
                    work_order_rows__work_order__in=visible,
                ),
            )
        )
        .values_list("pk", "visits")
    )
    available = _hours(working_seconds(start, end))
    return [
        UtilisationRow(
            engineer=engineer,
            work_hours=_hours(seconds.get((engineer.pk, TimeEntry.Kind.WORK))),
            travel_hours=_hours(seconds.get((engineer.pk, TimeEntry.Kind.TRAVEL))),
            visits=visits.get(engineer.pk, 0),
            available_hours=available,
        )
        for engineer in engineers
    ]
