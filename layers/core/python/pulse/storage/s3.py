"""Archive in an S3 bucket (same key layout as locally, under an optional prefix).

:meth:`S3Store.update` is optimistic: read the object and its ETag, compute the
new content, then write it only if the object is still the one read
(``If-Match: <etag>``, or ``If-None-Match: *`` when there was none). S3 answers
412 (or 409 for a race between two conditional writes) when another writer got
there first; the update then starts again from the newer object, after a short
randomised wait.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from pulse.exceptions import ConcurrentUpdateError, NotFoundError, StorageError
from pulse.storage.base import ObjectInfo, ObjectStore, check_key

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


_MISSING = ("NoSuchKey", "404", "NotFound")
#: S3's answers when a conditional write lost the race to another writer.
_CONFLICT = ("PreconditionFailed", "ConditionalRequestConflict", "412", "409")


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class S3Store(ObjectStore):
    """Objects in ``s3://bucket/prefix/...``; the client is created lazily unless given."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        client: S3Client | Any = None,
        *,
        update_attempts: int = 50,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._client = client
        self.location = f"s3://{bucket}/{self.prefix}".rstrip("/")
        self.update_attempts = update_attempts
        self.sleep = sleep

    @property
    def client(self) -> S3Client:
        if self._client is None:
            self._client = boto3.client("s3")
        client: S3Client = self._client
        return client

    def _key(self, key: str) -> str:
        key = check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _strip(self, full: str) -> str:
        return full[len(self.prefix) + 1 :] if self.prefix else full

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        try:
            self.client.put_object(
                Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type
            )
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"cannot write {self.location}/{key}: {exc}") from exc

    def update(
        self,
        key: str,
        change: Callable[[bytes | None], bytes],
        content_type: str = "application/octet-stream",
    ) -> bytes:
        full = self._key(key)
        for attempt in range(1, self.update_attempts + 1):
            try:
                response = self.client.get_object(Bucket=self.bucket, Key=full)
                current: bytes | None = response["Body"].read()
                etag: str | None = response["ETag"]
            except ClientError as exc:
                if _code(exc) not in _MISSING:
                    raise StorageError(f"cannot read {self.location}/{key}: {exc}") from exc
                current, etag = None, None
            except BotoCoreError as exc:
                raise StorageError(f"cannot read {self.location}/{key}: {exc}") from exc
            data = change(current)
            try:
                if etag is None:
                    self.client.put_object(
                        Bucket=self.bucket, Key=full, Body=data, ContentType=content_type, IfNoneMatch="*"
                    )
                else:
                    self.client.put_object(
                        Bucket=self.bucket, Key=full, Body=data, ContentType=content_type, IfMatch=etag
                    )
                return data
            except ClientError as exc:
                # A 404 on If-Match: the object was deleted since it was read; start again too.
                if _code(exc) not in _CONFLICT + _MISSING:
                    raise StorageError(f"cannot write {self.location}/{key}: {exc}") from exc
            except BotoCoreError as exc:
                raise StorageError(f"cannot write {self.location}/{key}: {exc}") from exc
            self.sleep(random.uniform(0, min(2.0, 0.02 * 2 ** min(attempt, 7))))
        raise ConcurrentUpdateError(
            f"{self.location}/{key}: still changed by other writers after {self.update_attempts} attempts"
        )

    def get(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
            body: bytes = response["Body"].read()
            return body
        except ClientError as exc:
            if _code(exc) in _MISSING:
                raise NotFoundError(f"{key} is not in the archive") from None
            raise StorageError(f"cannot read {self.location}/{key}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"cannot read {self.location}/{key}: {exc}") from exc

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            return True
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return False
            raise StorageError(f"cannot check {self.location}/{key}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"cannot check {self.location}/{key}: {exc}") from exc

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        full = f"{self.prefix}/{prefix}" if self.prefix else prefix
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=full):
                for obj in page.get("Contents", []):
                    yield ObjectInfo(self._strip(obj["Key"]), obj["Size"], obj["LastModified"])
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"cannot list {self.location}/{prefix}: {exc}") from exc

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"cannot delete {self.location}/{key}: {exc}") from exc

    def copy(self, source: str, target: str) -> None:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._key(source))
            self.client.copy_object(
                Bucket=self.bucket,
                Key=self._key(target),
                CopySource={"Bucket": self.bucket, "Key": self._key(source)},
                ContentType=head.get("ContentType", "application/octet-stream"),
                MetadataDirective="REPLACE",
            )
        except ClientError as exc:
            if _code(exc) in _MISSING:
                raise NotFoundError(f"{source} is not in the archive") from None
            raise StorageError(f"cannot copy {source} to {target} in {self.location}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"cannot copy {source} to {target} in {self.location}: {exc}") from exc

    def download_url(self, key: str, expires_in: int = 900) -> str | None:
        if not self.exists(key):
            raise NotFoundError(f"{key} is not in the archive")
        return self.link(key, expires_in)

    def link(self, key: str, expires_in: int = 3600) -> str:
        url: str = self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": self._key(key)}, ExpiresIn=expires_in
        )
        return url
