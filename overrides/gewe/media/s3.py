"""`S3MediaHost`: S3-compatible object storage (AWS S3, MinIO, R2, OSS/COS in S3 mode, ...).

Each object is uploaded under `prefix` with a random key, handed to GeWe as a presigned GET URL
that expires after `ttl` seconds, and deleted once the send returned. Add a lifecycle rule on the
prefix (expire after one day) to catch objects a crashed process left behind. Needs
`pip install 'gewe-sdk[s3]'` (boto3).
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from ..errors import GeweConfigError, GeweDependencyError, GeweMediaError
from .hosts import DEFAULT_TTL, Hosted, _check_ttl, safe_name


class S3MediaHost:
    """Publishes to `bucket` through a boto3 S3 client (`client=`, or one made from `**client_kwargs`,
    e.g. `endpoint_url=`, `region_name=`, credentials)."""

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "gewe-media/",
        ttl: float = DEFAULT_TTL,
        client: Any = None,
        **client_kwargs: Any,
    ) -> None:
        if not isinstance(bucket, str) or not bucket:
            raise GeweConfigError("bucket must be a bucket name", setting="bucket")
        self.bucket = bucket
        self.prefix = prefix
        self.ttl = _check_ttl(ttl)
        if client is None:
            try:
                import boto3  # type: ignore[import-untyped]
            except ImportError:
                raise GeweDependencyError(
                    "S3MediaHost needs the s3 extra (boto3 is not installed): pip install 'gewe-sdk[s3]'"
                ) from None
            client = boto3.client("s3", **client_kwargs)
        self.client = client

    def __repr__(self) -> str:  # never credentials
        return f"S3MediaHost({self.bucket!r}, prefix={self.prefix!r}, ttl={self.ttl})"

    def publish(self, data: bytes, *, name: str, content_type: str) -> Hosted:
        key = f"{self.prefix}{secrets.token_hex(16)}/{safe_name(name)}"
        try:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)
            url = self.client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=max(1, int(self.ttl))
            )
        except Exception as exc:  # botocore's ClientError, EndpointConnectionError, ...
            raise GeweMediaError(
                f"uploading to s3://{self.bucket}/{self.prefix} failed: {type(exc).__name__}: {exc}"
            ) from None
        return Hosted(str(url), key, time.time() + self.ttl)

    def remove(self, hosted: Hosted) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=hosted.key)
        except Exception:  # the presigned URL expires anyway; never fail a send that succeeded
            import logging

            logging.getLogger("gewe").warning(
                "could not delete s3://%s/%s after the send", self.bucket, hosted.key
            )
