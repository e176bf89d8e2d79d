"""``odc-pipeline simulator --platform lifetime``: URL first, then the token; HTTPS prints its CA bundle."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import requests

from odc_pipeline.cli import build_parser

from .conftest import EXAMPLE


def serve(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "odc_pipeline", "simulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=10)
    return stderr


def test_the_subcommand_takes_the_lifetime_options():
    args = build_parser().parse_args(
        ["simulator", "--platform", "lifetime", "--https", "--tls-cert", "c", "--tls-key", "k"]
    )
    assert (args.platform, args.https, args.tls_cert, args.tls_key) == ("lifetime", True, "c", "k")


def test_serves_the_packaged_tenant_and_prints_url_then_token():
    process = serve("--platform", "lifetime", "--fault", "server-error:status=502,times=1")
    try:
        url = process.stdout.readline().strip()
        token = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert token.startswith("token=")
        api = f"{url}/lifetimeapi/rest/v2/environments"
        headers = {"Authorization": f"Bearer {token.removeprefix('token=')}"}
        assert requests.get(api, headers=headers, timeout=10).status_code == 502
        names = [e["Name"] for e in requests.get(api, headers=headers, timeout=10).json()]
        assert names == ["Development", "Test", "Production"]
        assert requests.get(api, timeout=10).status_code == 401
    finally:
        stderr = stop(process)
    assert "Traceback" not in stderr


def test_https_with_a_generated_certificate_and_platform_from_the_tenant_file():
    process = serve("--tenant", str(EXAMPLE), "--https", "--time-scale", "0.01")
    try:
        url = process.stdout.readline().strip()
        token = process.stdout.readline().strip().removeprefix("token=")
        bundle = Path(process.stdout.readline().strip().removeprefix("ca_bundle="))
        assert url.startswith("https://127.0.0.1:")
        answer = requests.get(
            f"{url}/lifetimeapi/rest/v2/environments/",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
            verify=str(bundle),
        )
        assert answer.status_code == 200
    finally:
        stop(process)
    assert not bundle.exists()  # the generated key and certificate are removed on exit


def test_bad_input_is_a_usage_error_not_a_traceback(tmp_path):
    broken = tmp_path / "lt.yaml"
    broken.write_text("platform: lifetime\nservice_accounts: []\nenvironments: []\n")
    for args in (
        ["--tenant", str(broken)],
        ["--platform", "lifetime", "--tls-cert", str(tmp_path / "none.pem"), "--tls-key", "k"],
        ["--platform", "lifetime", "--fault", "analysis-unavailable"],
        ["--https"],
    ):
        result = subprocess.run(
            [sys.executable, "-m", "odc_pipeline", "simulator", *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert result.returncode == 2, (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert (
        "lt.yaml:2: service_accounts"
        in subprocess.run(
            [sys.executable, "-m", "odc_pipeline", "simulator", "--tenant", str(broken)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stderr
    )
