# odc-pipeline: one image for GitHub Actions (Docker action), GitLab CI (job image) and
# Azure DevOps (container job). glibc + bash because Azure's container jobs need both.
# Published by .github/workflows/release.yml (SBOM + provenance attached); action.yml runs the
# published image, so no CI job builds this file.
FROM python:3.11-slim-bookworm

ARG VERSION=1.0.0
LABEL org.opencontainers.image.title="odc-pipeline" \
      org.opencontainers.image.description="CI/CD step that promotes OutSystems Developer Cloud apps: configure, build, impact-analysis, deploy, verify." \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}"

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONPATH=/app \
    HOME=/tmp \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# Pinned runtime dependencies only (wheels, no compilers); the package itself is copied, not
# built, so the image needs no build backend. GitHub mounts the workspace over WORKDIR, so
# nothing depends on the working directory: every path below is absolute.
WORKDIR /app
COPY requirements.lock /app/requirements.lock
RUN python -m pip install --no-cache-dir --only-binary=:all: -r /app/requirements.lock \
    && printf '#!/bin/sh\nexec python -m odc_pipeline "$@"\n' > /usr/local/bin/odc-pipeline \
    && chmod 0755 /usr/local/bin/odc-pipeline \
    && useradd --uid 1001 --gid 0 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin odc
COPY odc_pipeline /app/odc_pipeline
COPY --chmod=0755 entrypoint.py /app/entrypoint.py

# Non-root. uid 1001 is the runner user on GitHub-hosted runners, so the mounted workspace and
# file commands stay writable; group 0 for platforms that run images under an arbitrary uid.
# GitLab: `image: {name: …, entrypoint: [""]}` (the Docker executor checks out with umask 0000).
# Azure: `options: --entrypoint="" --user 0` — the agent runs groupadd/useradd in the container.
# The entrypoint also hands `sh -c …` and absolute-path executables over unchanged.
USER 1001:0
ENTRYPOINT ["/usr/local/bin/python", "/app/entrypoint.py"]
