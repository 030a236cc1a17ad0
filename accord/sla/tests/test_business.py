"""Working-time arithmetic: weekends, holidays, transferred Saturdays, lunch breaks, DST."""

from __future__ import annotations

import datetime
import time
from zoneinfo import ZoneInfo

import pytest

from accord.sla.business import (
    NoWorkingTime,
    WorkingTime,
    add_working_minutes,
    working_minutes_between,
)
from accord.sla.models import Holiday, WorkCalendar, WorkingHours

MSK = ZoneInfo("Europe/Moscow")
PARIS = ZoneInfo("Europe/Paris")
T = datetime.time


def office(tz: str = "Europe/Moscow", *, lunch: bool = False) -> WorkingTime:
    """Mon–Fri 9–18, or 9–13 and 14–18 with a lunch break."""
    day = [(T(9), T(13)), (T(14), T(18))] if lunch else [(T(9), T(18))]
    return WorkingTime(ZoneInfo(tz), {weekday: list(day) for weekday in range(5)})


def msk(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=MSK)


# 2026-12-04 is a Friday, 2026-12-07 a Monday.


def test_within_one_day() -> None:
    assert add_working_minutes(office(), msk(2026, 12, 7, 10, 0), 30) == msk(2026, 12, 7, 10, 30)


def test_lands_exactly_on_the_end_of_the_day() -> None:
    assert add_working_minutes(office(), msk(2026, 12, 7, 17, 0), 60) == msk(2026, 12, 7, 18, 0)


def test_across_the_weekend() -> None:
    # Friday 17:00 + 2 h = 1 h on Friday, 1 h on Monday.
    assert add_working_minutes(office(), msk(2026, 12, 4, 17, 0), 120) == msk(2026, 12, 7, 10, 0)
    assert working_minutes_between(office(), msk(2026, 12, 4, 17, 0), msk(2026, 12, 7, 10, 0)) == (
        120
    )


def test_start_outside_hours_begins_at_the_next_opening() -> None:
    assert add_working_minutes(office(), msk(2026, 12, 7, 6, 15), 30) == msk(2026, 12, 7, 9, 30)
    assert add_working_minutes(office(), msk(2026, 12, 7, 20, 0), 30) == msk(2026, 12, 8, 9, 30)
    assert add_working_minutes(office(), msk(2026, 12, 5, 11, 0), 30) == msk(2026, 12, 7, 9, 30)
    assert working_minutes_between(office(), msk(2026, 12, 5, 0, 0), msk(2026, 12, 6, 23, 0)) == 0


def test_lunch_break_is_skipped() -> None:
    cal = office(lunch=True)
    assert add_working_minutes(cal, msk(2026, 12, 7, 12, 30), 60) == msk(2026, 12, 7, 14, 30)
    assert add_working_minutes(cal, msk(2026, 12, 7, 13, 20), 10) == msk(2026, 12, 7, 14, 10)
    assert working_minutes_between(cal, msk(2026, 12, 7, 9, 0), msk(2026, 12, 7, 18, 0)) == 480


def test_holiday_is_a_day_off() -> None:
    cal = office()
    cal.days_off = {datetime.date(2026, 12, 7)}
    assert add_working_minutes(cal, msk(2026, 12, 4, 17, 0), 120) == msk(2026, 12, 8, 10, 0)


def test_transferred_saturday_is_worked_with_weekday_hours() -> None:
    cal = office(lunch=True)
    cal.working_days = {datetime.date(2026, 12, 5)}
    assert add_working_minutes(cal, msk(2026, 12, 4, 17, 0), 120) == msk(2026, 12, 5, 10, 0)
    assert working_minutes_between(cal, msk(2026, 12, 5, 0, 0), msk(2026, 12, 6, 0, 0)) == 480


def test_new_year_holidays_loaded_in_the_database(db: None) -> None:
    calendar = WorkCalendar.objects.create(name="Test office", time_zone="Europe/Moscow")
    for weekday in range(5):
        WorkingHours.objects.create(calendar=calendar, weekday=weekday, start=T(9), end=T(18))
    for day in range(1, 9):
        Holiday.objects.create(calendar=calendar, date=datetime.date(2027, 1, day), name="NY")
    Holiday.objects.create(
        calendar=calendar, date=datetime.date(2027, 1, 9), name="Work", is_working_day=True
    )
    # Thursday 31 Dec 17:00 + 3 h: 1 h on the 31st, then Saturday 9 Jan (worked) 9:00–11:00.
    assert add_working_minutes(calendar, msk(2026, 12, 31, 17, 0), 180) == msk(2027, 1, 9, 11, 0)


