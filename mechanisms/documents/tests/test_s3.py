"""Attachments in S3-compatible storage: the same services against a local S3 server (moto, offline, on
127.0.0.1), and the settings switch the default storage to it when MECH_S3_BUCKET is set."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from mechanisms.documents import services
from mechanisms.kernel.errors import NotFound

from .conftest import PDF, PNG

BUCKET = "mech-test-files"


@pytest.fixture
def s3(settings, monkeypatch):
    """A moto S3 server on a free local port with one private bucket, and the default storage pointed at it."""
    import boto3
    from moto.server import ThreadedMotoServer

    for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    options = {"endpoint_url": endpoint, "aws_access_key_id": "test", "aws_secret_access_key": "test"}
    client = boto3.client("s3", region_name="us-east-1", **options)
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": endpoint,
                "access_key": "test",
                "secret_key": "test",
                "region_name": "us-east-1",
                "default_acl": "private",
                "file_overwrite": False,
            },
        },
    }
    yield client
    server.stop()


def _keys(client) -> list[str]:
    return [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def test_attachments_are_stored_read_and_removed_in_the_bucket(docs, make_doc, s3, django_capture_on_commit_callbacks):
    doc = make_doc(body="x")
    shot = services.attach_file(
        actor=docs.actor("bob"), document_id=doc.id, name="m.png", content=PNG, purpose="mockup"
    )
    services.attach_file(actor=docs.actor("bob"), document_id=doc.id, name="s.pdf", content=PDF, purpose="file")
    keys = _keys(s3)
    assert len(keys) == 2 and all(k.startswith("documents/") and "m.png" not in k for k in keys)
    assert services.read_attachment(actor=docs.actor("cat"), attachment_id=shot.id).content == PNG
    with pytest.raises(NotFound):
        services.read_attachment(actor=docs.actor("dan"), attachment_id=shot.id)
    with django_capture_on_commit_callbacks(execute=True):
        services.remove_attachment(actor=docs.actor("ann"), attachment_id=shot.id)
    assert len(_keys(s3)) == 1


def test_the_settings_switch_to_s3_when_a_bucket_is_configured():
    env = {
        **os.environ,
        "MECH_S3_BUCKET": "files",
        "MECH_S3_ENDPOINT_URL": "http://127.0.0.1:9",
        "MECH_S3_REGION": "eu-west-1",
        "DJANGO_SETTINGS_MODULE": "mechanisms.config.settings",
    }
    code = "import json; from mechanisms.config import settings as s; print(json.dumps(s.STORAGES['default']))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    default = json.loads(out)
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    assert default["OPTIONS"]["bucket_name"] == "files" and default["OPTIONS"]["default_acl"] == "private"
    assert default["OPTIONS"]["endpoint_url"] == "http://127.0.0.1:9"
