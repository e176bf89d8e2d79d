"""``odc-pipeline simulator``: the URL is the first line, faults come from --fault."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys

import pytest
import requests

from odc_pipeline.cli import build_parser


def test_the_subcommand_is_wired_with_its_options():
    args = build_parser().parse_args(
        [
            "simulator",
            "--tenant",
            "t.yaml",
            "--port",
            "0",
            "--time-scale",
            "0.01",
            "--fault",
            "drop-connection",
        ]
    )
    assert (args.tenant, args.port, args.time_scale, args.fault) == ("t.yaml", 0, 0.01, ["drop-connection"])
    assert callable(args.handler)


def test_serves_on_a_free_port_and_prints_the_url_first():
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "odc_pipeline",
            "simulator",
            "--port",
            "0",
            "--fault",
            "server-error:status=502,times=1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert "client_id=odc-pipeline" in process.stdout.readline()
        discovery = f"{url}/identity/.well-known/openid-configuration"
        assert requests.get(discovery, timeout=10).json()["token_endpoint"].startswith(url)
        assert requests.get(f"{url}/api/portfolios/v2/environments", timeout=10).status_code == 502
        assert requests.get(f"{url}/api/portfolios/v2/environments", timeout=10).status_code == 401
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C: a clean stop, not a traceback
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 130
    assert "Traceback" not in stderr
    with pytest.raises(requests.ConnectionError):
        requests.get(discovery, timeout=2)


def test_an_explicit_port_is_used_and_the_time_scale_applies(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "odc_pipeline", "simulator", "--port", str(port), "--time-scale", "0.01"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = process.stdout.readline().strip()
        assert url == f"http://127.0.0.1:{port}"
        client_line = process.stdout.readline().split()
        credentials = dict(part.split("=", 1) for part in client_line)
        token = requests.post(
            requests.get(f"{url}/identity/.well-known/openid-configuration", timeout=10).json()[
                "token_endpoint"
            ],
            data={"grant_type": "client_credentials", **credentials},
            timeout=10,
        ).json()["access_token"]
        answer = requests.get(
            f"{url}/api/portfolios/v2/environments", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        assert [e["name"] for e in answer.json()["results"]] == ["Development", "QA", "Production"]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_port_in_use_is_a_usage_error():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "odc_pipeline", "simulator", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_bad_fault_switch_is_a_usage_error():
    done = subprocess.run(
        [sys.executable, "-m", "odc_pipeline", "simulator", "--fault", "earthquake"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "unknown fault 'earthquake'" in done.stderr
