"""Derived names (tools/gewe_spec/names.py): shape, uniqueness, stability."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tools.gewe_spec import SpecError
from tools.gewe_spec.names import (
    NameRegistry,
    derive,
    pascal_case,
    property_class_part,
    python_name,
    snake_case,
)

SOURCE = "exports/page.md"


def test_names_of_the_group_qr_endpoint() -> None:
    names = derive(SOURCE, "/gewe/v2/api/group/getChatroomQrCode")
    assert names.module == "group"
    assert names.operation_id == "groupGetChatroomQrCode"
    assert names.function == "group_get_chatroom_qr_code"
    assert names.method == "get_chatroom_qr_code"
    assert names.model("Request") == "GroupGetChatroomQrCodeRequest"
    assert names.model("Data") == "GroupGetChatroomQrCodeData"


def test_the_same_last_segment_in_two_modules_gives_distinct_names() -> None:
    contacts = derive(SOURCE, "/gewe/v2/api/contacts/search")
    label = derive(SOURCE, "/gewe/v2/api/label/search")
    assert contacts.method == label.method == "search"
    assert contacts.operation_id != label.operation_id
    assert contacts.function != label.function
    assert contacts.model("Data") != label.model("Data")


@pytest.mark.parametrize(
    "path",
    [
        "/gewe/v2/api/group",
        "/gewe/v2/api/group/",
        "/gewe/v2/api/group/admin/getQrCode",
        "/gewe/v1/api/group/getQrCode",
        "/api/group/getQrCode",
        "/gewe/v2/api/Group/getQrCode",
        "/gewe/v2/api/group/get-qr-code",
        "/gewe/v2/api/group/{id}",
        "/gewe/v2/api/group/getQrCode?x=1",
        "gewe/v2/api/group/getQrCode",
    ],
)
def test_paths_outside_the_gewe_shape_are_errors(path: str) -> None:
    with pytest.raises(SpecError) as info:
        derive(SOURCE, path)
    assert info.value.source == SOURCE
    assert path in info.value.problem
    assert "/gewe/v2/api/<module>/<operation>" in info.value.problem


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("/gewe/v2/api/group/import", "Python keyword"),
        ("/gewe/v2/api/class/getQrCode", "Python keyword"),
    ],
)
def test_names_that_would_break_the_client_are_errors(path: str, problem: str) -> None:
    with pytest.raises(SpecError, match=problem):
        derive(SOURCE, path)


@pytest.mark.parametrize(
    ("path", "method", "model"),
    [
        ("/gewe/v2/api/message/downloadEmojiMd5", "download_emoji_md5", "MessageDownloadEmojiMd5Data"),
        ("/gewe/v2/api/login/getQrV1", "get_qr_v1", "LoginGetQrV1Data"),
        ("/gewe/v2/api/im2/send", "send", "Im2SendData"),
        ("/gewe/v2/api/tools/getS3Config", "get_s3_config", "ToolsGetS3ConfigData"),
    ],
)
def test_digits_stay_with_the_word_before_them(path: str, method: str, model: str) -> None:
    names = derive(SOURCE, path)
    assert (names.method, names.model("Data")) == (method, model)
    assert names.function == f"{names.module}_{method}"


@pytest.mark.parametrize(
    ("field", "python"),
    [
        ("qrBase64", "qr_base64"),
        ("fileMd5", "file_md5"),
        ("md5", "md5"),
        ("v1Token", "v1_token"),
        ("QRCode", "qr_code"),
        ("chatroomId", "chatroom_id"),
        ("type", "type_"),
        ("from", "from_"),
        ("list", "list_"),
        ("id", "id"),
        ("2fa", "field_2fa"),
    ],
)
def test_field_names_are_readable_and_keywords_get_an_underscore(field: str, python: str) -> None:
    assert python_name(field) == python


def test_case_functions_keep_digit_runs_whole() -> None:
    assert snake_case("GroupDownloadEmojiMd5Data") == "group_download_emoji_md5_data"
    assert pascal_case("downloadEmojiMd5") == "DownloadEmojiMd5"
    assert snake_case("Response500") == "response500"


def test_property_parts_are_ascii_and_never_empty() -> None:
    assert property_class_part("memberList") == "MemberList"
    assert property_class_part("成员") == "Field"
    assert property_class_part("qr码Code") == "QrCode"


def test_registry_allows_the_same_owner_again_and_rejects_others() -> None:
    registry = NameRegistry()
    registry.claim("model", "GroupGetQrCodeData", "POST /a", "one.md")
    registry.claim("model", "GroupGetQrCodeData", "POST /a", "one.md")
    with pytest.raises(SpecError) as info:
        registry.claim("model", "GroupGetQrCodeData", "POST /b", "two.md")
    assert info.value.source == "two.md"
    assert "one.md" in info.value.problem and "POST /a" in info.value.problem


def test_registry_compares_names_as_python_modules() -> None:
    registry = NameRegistry()
    registry.claim("operation", "groupGetQRCode", "POST /gewe/v2/api/group/getQRCode", "upper.md")
    with pytest.raises(SpecError) as info:
        registry.claim("operation", "groupGetQrCode", "POST /gewe/v2/api/group/getQrCode", "lower.md")
    assert "'group_get_qr_code'" in info.value.problem
    assert "upper.md" in info.value.problem
    # one owner may not use two spellings either: they would be one module file
    registry.claim("model", "AbcQRCode", "POST /x", "x.md")
    with pytest.raises(SpecError, match="'abc_qr_code'"):
        registry.claim("model", "AbcQrCode", "POST /x", "x.md")


segments = st.from_regex(r"[a-z][a-zA-Z]{0,12}", fullmatch=True)


@given(module=st.from_regex(r"[a-z]{1,8}", fullmatch=True), operation=segments)
def test_names_depend_only_on_the_path_and_keep_the_module_prefix(module: str, operation: str) -> None:
    path = f"/gewe/v2/api/{module}/{operation}"
    try:
        names = derive(SOURCE, path)
    except SpecError as exc:
        assert "Python keyword" in exc.problem or "snake_case" in exc.problem
        return
    assert names == derive("elsewhere.md", path)
    assert names.function == f"{module}_{names.method}"
    assert names.operation_id.startswith(module)
    assert names.class_prefix.lower().startswith(module)
    assert names.function.isidentifier() and names.method.isidentifier()
