"""Business-time arithmetic: SLA targets count working minutes of a calendar, not clock time.

A calendar is read once per call into a :class:`WorkingTime` (its hours per weekday, its days
off and its transferred working days), then days are walked whole: each day contributes its
intervals at once, so a target of several weeks costs a few dozen steps, never a loop per
minute. All arithmetic runs on aware datetimes in the calendar's time zone (zoneinfo), so an
interval that spans a daylight-saving change counts its real length.

Conventions:
- an interval ending at 23:59 runs until midnight (a ``TimeField`` cannot hold 24:00), so a
  round-the-clock calendar is 00:00–23:59 every day and counts 1440 minutes a day;
- a transferred working day (a Saturday worked, ``Holiday.is_working_day``) has the hours of
  the first weekday, Monday to Friday, that has any;
- a day off (``Holiday`` without ``is_working_day``) has no hours whatever its weekday.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from accord.sla.models import WorkCalendar

# The longest walk before a calendar is judged to have no working time at all (ten years).
MAX_DAYS = 3660
MIDNIGHT_MARK = datetime.time(23, 59)


class NoWorkingTime(ValueError):
    """The calendar has no working hours in reach: no due time can be computed."""


@dataclass
class WorkingTime:
    """A calendar read into memory for arithmetic: build it once, use it for many cases."""

    time_zone: ZoneInfo
    hours: dict[int, list[tuple[datetime.time, datetime.time]]]
    days_off: set[datetime.date] = field(default_factory=set)
    working_days: set[datetime.date] = field(default_factory=set)

    @classmethod
    def of(cls, calendar: WorkCalendar | WorkingTime) -> WorkingTime:
        if isinstance(calendar, WorkingTime):
            return calendar
        hours: dict[int, list[tuple[datetime.time, datetime.time]]] = {}
        for weekday, start, end in calendar.hours.order_by("weekday", "start").values_list(
            "weekday", "start", "end"
        ):
            hours.setdefault(weekday, []).append((start, end))
        days_off: set[datetime.date] = set()
        working_days: set[datetime.date] = set()
        for day, is_working in calendar.holidays.order_by().values_list("date", "is_working_day"):
            (working_days if is_working else days_off).add(day)
        return cls(ZoneInfo(calendar.time_zone), hours, days_off, working_days)

    @property
    def has_hours(self) -> bool:
        return any(self.hours.values())

    def _intervals_of_day(self, day: datetime.date) -> list[tuple[datetime.time, datetime.time]]:
        if day in self.days_off:
            return []
        if day in self.working_days:
            own = self.hours.get(day.weekday())
            if own:
                return own
            for weekday in range(5):
                if self.hours.get(weekday):
                    return self.hours[weekday]
            return []
        return self.hours.get(day.weekday(), [])

    def intervals(self, day: datetime.date) -> list[tuple[datetime.datetime, datetime.datetime]]:
        """The working intervals of one local day as aware datetimes (UTC-comparable)."""
        result = []
        for start, end in self._intervals_of_day(day):
            begin = datetime.datetime.combine(day, start, tzinfo=self.time_zone)
            if end == MIDNIGHT_MARK:
                finish = datetime.datetime.combine(
                    day + datetime.timedelta(days=1), datetime.time(0), tzinfo=self.time_zone
                )
            else:
                finish = datetime.datetime.combine(day, end, tzinfo=self.time_zone)
            # Compare in UTC: wall-clock arithmetic is wrong across a DST change.
            begin, finish = _utc(begin), _utc(finish)
            if finish > begin:
                result.append((begin, finish))
        return result

    def local_date(self, moment: datetime.datetime) -> datetime.date:
        return moment.astimezone(self.time_zone).date()

    def is_working_at(self, moment: datetime.datetime) -> bool:
        moment = _utc(moment)
        day = self.local_date(moment)
        return any(begin <= moment < end for begin, end in self.intervals(day))


def _utc(moment: datetime.datetime) -> datetime.datetime:
    if moment.tzinfo is None:
        raise ValueError("Business-time arithmetic needs aware datetimes.")
    return moment.astimezone(datetime.UTC)


def add_working_minutes(
    calendar: WorkCalendar | WorkingTime, start: datetime.datetime, minutes: int
) -> datetime.datetime:
    """The moment ``minutes`` working minutes after ``start`` (aware, in UTC).

    Zero or negative minutes are refused: a target is always a positive span of work."""
    if minutes <= 0:
        raise ValueError("minutes must be positive")
    working = WorkingTime.of(calendar)
    if not working.has_hours:
        raise NoWorkingTime("the calendar has no working hours")
    moment = _utc(start)
    remaining = datetime.timedelta(minutes=minutes)
    day = working.local_date(moment) - datetime.timedelta(days=1)  # an interval may cross midnight
    for _step in range(MAX_DAYS):
        for begin, end in working.intervals(day):
            if end <= moment:
                continue
            begin = max(begin, moment)
            available = end - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
            moment = end
        day += datetime.timedelta(days=1)
    raise NoWorkingTime("no working time within ten years")


def working_minutes_between(
    calendar: WorkCalendar | WorkingTime, start: datetime.datetime, end: datetime.datetime
) -> int:
    """Whole working minutes from ``start`` to ``end``; negative when ``end`` is earlier."""
    if end < start:
        return -working_minutes_between(calendar, end, start)
    working = WorkingTime.of(calendar)
    start, end = _utc(start), _utc(end)
    total = datetime.timedelta()
    day = working.local_date(start) - datetime.timedelta(days=1)
    last = working.local_date(end)
    while day <= last:
        for begin, finish in working.intervals(day):
            overlap = min(finish, end) - max(begin, start)
            if overlap > datetime.timedelta():
                total += overlap
        day += datetime.timedelta(days=1)
    return int(total.total_seconds() // 60)
