#!/usr/bin/env bash
# Build the container image with podman and run it the way each CI would.
#
#   scripts/smoke-image.sh [BASE_IMAGE | ROOTFS_DIR]
#
# Installs nothing. Skips (exit 0, with a message) when podman is absent. Registries may be
# unreachable (see ../shared/ci-conventions.md §5): make a local stand-in for python:3.11-slim,
#   debootstrap --variant=minbase --include=python3,python3-pip bookworm ROOTFS
#   ln -sf /usr/bin/python3 ROOTFS/usr/local/bin/python          # where the ENTRYPOINT looks
#   rm -f ROOTFS/usr/lib/python3.11/EXTERNALLY-MANAGED            # the slim image has no such marker
#   scripts/smoke-image.sh ROOTFS                                  # imported into the smoke store
# or pass an image already in the smoke store (SMOKE_STORE, below) by name. Without an argument
# it uses python:3.11-slim-bookworm from that store if present, and skips when no base image is
# available. Builds use --isolation chroot and runs use runc with explicit ulimits, the
# combination that works on the project's CI machines. Exercised: the ENTRYPOINT runs
# odc-pipeline; `sh -c`, `bash -c` and absolute-path executables are handed over; the
# entrypoint override; a GitHub-style run (INPUT_* with hyphens, file commands); a GitLab-style
# job; and `run --simulate --file …` on the example tenant packaged in the image — all as the
# image's non-root user (uid 1001, gid 0), which the script checks first.
# SMOKE_STORE: podman store (default $TMPDIR/odc-pipeline-podman, vfs driver).
# SMOKE_BUILD_OPTS: extra `podman build` options, e.g. to reach a local index through a
#   corporate CA: "-v /etc/ssl/certs:/etc/ssl/certs:ro -v /opt/wheels:/opt/wheels:ro".
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v podman >/dev/null 2>&1; then
    echo "smoke-image: SKIPPED: podman is not installed (apt-get install -y podman runc to enable)"
    exit 0
fi

STORE="${SMOKE_STORE:-${TMPDIR:-/tmp}/odc-pipeline-podman}"
read -r -a EXTRA <<< "${SMOKE_BUILD_OPTS:-}"
P=(podman --root "$STORE/root" --runroot "$STORE/run" --storage-driver vfs)
BASE="${1:-docker.io/library/python:3.11-slim-bookworm}"
TAG=localhost/odc-pipeline:smoke

if [[ -d "$BASE" ]]; then
    echo "smoke-image: importing the root file system $BASE as localhost/odc-smoke-base:latest"
    tar -C "$BASE" -c . | "${P[@]}" import - localhost/odc-smoke-base:latest >/dev/null
    BASE=localhost/odc-smoke-base:latest
fi

if ! "${P[@]}" image exists "$BASE"; then
    echo "smoke-image: SKIPPED: base image $BASE is not in the local store $STORE and registries"
    echo "             may be unreachable; import one (see the header of this script) and pass it."
    exit 0
fi

echo "smoke-image: building $TAG from $BASE"
"${P[@]}" build --format docker --isolation chroot --pull=never "${EXTRA[@]}" \
    --from "$BASE" -t "$TAG" -f Dockerfile .

