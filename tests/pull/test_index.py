"""Reading an llms.txt index (tools/gewe_pull/index.py): which links are pages, and their file names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tools.gewe_pull import PullError
from tools.gewe_pull.index import index_url, parse

SITE = "https://docs.example.cn"
URL = f"{SITE}/llms.txt"


def test_link_forms() -> None:
    text = "\n".join(
        [
            "# 文档",
            "> 简介 [首页](/) 与 [本索引](/llms.txt)",
            "## Docs",
            "- [快速开始](https://docs.example.cn/doc-1.md): 说明 [另见](doc-2)",
            "- [带查询](/doc-3?lang=zh#top)",
            "- [HTML 页](/guide/intro.html)",
            "- [目录](/guide/)",
            "- [中文路径](/%E7%BE%A4/%E8%8E%B7%E5%8F%96.md)",
            "- [大写](/API-7.MD)",
            '- [带标题](/doc-4 "标题")',
            "- ![图](/doc-5.png) [图片链接](/a/b.JPG) [包](/x.zip)",
            "- [外站](https://other.example.cn/doc-6.md) [端口不同](https://docs.example.cn:8443/doc-7.md)",
            "- [邮件](mailto:a@b.cn) <https://docs.example.cn/doc-8>",
            "- [重复](https://docs.example.cn/doc-1.md) [重复](/doc-1)",
        ]
    )
    found = parse(text, URL)
    assert [(p.url, p.name) for p in found.pages] == [
        (f"{SITE}/doc-1.md", "doc-1.md"),
        (f"{SITE}/doc-2.md", "doc-2.md"),
        (f"{SITE}/doc-3.md", "doc-3.md"),
        (f"{SITE}/guide/intro.html.md", "guide/intro.html.md"),
        (f"{SITE}/guide/index.html.md", "guide/index.html.md"),
        (f"{SITE}/%E7%BE%A4/%E8%8E%B7%E5%8F%96.md", "群/获取.md"),
        (f"{SITE}/API-7.MD", "API-7.MD"),
        (f"{SITE}/doc-4.md", "doc-4.md"),
        (f"{SITE}/doc-8.md", "doc-8.md"),
    ]
    assert found.pages[0].title == "快速开始"
    assert (found.other_hosts, found.not_pages) == (2, 5)  # home, index, image, .JPG, .zip


def test_a_site_below_a_path_keeps_names_below_it() -> None:
    url = index_url("https://host.example.cn/gewe")
    assert url == "https://host.example.cn/gewe/llms.txt"
    found = parse("- [a](/gewe/api-1) [b](api-2.md) [outside](/other/api-3)", url)
    assert [p.name for p in found.pages] == ["api-1.md", "api-2.md", "other/api-3.md"]


@pytest.mark.parametrize("site", ["doc.geweapi.com", "ftp://doc.geweapi.com", "https://", ""])
def test_a_site_must_be_an_http_url(site: str) -> None:
    with pytest.raises(PullError, match="http:// or https:// URL"):
        index_url(site)


SEGMENT = st.text(alphabet="abcxyz019-_群组", min_size=1, max_size=6)


@given(
    paths=st.lists(st.lists(SEGMENT, min_size=1, max_size=3).map("/".join), min_size=1, max_size=8),
    forms=st.lists(st.sampled_from(["abs", "rel", "md", "dup", "img", "other"]), min_size=8, max_size=8),
)
def test_every_same_site_page_once_whatever_the_link_form(paths: list[str], forms: list[str]) -> None:
    lines = []
    for path, form in zip(paths, forms, strict=False):
        lines.append(
            {
                "abs": f"- [p]({SITE}/{path})",
                "rel": f"- [p]({path})",
                "md": f"- [p](/{path}.md)",
                "dup": f"- [p](/{path}) [p]({SITE}/{path}.md#x)",
                "img": f"- [p](/{path}) ![i](/{path}.png)",
                "other": f"- [p](/{path}) [o](https://elsewhere.example.cn/{path})",
            }[form]
        )
    found = parse("\n".join(lines), URL)
    expected = list(dict.fromkeys(f"{p}.md" for p in paths[: len(forms)]))
    assert [p.name for p in found.pages] == expected
    assert all(p.url.startswith(SITE + "/") and p.url.endswith(".md") for p in found.pages)
