"""External libraries from a package and releases by tag, end to end through the simulator."""

from __future__ import annotations

import json
import logging
import os
import time

import pytest

from odc_pipeline.engine.options import RunOptions
from odc_pipeline.engine.plan import render_plan
from odc_pipeline.errors import ExitCode
from odc_pipeline.redaction import RedactingFilter
from odc_pipeline.report import StepStatus
from odc_pipeline.reporting.outputs import derive_outputs

from .e2e import EXAMPLES, in_thread, pipeline_file, simulated
from .test_e2e_faults import LoseFirstAnswer

PACKAGE = b"PK\x03\x04" + b"payments sdk assembly " * 200


def _package(tmp_path, name="PaymentsSDK.zip", content=PACKAGE):
    dist = tmp_path / "dist"
    dist.mkdir(exist_ok=True)
    path = dist / name
    path.write_bytes(content)
    return path


def _step(run, stage, asset):
    return next(s for s in run.report.steps if s.stage == stage and s.asset == asset)


def _with_sdk(data):
    """An existing external library Orders API consumes, released at 2.0.0 on r2."""
    data["assets"].insert(
        0,
        {
            "name": "PaymentsSDK",
            "type": "ExternalLibrary",
            "revisions": [{"revision": 1, "tag": "1.0.0"}, {"revision": 2, "tag": "2.0.0"}],
        },
    )
    api = next(a for a in data["assets"] if a["name"] == "Orders API")
    api["producers"] = [*api["producers"], "PaymentsSDK"]


PUBLISH = """\
version: 1
target: QA
assets:
  - {package: dist/PaymentsSDK.zip}
stages:
  build: {}
"""


def test_publish_a_new_external_library_then_a_rerun_publishes_nothing(tmp_path):
    _package(tmp_path)
    with simulated(tmp_path) as sim:
        pipeline = pipeline_file(tmp_path, PUBLISH)
        run = sim.run(pipeline)
        assert run.report.exit_code == 0, run.report.error
        step = _step(run, "publish", "PaymentsSDK")
        assert step.status is StepStatus.SUCCEEDED
        assert "new library" in step.summary
        assert "ReadyForReview" in step.summary
        library = sim.asset_key("PaymentsSDK")
        assert step.details["library_key"] == library
        stored = list(sim.simulator.state.objects.objects.values())
        assert [(o.content_type, o.size, o.read()) for o in stored] == [
            ("application/zip", len(PACKAGE), PACKAGE)
        ]
        put = sim.requests(method="PUT", contains="/_simulator/uploads/")
        assert [p.status for p in put] == [200]
        generation = sim.requests(method="POST", contains="/generation-operations")
        assert [g.body["fileName"] for g in generation] == ["PaymentsSDK.zip"]
        assert json.loads(derive_outputs(run.report).library_keys) == {"PaymentsSDK": library}
        revisions = sim.simulator.state.assets[library].revisions
        assert list(revisions) == [1]
        assert "odc-pipeline package sha256:" in revisions[1].commit_message

        mark = sim.mark()
        again = sim.run(pipeline)
        assert again.report.exit_code == 0, again.report.error
        assert _step(again, "publish", "PaymentsSDK").status is StepStatus.UNCHANGED
        assert sim.mutations(mark) == []
        assert sim.requests(mark, method="PUT") == []
        assert list(sim.simulator.state.assets[library].revisions) == [1]  # no second revision


def test_publish_a_new_version_of_an_existing_library(tmp_path):
    _package(tmp_path)
    text = PUBLISH.replace(
        "{package: dist/PaymentsSDK.zip}", "{name: PaymentsSDK, package: dist/PaymentsSDK.zip}"
    )
    with simulated(tmp_path, _with_sdk) as sim:
        run = sim.run(pipeline_file(tmp_path, text))
        assert run.report.exit_code == 0, run.report.error
        step = _step(run, "publish", "PaymentsSDK")
        assert "as r3 (new revision)" in step.summary
        assert step.revision_after == 3
        assert max(sim.simulator.state.asset_by_name("PaymentsSDK").revisions) == 3


