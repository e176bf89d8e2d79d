# odc-pipeline: one image for GitHub Actions (Docker action), GitLab CI (job image) and
# Azure DevOps (container job). glibc + bash because Azure's container jobs need both.
FROM python:3.11-slim-bookworm

LABEL org.opencontainers.image.title="odc-pipeline" \
      org.opencontainers.image.description="CI/CD step that promotes OutSystems Developer Cloud apps: configure, build, impact-analysis, deploy, verify." \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="0.1.0"

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONPATH=/app \
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
    && chmod 0755 /usr/local/bin/odc-pipeline
COPY odc_pipeline /app/odc_pipeline
COPY --chmod=0755 entrypoint.py /app/entrypoint.py

# No USER: GitHub needs root to write the workspace; Azure runs groupadd/useradd in the container.
# GitLab: `image: {name: …, entrypoint: [""]}`; Azure: `options: --entrypoint=""` (the entrypoint
# also hands `sh -c …` and absolute-path executables over unchanged).
ENTRYPOINT ["/usr/local/bin/python", "/app/entrypoint.py"]