RUN=("${P[@]}" --runtime runc run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
fail() { echo "smoke-image: FAILED: $*" >&2; exit 1; }

out="$("${RUN[@]}" "$TAG" --version)" || fail "--version"
[[ "$out" == odc-pipeline* ]] || fail "--version printed: $out"
echo "smoke-image: ok: ENTRYPOINT runs odc-pipeline ($out)"

out="$("${RUN[@]}" "$TAG" sh -c 'echo "$(id -u):$(id -g)"')" || fail "id"
[[ "$out" == 1001:0 ]] || fail "the image must run as uid 1001, gid 0 (non-root), runs as $out"
echo "smoke-image: ok: runs as a non-root user (uid:gid $out)"

out="$("${RUN[@]}" "$TAG" sh -c 'echo gitlab-script')" || fail "sh -c handover"
[[ "$out" == gitlab-script ]] || fail "GitLab's sh -c was not handed over: $out"
echo "smoke-image: ok: GitLab-style 'sh -c' is handed over"

out="$("${RUN[@]}" "$TAG" bash -c 'command -v odc-pipeline')" || fail "bash/PATH"
echo "smoke-image: ok: bash present, odc-pipeline on PATH ($out)"

out="$("${RUN[@]}" "$TAG" /usr/local/bin/python -c 'import sys; print(sys.argv[0], "keep-alive")')" \
    || fail "absolute-path handover"
[[ "$out" == "-c keep-alive" ]] || fail "an absolute-path executable was not handed over: $out"
echo "smoke-image: ok: absolute-path executable handed over (Azure's node keep-alive)"

out="$("${RUN[@]}" --entrypoint '' "$TAG" sh -c 'echo no-entrypoint')" || fail "--entrypoint ''"
[[ "$out" == no-entrypoint ]] || fail "--entrypoint '' did not run the shell: $out"
echo "smoke-image: ok: entrypoint override (GitLab entrypoint: [\"\"], Azure --entrypoint=\"\")"

# Every directory the container writes is world-writable, as a runner's workspace is for its
# user (GitHub: owned by uid 1001; GitLab: checked out with umask 0000): the image is non-root.
ws="$(mktemp -d)"; fc="$(mktemp -d)"; : > "$fc/set_output_x"; : > "$fc/step_summary_x"
chmod 0777 "$ws" "$fc"; chmod 0666 "$fc/set_output_x" "$fc/step_summary_x"
set +e
"${RUN[@]}" -w /github/workspace -v "$ws:/github/workspace" -v "$fc:/github/file_commands" \
    -e GITHUB_ACTIONS=true -e CI=true -e GITHUB_OUTPUT=/github/file_commands/set_output_x \
    -e GITHUB_STEP_SUMMARY=/github/file_commands/step_summary_x \
    -e 'INPUT_PIPELINE-FILE=missing.yml' "$TAG"
rc=$?
set -e
echo "smoke-image: GitHub emulation exit code $rc (a missing pipeline file is a usage error, 2)"
[[ $rc -eq 2 ]] || fail "expected exit code 2 for a missing pipeline file, got $rc"
grep -q '^exit-code=2$' "$fc/set_output_x" || fail "no exit-code output as non-root: $(cat "$fc/set_output_x")"
[[ -f "$ws/odc-pipeline-report.json" ]] || fail "the non-root container wrote no report into the workspace"
echo "smoke-image: ok: as non-root, wrote outputs and the report into the mounted workspace"
sim="$(mktemp -d)"; cp examples/single-app.yml "$sim/"; chmod 0777 "$sim"
out="$("${RUN[@]}" -w /work -v "$sim:/work" "$TAG" \
    run --simulate --file single-app.yml --time-scale 0.005 --report-file /work/report.json)" \
    || fail "run --simulate with the packaged tenant: $out"
python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1]))["status"] != "succeeded")' \
    "$sim/report.json" || fail "run --simulate did not succeed: $out"
echo "smoke-image: ok: 'run --simulate --file single-app.yml' used the example tenant packaged in the image"

gl="$(mktemp -d)"; cp examples/tenant.yaml examples/single-app.yml "$gl/"; chmod 0777 "$gl"
"${RUN[@]}" -w /builds/project -v "$gl:/builds/project" -e GITLAB_CI=true -e CI=true \
    -e CI_PROJECT_DIR=/builds/project "$TAG" \
    sh -c 'odc-pipeline run single-app.yml --simulate tenant.yaml --time-scale 0.005' \
    || fail "GitLab-style run on the simulator"
grep -qx 'ODC_STATUS=succeeded' "$gl/odc-pipeline.env" || fail "dotenv report: $(cat "$gl/odc-pipeline.env")"
[[ -s "$gl/odc-pipeline-junit.xml" ]] || fail "no JUnit report"
echo "smoke-image: ok: GitLab-style job ran a release on the embedded simulator (dotenv + JUnit written)"
echo "smoke-image: PASSED"