def test_a_generation_error_fails_the_asset_with_the_generation_log(tmp_path):
    _package(tmp_path)

    def fail(data):
        data["outcomes"] = [
            {
                "operation": "library_generation",
                "asset": "PaymentsSDK",
                "result": "failure",
                "message": "No public static method in PaymentsSDK.dll",
            }
        ]

    with simulated(tmp_path, fail) as sim:
        run = sim.run(pipeline_file(tmp_path, PUBLISH))
        assert run.report.exit_code == ExitCode.FAILED
        step = _step(run, "publish", "dist/PaymentsSDK.zip")
        assert step.status is StepStatus.FAILED
        assert "GenerationError" in step.summary
        errors = [m.text for m in step.messages if m.severity == "error"]
        assert errors == ["OS-ELG-MODL-05011: No public static method in PaymentsSDK.dll"]
        assert any(m.severity == "warning" for m in step.messages)
        assert "No public static method in PaymentsSDK.dll" in run.report.error
        assert not [a for a in sim.simulator.state.assets.values() if a.name == "PaymentsSDK"]


def test_ready_for_review_fails_with_on_review_fail_and_passes_when_the_tenant_needs_no_review(tmp_path):
    _package(tmp_path)
    strict = PUBLISH.replace(
        "{package: dist/PaymentsSDK.zip}", "{package: dist/PaymentsSDK.zip, on-review: fail}"
    )
    with simulated(tmp_path) as sim:
        run = sim.run(pipeline_file(tmp_path, strict))
        assert run.report.exit_code == ExitCode.FAILED
        assert "ReadyForReview" in run.report.error
        assert "ODC Portal" in run.report.error
        again = sim.run(pipeline_file(tmp_path, strict))  # still waiting for review: fails again
        assert again.report.exit_code == ExitCode.FAILED
        assert len(sim.requests(method="POST", contains="/generation-operations")) == 1

    def no_review(data):
        data["external_libraries"] = {"review": "none"}

    with simulated(tmp_path, no_review) as sim:
        run = sim.run(pipeline_file(tmp_path, strict))
        assert run.report.exit_code == 0, run.report.error
        assert "ReadyForReview" not in _step(run, "publish", "PaymentsSDK").summary
        assert _step(run, "publish", "PaymentsSDK").details["generation_status"] == "Completed"


def test_a_library_is_released_before_its_consumer_builds_and_the_build_uses_it(tmp_path):
    _package(tmp_path)
    text = """\
version: 1
target: Development
assets:
  - {name: PaymentsSDK, package: dist/PaymentsSDK.zip}
  - name: Orders API
stages:
  build: {}
  impact-analysis: {}
  release: {bump: minor}
"""
    with simulated(tmp_path, _with_sdk) as sim:
        run = sim.run(pipeline_file(tmp_path, text))
        assert run.report.exit_code == 0, run.report.error
        # Development already has a Release build of Orders API r12; it predates the library
        # release, so the run builds again instead of reusing it.
        state = sim.simulator.state
        api_key = sim.asset_key("Orders API")
        seeded = [
            b
            for b in state.builds.values()
            if (b.asset_key, b.revision, b.build_type) == (api_key, 12, "Release")
            and b.built_by != sim.simulator.client_id
        ]
        assert seeded  # a build that could have been reused
        assert sim.builds_started() == {"Orders API": 1}
        tag_patch = next(
            e
            for e in sim.requests(method="PATCH")
            if isinstance(e.body, dict) and e.body.get("tag") == "2.1.0"
        )
        build_post = sim.requests(method="POST", contains="/build-operations")[0]
        assert tag_patch.time <= build_post.time
        sdk = sim.simulator.state.asset_by_name("PaymentsSDK")
        assert sdk.revisions[3].tag == "2.1.0"
        build = next(b for b in sim.simulator.state.builds.values() if b.built_by == sim.simulator.client_id)
        assert ("PaymentsSDK", 3, "2.1.0") in build.bundled
        log = sim.simulator.state.build_messages(build)
        assert any(m["message"] == "Using library PaymentsSDK revision 3 (2.1.0)." for m in log)
        analysis = next(
            a for a in sim.simulator.state.analyses.values() if a.asset_key == sim.asset_key("Orders API")
        )
        reported = {i["assetKey"]: i["revision"] for i in analysis.report["impactedAssets"]}
        assert reported[sdk.key] == 3  # the analysis sees the new library revision too
        api = sim.simulator.state.asset_by_name("Orders API")
        assert api.revisions[12].tag == "0.1.0"  # never tagged before: minor above 0.0.0
        tags = json.loads(derive_outputs(run.report).tags)
        assert tags == {"PaymentsSDK": "2.1.0", "Orders API": "0.1.0"}
        stages = [s.stage for s in run.report.steps if s.asset == "PaymentsSDK"]
        assert stages == ["publish", "build", "impact-analysis", "release"]
        from odc_pipeline.reporting.junit import render_junit
        from odc_pipeline.reporting.summary import render_summary

        summary = render_summary(run.report)
        header = next(line for line in summary.splitlines() if line.startswith("|") and "publish" in line)
        assert header.index("publish") < header.index("build") < header.index("release")
        junit = render_junit(run.report)
        assert 'name="odc-pipeline.publish"' in junit
        assert 'name="odc-pipeline.release"' in junit
        assert junit.count('classname="odc-pipeline.release"') == 2  # PaymentsSDK and Orders API