def test_paris_daylight_saving_change() -> None:
    # Round-the-clock calendar in Paris: Sunday 29 March 2026 has 23 hours (02:00 -> 03:00).
    cal = WorkingTime(PARIS, {weekday: [(T(0), T(23, 59))] for weekday in range(7)})
    start = datetime.datetime(2026, 3, 29, 0, 0, tzinfo=PARIS)
    end = datetime.datetime(2026, 3, 30, 0, 0, tzinfo=PARIS)
    assert working_minutes_between(cal, start, end) == 23 * 60
    assert add_working_minutes(cal, start, 4 * 60) == datetime.datetime(
        2026, 3, 29, 5, 0, tzinfo=PARIS
    )
    # Autumn: Sunday 25 October 2026 has 25 hours.
    start = datetime.datetime(2026, 10, 25, 0, 0, tzinfo=PARIS)
    assert working_minutes_between(cal, start, start + datetime.timedelta(days=1)) == 25 * 60


def test_paris_office_hours_keep_local_time_across_dst() -> None:
    cal = office("Europe/Paris")
    friday = datetime.datetime(2026, 3, 27, 17, 0, tzinfo=PARIS)  # UTC+1
    due = add_working_minutes(cal, friday, 120)
    assert due == datetime.datetime(2026, 3, 30, 10, 0, tzinfo=PARIS)  # UTC+2 by then
    assert due.astimezone(datetime.UTC) == datetime.datetime(2026, 3, 30, 8, 0, tzinfo=datetime.UTC)


def test_result_is_utc_and_inputs_in_any_zone() -> None:
    start = datetime.datetime(2026, 12, 7, 7, 0, tzinfo=datetime.UTC)  # 10:00 in Moscow
    due = add_working_minutes(office(), start, 60)
    assert due.tzinfo == datetime.UTC
    assert due == msk(2026, 12, 7, 11, 0)


def test_zero_and_negative_targets_are_refused() -> None:
    with pytest.raises(ValueError):
        add_working_minutes(office(), msk(2026, 12, 7, 10, 0), 0)
    with pytest.raises(ValueError):
        add_working_minutes(office(), msk(2026, 12, 7, 10, 0), -5)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        add_working_minutes(office(), datetime.datetime(2026, 12, 7, 10, 0), 10)


def test_calendar_without_hours_is_refused() -> None:
    with pytest.raises(NoWorkingTime):
        add_working_minutes(WorkingTime(MSK, {}), msk(2026, 12, 7, 10, 0), 10)


def test_between_is_negative_backwards_and_zero_for_equal() -> None:
    a, b = msk(2026, 12, 7, 10, 0), msk(2026, 12, 7, 12, 0)
    assert working_minutes_between(office(), b, a) == -120
    assert working_minutes_between(office(), a, a) == 0


def test_targets_of_weeks_are_fast_and_round_trip() -> None:
    cal = office(lunch=True)
    cal.days_off = {datetime.date(2027, 1, d) for d in range(1, 9)}
    start = msk(2026, 12, 7, 11, 17)
    began = time.perf_counter()
    due = add_working_minutes(cal, start, 8 * 60 * 40)  # 40 working days
    elapsed = time.perf_counter() - began
    assert working_minutes_between(cal, start, due) == 8 * 60 * 40
    # 40 working days from 7 Dec with 8 days off in January: 7 Dec + 56 days + ...
    assert due == msk(2027, 2, 9, 11, 17)
    assert elapsed < 1.0


def test_add_and_between_agree_on_many_starts() -> None:
    cal = office(lunch=True)
    cal.days_off = {datetime.date(2026, 12, 9)}
    cal.working_days = {datetime.date(2026, 12, 12)}
    start = msk(2026, 12, 7, 0, 0)
    for step in range(0, 7 * 24 * 60, 97):
        moment = start + datetime.timedelta(minutes=step)
        for minutes in (1, 59, 240, 481, 2000):
            due = add_working_minutes(cal, moment, minutes)
            assert working_minutes_between(cal, moment, due) == minutes
            assert cal.is_working_at(due - datetime.timedelta(seconds=1))
