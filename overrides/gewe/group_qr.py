"""`GroupQrCode`: what `client.group.get_chatroom_qr_code(...)` returns.

It is the generated `GroupGetChatroomQrCodeData` (so it fits wherever that type is expected) plus when
it was fetched, and helpers for the image, its expiry and the join link inside it.

A reply that contradicts the spec is kept as it came (unless the client is strict), so the helpers
check the fields they read: a field of the wrong type is a `GeweResponseError` naming it, never a
TypeError.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, Self

from attrs import Attribute, define, field, setters

from gewe_api.models import GroupGetChatroomQrCodeData

from .envelope import mismatch
from .errors import GeweResponseError
from .expiry import parse_qr_expiry
from .images import Image, decode_image
from .qr import decode_qr_url
from .tokens import Redactor

__all__ = ["GroupQrCode"]

OPERATION = "group.getChatroomQrCode"


def _wrong(field: str, value: object, expected: str) -> GeweResponseError:
    path = f"data.{field}"
    return GeweResponseError(mismatch(path, value, expected, Redactor()), operation=OPERATION, field=path)


def _check_aware(_instance: object, _attribute: Attribute[datetime], value: datetime) -> None:
    """attrs validator: `fetched_at` must be a timezone-aware datetime."""
    if not isinstance(value, datetime):
        raise TypeError(f"fetched_at must be a datetime, not {type(value).__name__}")
    if value.utcoffset() is None:
        raise ValueError("fetched_at must be timezone-aware (e.g. datetime.now(timezone.utc))")


# No on-set hooks: the fields are read-only by convention, and setting them stays cheap.
@define(repr=False, on_setattr=setters.NO_OP)
class GroupQrCode(GroupGetChatroomQrCodeData):
    """A group's QR code, as GeWe returned it, with when it was fetched.

    Attributes:
        qr_base64: the QR image as base64 (GeWe's `qrBase64`).
        qr_tips: GeWe's tip about the code's validity (`qrTips`).
        fetched_at: when the reply arrived; timezone-aware. Not part of `to_dict()`, which stays GeWe's
            wire format.

    `image` and `url` are computed on first use and then kept, so treat the fields as read-only.
    """

    fetched_at: datetime = field(kw_only=True, validator=_check_aware)

    @classmethod
    def from_data(cls, data: GroupGetChatroomQrCodeData, fetched_at: datetime) -> Self:
        """Wrap the generated model (its `additional_properties` included) with its fetch time."""
        qr = cls(qr_base64=data.qr_base64, qr_tips=data.qr_tips, fetched_at=fetched_at)
        qr.additional_properties = dict(data.additional_properties)
        return qr

    @classmethod
    def from_dict(
        cls,
        src_dict: Mapping[str, Any],
        fetched_at: datetime | None = None,
        *,
        report: Callable[[str, Any, str], None] | None = None,
        path: str = "",
    ) -> Self:
        """Build from GeWe's `data` object; `fetched_at` defaults to now (UTC); `report` and `path` as
        for the generated `from_dict`."""
        data = GroupGetChatroomQrCodeData.from_dict(src_dict, report=report, path=path)
        return cls.from_data(data, fetched_at if fetched_at is not None else datetime.now(UTC))

    @cached_property
    def image(self) -> Image:
        """The decoded QR image (raises GeweImageError if `qr_base64` is not a valid image, and
        GeweResponseError if it is not a string)."""
        value: object = self.qr_base64
        if not isinstance(value, str):
            raise _wrong("qrBase64", value, "string")
        return decode_image(value)

    @property
    def tips(self) -> str:
        """GeWe's tip, e.g. `该二维码7天内(1月5日前)有效，重新进入将更新` (GeweResponseError if the reply's
        `qrTips` was not a string)."""
        value: object = self.qr_tips
        if not isinstance(value, str):
            raise _wrong("qrTips", value, "string")
        return value

    @property
    def expires_at(self) -> datetime:
        """When the code stops working, in Asia/Shanghai time (see `gewe.expiry.parse_qr_expiry`).

        Without tips (`qrTips` null or missing), the documented 7 days from `fetched_at`.
        """
        value: object = self.qr_tips
        if value is not None and not isinstance(value, str):
            raise _wrong("qrTips", value, "string")
        return parse_qr_expiry(value, self.fetched_at)

    @cached_property
    def url(self) -> str:
        """The join link in the QR code, `https://weixin.qq.com/g/...`.

        Needs the `qr` extra: raises GeweDependencyError without it, GeweImageError if no QR code is found.
        """
        return decode_qr_url(self.image)

    def __repr__(self) -> str:
        value: object = self.qr_base64
        image = f"<{len(value)} chars>" if isinstance(value, str) else f"<{type(value).__name__}>"
        return f"GroupQrCode(qr_tips={self.qr_tips!r}, fetched_at={self.fetched_at!r}, qr_base64={image})"