RELEASE = """\
version: 1
target: QA
assets:
  - name: Orders Core
stages:
  release: {release}
"""


def test_release_with_an_explicit_version_from_a_variable_and_notes_from_a_file(tmp_path):
    (tmp_path / "notes.md").write_text("## 1.4.0\n\n- Adds order export.\n")
    text = RELEASE.format(release="{version: '${RELEASE_VERSION}', notes-file: notes.md}")
    with simulated(tmp_path) as sim:
        run = sim.run(pipeline_file(tmp_path, text), env={"RELEASE_VERSION": "1.4.0"})
        assert run.report.exit_code == 0, run.report.error
        revision = sim.simulator.state.asset_by_name("Orders Core").revisions[8]
        assert (revision.tag, revision.release_notes) == ("1.4.0", "## 1.4.0\n\n- Adds order export.")
        step = _step(run, "release", "Orders Core")
        assert (step.status, step.summary) == (StepStatus.SUCCEEDED, "tagged r8 1.4.0 with release notes")
        assert run.report.assets[0].tag == "1.4.0"
        again = sim.run(pipeline_file(tmp_path, text), env={"RELEASE_VERSION": "1.4.0"})
        assert _step(again, "release", "Orders Core").status is StepStatus.UNCHANGED


def test_release_bump_patch_above_the_highest_tag(tmp_path):
    with simulated(tmp_path) as sim:
        run = sim.run(pipeline_file(tmp_path, RELEASE.format(release="{bump: patch, notes: Bug fixes.}")))
        assert run.report.exit_code == 0, run.report.error
        revision = sim.simulator.state.asset_by_name("Orders Core").revisions[8]
        assert (revision.tag, revision.release_notes) == ("1.3.1", "Bug fixes.")


@pytest.mark.parametrize(
    ("version", "needle"),
    [("1.3.0", "already on r7"), ("1.2.9", "not higher than the highest tag 1.3.0")],
)
def test_a_reused_or_lower_tag_is_refused_before_any_change(tmp_path, version, needle):
    text = """\
version: 1
target: QA
assets:
  - name: Orders Core
  - name: Orders API
stages:
  build: {force-rebuild: true}
  deploy: {}
  release: {version: VERSION}
""".replace("VERSION", version)
    with simulated(tmp_path) as sim:
        run = sim.run(pipeline_file(tmp_path, text))
        assert run.report.exit_code == ExitCode.USAGE
        assert needle in run.report.error
        assert sim.mutations() == []


