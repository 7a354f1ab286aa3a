"""gewe.group_qr: the GroupQrCode that client.group.get_chatroom_qr_code(...) returns."""

from __future__ import annotations

import base64
import io
import sys
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from PIL import Image as PILImage

from gewe import group_qr
from gewe.errors import GeweDependencyError, GeweImageError, GeweResponseError
from gewe.expiry import SHANGHAI
from gewe.group_qr import GroupQrCode
from gewe_api.models import GroupGetChatroomQrCodeData
from gewe_api.types import UNSET
from tests.conftest import qr_example

SEED_URL = "https://weixin.qq.com/g/AQYAAAjK1NA9j2hVoPmsY1P2fpIsN3bgTzsyQMxRNk2NMhn2Tnt7-aFqD_uVpXmi"
CST = timezone(timedelta(hours=8))
FETCHED = datetime(2025, 12, 29, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def seed_data() -> dict[str, Any]:
    """The data of the seed page's reply example (the tests' own copy, tests/fixtures/seed)."""
    data: dict[str, Any] = qr_example()["data"]
    return data


def seed_qr(fetched_at: datetime = FETCHED) -> GroupQrCode:
    return GroupQrCode.from_data(GroupGetChatroomQrCodeData.from_dict(seed_data()), fetched_at)


def png_base64() -> str:
    buffer = io.BytesIO()
    PILImage.new("RGB", (30, 30), "white").save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def test_is_the_generated_model() -> None:
    qr = seed_qr()
    assert isinstance(qr, GroupGetChatroomQrCodeData)
    assert issubclass(GroupQrCode, GroupGetChatroomQrCodeData)


def test_from_data_keeps_every_field() -> None:
    wire = {**seed_data(), "expireTime": 1767542400}
    data = GroupGetChatroomQrCodeData.from_dict(wire)
    qr = GroupQrCode.from_data(data, FETCHED)
    assert qr.qr_base64 == data.qr_base64
    assert qr.qr_tips == data.qr_tips
    assert qr.fetched_at == FETCHED
    assert qr["expireTime"] == 1767542400
    # The wire format is unchanged: fetched_at is ours, not GeWe's.
    assert qr.to_dict() == wire
    # Its extra properties are a copy, not shared with the generated object.
    qr["note"] = "mine"
    assert "note" not in data


def test_seed_reply_end_to_end() -> None:
    qr = seed_qr()
    assert qr.image.mime_type == "image/jpeg"
    assert qr.image.data[:3] == b"\xff\xd8\xff"
    assert qr.tips == "该二维码7天内(1月5日前)有效，重新进入将更新"
    assert qr.expires_at == datetime(2026, 1, 5, tzinfo=CST)
    assert qr.expires_at.tzinfo is SHANGHAI
    assert qr.url == SEED_URL


def test_expires_at_rolls_into_the_next_year() -> None:
    qr = seed_qr(datetime(2026, 12, 30, 9, 0, tzinfo=CST))
    assert qr.expires_at.isoformat() == "2027-01-05T00:00:00+08:00"


def test_expires_at_without_a_date_is_seven_days() -> None:
    qr = GroupQrCode(qr_base64=png_base64(), qr_tips="", fetched_at=FETCHED)
    assert qr.expires_at == FETCHED + timedelta(days=7)
    assert qr.expires_at.utcoffset() == timedelta(hours=8)


def test_image_and_url_are_computed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real_decode_image, real_decode_url = group_qr.decode_image, group_qr.decode_qr_url

    def decode_image(value: str) -> Any:
        calls.append("image")
        return real_decode_image(value)

    def decode_qr_url(image: Any) -> str:
        calls.append("url")
        return real_decode_url(image)

    monkeypatch.setattr(group_qr, "decode_image", decode_image)
    monkeypatch.setattr(group_qr, "decode_qr_url", decode_qr_url)
    qr = seed_qr()
    assert qr.url == SEED_URL
    assert qr.url == SEED_URL
    assert qr.image is qr.image
    assert calls == ["image", "url"]


def test_bad_image_fails_on_use_not_on_construction() -> None:
    qr = GroupQrCode(qr_base64="bm90IGFuIGltYWdl", qr_tips="(1月5日前)", fetched_at=FETCHED)
    assert qr.expires_at == datetime(2026, 1, 5, tzinfo=CST)  # the rest still works
    with pytest.raises(GeweImageError, match="not a JPEG"):
        _ = qr.image
    with pytest.raises(GeweImageError):
        _ = qr.url


def test_image_without_a_qr_code() -> None:
    qr = GroupQrCode(qr_base64=png_base64(), qr_tips="", fetched_at=FETCHED)
    assert qr.image.mime_type == "image/png"
    with pytest.raises(GeweImageError, match="no QR code"):
        _ = qr.url


def test_url_without_the_qr_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    qr = seed_qr()
    monkeypatch.setitem(sys.modules, "zxingcpp", None)
    with pytest.raises(GeweDependencyError, match=r"pip install 'gewe-sdk\[qr\]'"):
        _ = qr.url
    assert qr.image.mime_type == "image/jpeg"  # the image alone needs no extra


def test_fetched_at_must_be_timezone_aware() -> None:
    data = GroupGetChatroomQrCodeData.from_dict(seed_data())
    with pytest.raises(ValueError, match="timezone-aware"):
        GroupQrCode.from_data(data, datetime(2026, 1, 1, 12, 0))
    with pytest.raises(TypeError, match="must be a datetime"):
        GroupQrCode.from_data(data, "2026-01-01T12:00:00+08:00")  # type: ignore[arg-type]


def test_from_dict_still_works_on_the_subclass() -> None:
    before = datetime.now(UTC)
    qr = GroupQrCode.from_dict({**seed_data(), "extra": 1})
    assert isinstance(qr, GroupQrCode)
    assert before <= qr.fetched_at <= datetime.now(UTC)
    assert qr["extra"] == 1
    assert GroupQrCode.from_dict(seed_data(), fetched_at=FETCHED).fetched_at == FETCHED


def test_equality_includes_fetched_at() -> None:
    assert seed_qr() == seed_qr()
    assert seed_qr() != seed_qr(FETCHED + timedelta(seconds=1))


def test_repr_does_not_dump_the_image() -> None:
    qr = seed_qr()
    text = repr(qr)
    assert qr.qr_base64[:30] not in text
    assert len(text) < 300
    assert "1月5日前" in text
    assert f"<{len(qr.qr_base64)} chars>" in text


# --- a lenient reply kept a field of the wrong type -----------------------------------------------


def lenient_qr(**wire: Any) -> GroupQrCode:
    return GroupQrCode.from_dict({**seed_data(), **wire}, FETCHED)


@pytest.mark.parametrize(
    ("wire", "attribute", "field"),
    [
        ({"qrTips": True}, "tips", "data.qrTips"),
        ({"qrTips": True}, "expires_at", "data.qrTips"),
        ({"qrTips": ["(1月5日前)"]}, "expires_at", "data.qrTips"),
        ({"qrBase64": 12345}, "image", "data.qrBase64"),
        ({"qrBase64": None}, "url", "data.qrBase64"),
        ({"qrBase64": {"a": 1}}, "image", "data.qrBase64"),
    ],
)
def test_a_field_of_the_wrong_type_is_a_response_error_naming_it(
    wire: dict[str, Any], attribute: str, field: str
) -> None:
    qr = lenient_qr(**wire)
    with pytest.raises(GeweResponseError) as info:
        getattr(qr, attribute)
    assert info.value.field == field
    assert f"{field} is " in str(info.value)


def test_repr_and_expiry_survive_any_field() -> None:
    qr = lenient_qr(qrBase64=12345, qrTips=None)
    assert "qr_base64=<int>" in repr(qr) and "qr_tips=None" in repr(qr)
    assert qr.expires_at == FETCHED + timedelta(days=7)  # no tips: the documented 7 days
    with pytest.raises(GeweResponseError, match=r"data\.qrTips is null, expected string"):
        _ = qr.tips


def test_from_dict_reports_what_it_kept() -> None:
    seen: list[tuple[str, Any, str]] = []
    qr = GroupQrCode.from_dict({"qrBase64": 1}, FETCHED, report=lambda *args: seen.append(args), path="data")
    assert (qr.qr_base64, qr.qr_tips) == (1, None)
    assert sorted(seen, key=str) == sorted(
        [("data.qrBase64", 1, "string"), ("data.qrTips", UNSET, "string")], key=str
    )
