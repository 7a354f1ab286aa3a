"""When a group QR code expires, read from GeWe's `qrTips`.

GeWe's tip reads like `该二维码7天内(1月5日前)有效，重新进入将更新`: "valid for 7 days (until 5 January)".
The date carries no year and is in China's time zone, so the year is inferred from when the code was
fetched.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo

from dateutil import tz  # type: ignore[import-untyped,unused-ignore]  # stubs: types-python-dateutil

__all__ = ["QR_VALIDITY", "SHANGHAI", "parse_qr_expiry"]

# dateutil finds the system's tz database or its own bundled data; should both be missing, Shanghai
# has been a fixed UTC+8 with no daylight saving since 1991, so a fixed offset is equally right today.
SHANGHAI: tzinfo = tz.gettz("Asia/Shanghai") or tz.tzoffset("CST", 8 * 3600)

QR_VALIDITY = timedelta(days=7)
"""How long a group QR code is valid, per GeWe's docs; used when the tip names no date."""

# "1月5日前" or "2027年1月5日前" ("before [2027-]01-05"), inside ASCII or full-width parentheses or none.
_BEFORE_DATE = re.compile(
    r"(?:(?P<year>\d{4})\s*年\s*)?(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*[日号]\s*前"
)

# A month/day without a year may be up to 8 years away (29 February); look no further.
_YEARS_AHEAD = 8


def _midnight(year: int, month: int, day: int) -> datetime | None:
    """00:00 Asia/Shanghai on that date, or None when the date does not exist."""
    try:
        return datetime(year, month, day, tzinfo=SHANGHAI)
    except ValueError:
        return None


def parse_qr_expiry(tips: str | None, fetched_at: datetime) -> datetime:
    """The moment a group QR code stops working, as an Asia/Shanghai datetime.

    "(1月5日前)" in `tips` means the code expires at 00:00 on 5 January, Asia/Shanghai time, on the first
    such date after `fetched_at` (fetched 2026-12-30 -> 2027-01-05 00:00+08:00). An explicit year
    ("2027年1月5日前") is used as written. ASCII or full-width parentheses and any surrounding text are
    fine.

    When `tips` is None, empty, names no date, or names one that does not exist (2月30日), the result is
    `fetched_at` plus the documented 7-day validity.

    Args:
        tips: the reply's `qrTips`.
        fetched_at: when the code was fetched. A naive datetime is taken as Asia/Shanghai local time
            (not the machine's local time); pass an aware one to avoid any doubt.

    Returns:
        A timezone-aware datetime whose tzinfo is Asia/Shanghai.
    """
    if fetched_at.tzinfo is None or fetched_at.utcoffset() is None:
        fetched_at = fetched_at.replace(tzinfo=SHANGHAI)
    fetched_local = fetched_at.astimezone(SHANGHAI)

    match = _BEFORE_DATE.search(tips or "")
    if match is not None:
        month, day = int(match["month"]), int(match["day"])
        if match["year"] is not None:
            expiry = _midnight(int(match["year"]), month, day)
            if expiry is not None:
                return expiry
        else:
            for year in range(fetched_local.year, fetched_local.year + _YEARS_AHEAD + 1):
                expiry = _midnight(year, month, day)
                if expiry is not None and expiry > fetched_at:
                    return expiry
    # Elapsed time, not wall-clock time: add the 7 days in UTC.
    return (fetched_at.astimezone(UTC) + QR_VALIDITY).astimezone(SHANGHAI)