def test_plan_shows_the_package_the_generation_and_the_tag(tmp_path):
    package = _package(tmp_path)
    text = """\
version: 1
target: QA
assets:
  - {name: PaymentsSDK, package: dist/PaymentsSDK.zip}
  - Orders API
stages:
  build: {}
  release: {bump: major}
"""
    with simulated(tmp_path, _with_sdk) as sim:
        run = sim.run(pipeline_file(tmp_path, text), options=RunOptions(plan=True))
        assert run.report.exit_code == 0, run.report.error
        lines = "\n".join(render_plan(run.report))
        size = os.path.getsize(package)
        assert f"PaymentsSDK.zip ({size / 1024:.1f} KB, sha256:" in lines
        assert "start a library generation (a new revision of PaymentsSDK)" in lines
        assert "would tag the revision the package publishes 3.0.0" in lines
        assert "would start a Release build of r12 (PaymentsSDK changes in this run)" in lines
        assert sim.mutations() == []
        assert sim.requests(method="PUT") == []


def test_no_url_signature_or_token_reaches_logs_outputs_summary_or_report(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(RedactingFilter())  # as `run` installs it on its log handler
    _package(tmp_path)
    text = PUBLISH.replace("build: {}", "build: {}\n  release: {version: 1.0.0, notes: First.}")
    with simulated(tmp_path) as sim:
        sim.simulator.faults.add("server-error", status=500, times=1, path="/_simulator/uploads/")
        sim.simulator.faults.add("drop-connection", after=1, times=1, path="/_simulator/uploads/")
        session = LoseFirstAnswer("/generation-operations")
        run = sim.run(pipeline_file(tmp_path, text), session=session)
        assert session.lost, "no answer was lost: the test did not exercise recovery"
        assert run.report.exit_code == 0, run.report.error
        puts = sim.requests(method="PUT", contains="/_simulator/uploads/")
        assert [p.status for p in puts] == [500, 0, 200]  # a PUT is retried on 5xx and dropped connections
        assert len(sim.simulator.state.objects.objects) == 1  # stored once, from the whole file
        generations = list(sim.requests(method="POST", contains="/generation-operations"))
        assert [g.status for g in generations] == [201]  # lost answer: found again, not re-sent
        assert len(sim.simulator.state.library_generations) == 1
        grants = [
            e
            for e in sim.simulator.request_log.entries()
            if e.path.endswith("/uploads") and e.method == "GET"
        ]
        assert len(grants) == 2  # the permission probe at resolve, then the upload's own
        objects = sim.simulator.state.objects
        signatures = [g.signature for g in objects._grants.values()]
        names = list(objects._grants)
        outputs = derive_outputs(run.report)
        from odc_pipeline.reporting.summary import render_summary

        assert any("PUT" in r.getMessage() and r.name.startswith("urllib3") for r in caplog.records)
        texts = [r.getMessage() for r in caplog.records]
        texts += run.reporter.texts("info") + run.reporter.texts("warning") + run.reporter.texts("error")
        from odc_pipeline.reporting.dotenv import render_dotenv
        from odc_pipeline.reporting.junit import render_junit

        texts += [run.report_path.read_text(), json.dumps(dict(outputs.items())), render_summary(run.report)]
        texts += [render_junit(run.report), render_dotenv(outputs), "\n".join(render_plan(run.report))]
        tokens = list(sim.simulator.authority._tokens)
        assert tokens
        for text in texts:
            assert not any(name in text for name in names)
            assert not any(signature in text for signature in signatures)
            assert "/_simulator/uploads/" not in text
            assert "/_simulator/downloads/" not in text
            for token in tokens:
                assert token not in text
        assert json.loads(outputs.tags) == {"PaymentsSDK": "1.0.0"}


def test_a_client_without_create_permission_stops_at_resolve(tmp_path):
    _package(tmp_path)
    with simulated(tmp_path) as sim:
        run = sim.run(
            pipeline_file(tmp_path, PUBLISH), client_id="read-only", client_secret="read-only-secret"
        )
        assert run.report.exit_code == ExitCode.AUTH
        assert "Asset management > Create" in run.report.error
        assert sim.requests(method="PUT") == []
        assert sim.mutations() == []


def test_an_upload_after_the_url_expired_is_refused_and_fails_the_asset(tmp_path):
    _package(tmp_path)

    def short_lived(data):
        data["external_libraries"] = {"upload_url_lifetime_seconds": 0.001}

    with simulated(tmp_path, short_lived) as sim:
        run = sim.run(pipeline_file(tmp_path, PUBLISH))
        assert run.report.exit_code == ExitCode.FAILED
        assert "HTTP 403" in run.report.error
        assert [code for _, _, code in sim.simulator.state.objects.refusals] == ["AccessDenied"]
        assert sim.requests(method="POST", contains="/generation-operations") == []


def test_a_download_error_from_the_tenant_file_fails_with_its_log_after_the_tenant_duration(tmp_path):
    _package(tmp_path)

    def download_error(data):
        data["outcomes"] = [{"operation": "library_generation", "result": "download-error", "duration": 200}]

    with simulated(tmp_path, download_error) as sim:
        run = sim.run(pipeline_file(tmp_path, PUBLISH))
        assert run.report.exit_code == ExitCode.FAILED
        step = _step(run, "publish", "dist/PaymentsSDK.zip")
        assert "DownloadError" in step.summary
        assert any("Could not download PaymentsSDK.zip" in m.text for m in step.messages)
        assert step.duration_seconds >= 20  # DownloadError shows after the download tenth of 200 s


def test_release_without_publishing_skips_a_package_that_was_never_published(tmp_path):
    _package(tmp_path)
    text = PUBLISH.replace("build: {}", "release: {version: 1.0.0}")
    with simulated(tmp_path) as sim:
        run = sim.run(pipeline_file(tmp_path, text), options=RunOptions(skip=("publish",)))
        assert run.report.exit_code == 0, run.report.error
        step = _step(run, "release", "dist/PaymentsSDK.zip")
        assert (step.status, step.summary) == (
            StepStatus.SKIPPED,
            "not tagged: the package was not published in this run",
        )
        assert sim.mutations() == []


def test_cancelled_during_generation_then_rerun_attaches_and_publishes_once(tmp_path):
    _package(tmp_path)

    def slow(data):
        data["durations"]["library_generation"] = 1000  # 2 s real: still running when the re-run looks

    with simulated(tmp_path, slow) as sim:
        pipeline = pipeline_file(tmp_path, PUBLISH)
        ctx, reporter = sim.context(pipeline)
        thread, box = in_thread(lambda: sim.finish(ctx, reporter))
        deadline = time.monotonic() + 30
        while not sim.simulator.state.library_generations and time.monotonic() < deadline:
            time.sleep(0.01)
        (generation,) = sim.simulator.state.library_generations
        ctx.cancel.set()
        thread.join(30)
        first = box[0]
        assert first.report.exit_code == ExitCode.CANCELLED
        assert first.report.in_flight == (generation,)
        assert any("still running in ODC: library generation" in w for w in first.reporter.texts("warning"))

        mark = sim.mark()
        second = sim.run(pipeline)
        assert second.report.exit_code == 0, second.report.error
        step = _step(second, "publish", "PaymentsSDK")
        assert step.operation_key == generation
        assert f"attached to generation {generation}" in step.summary
        assert sim.requests(mark, method="PUT") == []
        assert sim.requests(mark, method="POST", contains="/generation-operations") == []
        library = sim.simulator.state.asset_by_name("PaymentsSDK")
        assert list(library.revisions) == [1]
        assert "odc-pipeline package sha256:" in library.revisions[1].commit_message


def test_the_two_library_examples_run_on_the_example_tenant(tmp_path):
    with simulated(tmp_path) as sim:
        published = sim.run(EXAMPLES / "external-library.yml", env={})
        assert published.report.exit_code == 0, published.report.error
        assert json.loads(derive_outputs(published.report).tags) == {"PaymentsSDK": "1.0.0"}
        released = sim.run(EXAMPLES / "release-library.yml", env={})
        assert released.report.exit_code == 0, released.report.error
        assert json.loads(derive_outputs(released.report).tags) == {
            "Orders Core": "1.4.0",
            "Orders API": "0.1.0",
        }
        core = sim.simulator.state.asset_by_name("Orders Core").revisions[8]
        assert core.release_notes == (EXAMPLES / "release-notes.md").read_text().strip()
        again = sim.run(EXAMPLES / "external-library.yml", env={})
        assert [s.status for s in again.report.steps if s.stage in ("publish", "release")] == [
            StepStatus.UNCHANGED,
            StepStatus.UNCHANGED,
        ]
