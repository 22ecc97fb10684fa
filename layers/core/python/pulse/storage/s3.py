"""Archive in an S3 bucket (same key layout as locally, under an optional prefix)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from pulse.exceptions import NotFoundError, StorageError
from pulse.storage.base import ObjectInfo, ObjectStore, check_key

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class S3Store(ObjectStore):
    """Objects in ``s3://bucket/prefix/...``; the client is created lazily unless given."""

    def __init__(self, bucket: str, prefix: str = "", client: S3Client | Any = None) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._client = client
        self.location = f"s3://{bucket}/{self.prefix}".rstrip("/")

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

    def get(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
            body: bytes = response["Body"].read()
            return body
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                raise NotFoundError(f"{key} is not in the archive {self.location}") from None
            raise StorageError(f"cannot read {self.location}/{key}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"cannot read {self.location}/{key}: {exc}") from exc

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return False
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
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

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
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                raise NotFoundError(f"{source} is not in the archive {self.location}") from None
            raise StorageError(f"cannot copy {source} to {target} in {self.location}: {exc}") from exc

    def download_url(self, key: str, expires_in: int = 900) -> str | None:
        if not self.exists(key):
            raise NotFoundError(f"{key} is not in the archive {self.location}")
        return self.link(key, expires_in)

    def link(self, key: str, expires_in: int = 3600) -> str:
        url: str = self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": self._key(key)}, ExpiresIn=expires_in
        )
        return url
