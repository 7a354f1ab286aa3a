"""The `message` module, with sends from anywhere (URL, path or bytes) and downloads of what arrives."""

from __future__ import annotations

from gewe_api.api import message as generated


class MessageResource(generated.MessageResource):
    __slots__ = ()


class AsyncMessageResource(generated.AsyncMessageResource):
    __slots__ = ()
