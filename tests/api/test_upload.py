"""The pre-signed upload: streamed from disk, no ODC token, retried like a PUT may be."""

from __future__ import annotations

import logging

import pytest

from odc_pipeline.api import ApiError

from .stub import Reply, dropped

UPLOAD = "https://bucket.s3.example.com/pkg/lib.zip?X-Amz-Expires=900&X-Amz-Signature=feedface1234"
BASE = "/api/external-libraries/v1"


@pytest.fixture
def package(tmp_path):
    path = tmp_path / "lib.zip"
    path.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 64)
    return path


def _grant(stub, client):
    stub.on(
        "GET",
        f"{BASE}/uploads",
        Reply(200, {"uploadUrl": UPLOAD, "downloadUrl": UPLOAD.replace("pkg", "dl")}),
    )
    return client.external_libraries.get_upload_urls()


def test_a_path_is_streamed_with_its_length_and_without_the_odc_token(client, stub, package, monkeypatch):
    urls = _grant(stub, client)
    stub.on("PUT", "/pkg/lib.zip", Reply(200))
    bodies = []
    send = client.http.session.request

    def spy(method, url, **kwargs):
        bodies.append(kwargs.get("data"))
        return send(method, url, **kwargs)

    monkeypatch.setattr(client.http.session, "request", spy)
    client.external_libraries.upload(urls.upload_url, package)
    assert hasattr(bodies[-1], "read")
    assert not isinstance(bodies[-1], bytes)
    assert bodies[-1].closed  # and closed after the attempt
    (put,) = stub.calls("PUT", "/pkg/lib.zip")
    assert put.body == package.open("rb").read()
    assert put.headers["Content-Length"] == str(package.stat().st_size)
    assert put.headers["Content-Type"] == "application/zip"
    assert "Authorization" not in put.headers


def test_connection_errors_and_any_5xx_are_retried_with_the_file_reopened(client, stub, package, caplog):
    caplog.set_level(logging.DEBUG)
    urls = _grant(stub, client)
    stub.on("PUT", "/pkg/lib.zip", dropped(), Reply(500), Reply(503), Reply(200))
    client.external_libraries.upload(urls.upload_url, package)
    puts = stub.calls("PUT", "/pkg/lib.zip")
    assert len(puts) == 4
    assert all(p.body == package.read_bytes() for p in puts)  # every attempt sent the whole file
    assert client.http.retries["connection"] == 1
    assert client.http.retries["500"] == 1
    for record in caplog.records:
        assert "feedface1234" not in record.getMessage()
        assert "/pkg/lib.zip" not in record.getMessage()


def test_a_refused_upload_fails_without_showing_the_url(client, stub, package):
    urls = _grant(stub, client)
    stub.on("PUT", "/pkg/lib.zip", Reply(403, {"Code": "AccessDenied", "Message": f"expired {UPLOAD}"}))
    with pytest.raises(ApiError) as caught:
        client.external_libraries.upload(urls.upload_url, package)
    assert caught.value.status == 403
    text = f"{caught.value} {caught.value!r} {caught.value.problem.model_dump_json()}"
    assert "feedface1234" not in text
    assert "bucket.s3.example.com" not in text
    assert len(stub.calls("PUT", "/pkg/lib.zip")) == 1  # 4xx is not retried
