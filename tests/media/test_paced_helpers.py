"""The helpers send through the client's ordinary call path: its pacing (openapi/pacing.yml says
postImage/postText are sends and downloadImage a download) applies to them as to any method."""

from __future__ import annotations

from gewe import GeweClient
from gewe.events.models import ImageEvent
from gewe.pacing import Pacing, Profile
from gewe.testing import FakeGewe
from tests.conftest import TOKEN
from tests.support import media_samples

GAP = 0.25


def test_sends_and_downloads_take_their_turns() -> None:
    pace = Profile(person=GAP, group=GAP, per_minute=None)
    event = ImageEvent(app_id="wx_app", content="<msg><img/></msg>")
    with FakeGewe(token=TOKEN, app_id="wx_app") as fake:
        fake.reply("message.downloadImage", data={"fileUrl": fake.serve(media_samples.png())})
        pacing = Pacing(send=pace, download=pace)
        with GeweClient(token=TOKEN, app_id="wx_app", base_url=fake.base_url, pacing=pacing) as client:
            client.message.send_image("wxid_f", fake.serve(media_samples.png(), name="img.png"))
            client.message.reply(ImageEvent(app_id="wx_app", chat_id="wxid_f"), "hi")
            client.message.download(event)
            client.message.download(event)
    # each paced call reached GeWe at least the gap after the previous one of its profile returned,
    # so at least the gap after that one arrived (the file fetch after a download is not paced)
    post_image, post_text, first_download, second_download = (c.at for c in fake.calls())
    assert post_text - post_image >= GAP
    assert second_download - first_download >= GAP
    assert [(c.op, c.problems) for c in fake.calls()] == [
        ("message.postImage", ()),
        ("message.postText", ()),
        ("message.downloadImage", ()),
        ("message.downloadImage", ()),
    ]
