"""gewe.expiry: when a group QR code expires, from GeWe's qrTips."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from gewe.expiry import SHANGHAI, parse_qr_expiry

SEED_TIPS = "该二维码7天内(1月5日前)有效，重新进入将更新"
CST = timezone(timedelta(hours=8))


def at(*args: int) -> datetime:
    """A datetime in China Standard Time (UTC+8)."""
    return datetime(*args, tzinfo=CST)  # type: ignore[misc]


def assert_shanghai(value: datetime) -> None:
    assert value.tzinfo is SHANGHAI
    assert value.utcoffset() == timedelta(hours=8)


def test_seed_tips_within_the_same_year() -> None:
    expires = parse_qr_expiry(SEED_TIPS, at(2026, 1, 1, 9, 30))
    assert expires == at(2026, 1, 5)
    assert_shanghai(expires)
    assert expires.isoformat() == "2026-01-05T00:00:00+08:00"


def test_year_rolls_over() -> None:
    expires = parse_qr_expiry(SEED_TIPS, at(2026, 12, 30, 18, 0))
    assert expires.isoformat() == "2027-01-05T00:00:00+08:00"


def test_date_later_in_the_same_year() -> None:
    assert parse_qr_expiry("该二维码7天内(3月8日前)有效", at(2026, 3, 1, 12)) == at(2026, 3, 8)


def test_date_that_already_passed_this_year_means_next_year() -> None:
    # Exactly at the tip's midnight: that moment is not "after" the fetch, so the next one is meant.
    assert parse_qr_expiry(SEED_TIPS, at(2026, 1, 5)) == at(2027, 1, 5)


def test_fetch_time_is_compared_in_shanghai_not_utc() -> None:
    # 15:30 UTC on 4 Jan is 23:30 on 4 Jan in Shanghai: the code has half an hour left, not a year.
    fetched = datetime(2026, 1, 4, 15, 30, tzinfo=UTC)
    expires = parse_qr_expiry(SEED_TIPS, fetched)
    assert expires == at(2026, 1, 5)
    assert expires - fetched == timedelta(minutes=30)
    # 20:00 UTC on 31 Dec is already 1 Jan in Shanghai, so "1月8日" is in the new year.
    assert parse_qr_expiry("(1月8日前)", datetime(2026, 12, 31, 20, tzinfo=UTC)) == at(2027, 1, 8)


@pytest.mark.parametrize(
    ("tips", "expected"),
    [
        ("该二维码7天内(2028年1月5日前)有效", at(2028, 1, 5)),
        ("(2026年1月5日前)", at(2026, 1, 5)),  # an explicit year is taken as written, even if past
        ("有效期至 2027 年 3 月 9 日前", at(2027, 3, 9)),
    ],
)
def test_explicit_year(tips: str, expected: datetime) -> None:
    assert parse_qr_expiry(tips, at(2026, 6, 1)) == expected


@pytest.mark.parametrize(
    "tips",
    [
        "该二维码7天内（1月5日前）有效，重新进入将更新",  # full-width parentheses
        "该二维码7天内(1月5日前)有效",
        "1月5日前",  # no parentheses at all
        "二维码 ( 1 月 5 日 前 ) 有效",  # spaces
        "该二维码7天内（１月５日前）有效",  # full-width digits
        "扫码入群 (01月05号前)",  # leading zeros, 号 for 日
    ],
)
def test_tip_spellings(tips: str) -> None:
    assert parse_qr_expiry(tips, at(2025, 12, 29, 10)) == at(2026, 1, 5)


@pytest.mark.parametrize(
    "tips",
    [
        None,
        "",
        "该二维码7天内有效，重新进入将更新",
        "(2月30日前)",
        "(13月1日前)",
        "(0月5日前)",
        "(2027年2月29日前)",
    ],
)
def test_no_usable_date_means_seven_days(tips: str | None) -> None:
    fetched = at(2026, 12, 30, 23, 45, 10)
    expires = parse_qr_expiry(tips, fetched)
    assert expires == at(2027, 1, 6, 23, 45, 10)
    assert_shanghai(expires)


def test_seven_day_fallback_is_expressed_in_shanghai() -> None:
    expires = parse_qr_expiry(None, datetime(2026, 6, 1, 0, 0, tzinfo=UTC))
    assert expires.isoformat() == "2026-06-08T08:00:00+08:00"
    assert_shanghai(expires)


def test_leap_day_without_year_waits_for_a_leap_year() -> None:
    assert parse_qr_expiry("(2月29日前)", at(2026, 2, 20)) == at(2028, 2, 29)
    assert parse_qr_expiry("(2月29日前)", at(2028, 2, 22)) == at(2028, 2, 29)


def test_naive_fetched_at_is_shanghai_local_time() -> None:
    # Read as UTC, 23:30 on 4 Jan would be 07:30 on 5 Jan in Shanghai and the answer a year later.
    assert parse_qr_expiry(SEED_TIPS, datetime(2026, 1, 4, 23, 30)) == at(2026, 1, 5)
    assert parse_qr_expiry(None, datetime(2026, 1, 4, 23, 30)) == at(2026, 1, 11, 23, 30)


def test_every_day_of_three_years_agrees_with_fetch_plus_seven_days() -> None:
    # What GeWe does: on day D it writes D+7 into the tip. Reading it back must give D+7, across month
    # ends, year ends and a leap year.
    day = date(2026, 1, 1)
    while day < date(2029, 1, 1):
        fetched = at(day.year, day.month, day.day, 13, 5)
        until = day + timedelta(days=7)
        tips = f"该二维码7天内({until.month}月{until.day}日前)有效，重新进入将更新"
        assert parse_qr_expiry(tips, fetched) == at(until.year, until.month, until.day), day
        day += timedelta(days=1)
