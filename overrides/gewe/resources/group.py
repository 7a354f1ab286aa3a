"""The `group` module, with the group QR returned as a `GroupQrCode` (image, expiry, join link)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Unpack

from gewe_api.api import CallOptions
from gewe_api.api import group as generated

from ..group_qr import GroupQrCode


class GroupResource(generated.GroupResource):
    __slots__ = ()

    def get_chatroom_qr_code(
        self,
        *,
        app_id: str | None = None,
        chatroom_id: str,
        **options: Unpack[CallOptions],
    ) -> GroupQrCode:
        """获取群二维码: the group's QR code, valid for 7 days.

        Returns a `GroupQrCode`: the generated data plus `.image` (decoded), `.tips`,
        `.expires_at` (Asia/Shanghai) and `.url` (the join link; needs `gewe-sdk[qr]`).
        """
        data = super().get_chatroom_qr_code(app_id=app_id, chatroom_id=chatroom_id, **options)
        return GroupQrCode.from_data(data, fetched_at=datetime.now(UTC))


class AsyncGroupResource(generated.AsyncGroupResource):
    __slots__ = ()

    async def get_chatroom_qr_code(
        self,
        *,
        app_id: str | None = None,
        chatroom_id: str,
        **options: Unpack[CallOptions],
    ) -> GroupQrCode:
        """获取群二维码: see `GroupResource.get_chatroom_qr_code`."""
        data = await super().get_chatroom_qr_code(app_id=app_id, chatroom_id=chatroom_id, **options)
        return GroupQrCode.from_data(data, fetched_at=datetime.now(UTC))
