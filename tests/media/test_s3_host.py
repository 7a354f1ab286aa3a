"""`S3MediaHost` against a real S3-compatible server run locally (moto's server mode, started and
stopped by its PID): presigned GET URLs that GeWe (the fake) fetches, objects deleted after."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gewe import AsyncGeweClient, GeweClient, GeweMediaError
from gewe.media import set_media_host
from gewe.testing import FakeGewe
from tests.conftest import TOKEN
from tests.support import media_samples
from tools.servers import LOOPBACK, free_port, start_server

boto3 = pytest.importorskip("boto3")
pytest.importorskip("moto")
pytest.importorskip("av")
pytest.importorskip("pysilk")

BUCKET = "bot-media"


@pytest.fixture(scope="module")
def s3() -> Iterator[Any]:
    port = free_port()
    cmd = [sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(port)]
    with start_server(cmd, port=port, name="moto-server", timeout=60):
        client = boto3.client(
            "s3",
            endpoint_url=f"http://{LOOPBACK}:{port}",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        client.create_bucket(Bucket=BUCKET)
        yield client


def objects(client: Any) -> list[str]:
    return [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_media_through_presigned_urls(s3: Any, mode: str) -> None:
    from gewe.media.s3 import S3MediaHost

    host = S3MediaHost(BUCKET, client=s3, ttl=120)
    voice = media_samples.audio("mp3", 1.5)
    with FakeGewe(token=TOKEN, app_id="wx_app") as fake:
        if mode == "sync":
            with GeweClient(token=TOKEN, app_id="wx_app", base_url=fake.base_url) as client:
                set_media_host(client, host)
                client.message.send_image("wxid_f", media_samples.png())
                client.message.send_voice("wxid_f", voice)
        else:

            async def main() -> None:
                async with AsyncGeweClient(token=TOKEN, app_id="wx_app", base_url=fake.base_url) as client:
                    await client.message.send_image("wxid_f", media_samples.png(), host=host)
                    await client.message.send_voice("wxid_f", voice, host=host)

            asyncio.run(main())
    assert [(c.op, c.problems) for c in fake.calls()] == [
        ("message.postImage", ()),
        ("message.postVoice", ()),
    ]  # fetched from S3 and checked: a PNG, SILK as long as stated
    assert [f.field for f in fake.fetched] == ["imgUrl", "voiceUrl"]
    image_url = fake.calls("message.postImage")[0]["imgUrl"]
    assert "Signature=" in image_url and "Expires=" in image_url  # presigned
    assert objects(s3) == []  # deleted once each send returned
    assert httpx.get(image_url, timeout=10).status_code == 404


def test_an_unreachable_store_is_a_media_error_and_nothing_is_sent() -> None:
    from gewe.media.s3 import S3MediaHost

    port = free_port()  # nothing listens there
    host = S3MediaHost(
        BUCKET,
        endpoint_url=f"http://{LOOPBACK}:{port}",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=__import__("botocore.config").config.Config(retries={"max_attempts": 1}, connect_timeout=2),
    )
    assert "testing" not in repr(host)
    with (
        FakeGewe(token=TOKEN, app_id="wx_app") as fake,
        GeweClient(token=TOKEN, app_id="wx_app", base_url=fake.base_url) as client,
        pytest.raises(GeweMediaError, match="uploading to s3://bot-media/gewe-media/ failed"),
    ):
        client.message.send_image("wxid_f", media_samples.png(), host=host)
    assert fake.calls() == []
