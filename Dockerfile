# syntax=docker/dockerfile:1
#
# newsfuse gRPC server image.
#
#   CPU (default):  docker build -t newsfuse .
#   bake a model:   docker build --build-arg MODEL=distilbart-cnn-12-6 -t newsfuse:distilbart .
#   CUDA:           docker build --build-arg BASE_IMAGE=nvidia/cuda:12.8.1-base-ubuntu22.04 \
#                                --build-arg TORCH_INDEX_URL= -t newsfuse:gpu .
#   Ray node:       docker build --build-arg EXTRAS=fetch,ray -t newsfuse:ray .
#
# The install steps mirror `make setup`: torch first (its CPU build by default), then the
# project, so pip never replaces the chosen torch with another build. Here the project is
# installed as a regular (non-editable) package into /opt/venv, which is all the final stage
# keeps, together with /models.

# Any image with Python 3.11, or any Debian/Ubuntu image where apt can install python3.11
# (the NVIDIA CUDA images on Ubuntu 22.04). Torch's CUDA wheels carry their own CUDA
# libraries, so a CUDA image mainly brings the NVIDIA runtime settings.
ARG BASE_IMAGE=python:3.11-slim-bookworm

FROM ${BASE_IMAGE} AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN if ! command -v python3.11 >/dev/null 2>&1; then \
        apt-get update \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
            python3.11 python3.11-venv ca-certificates \
        && rm -rf /var/lib/apt/lists/*; \
    fi

FROM base AS builder
# Same pin as the Makefile's TORCH_SPEC. The default index serves the CPU build; an empty
# TORCH_INDEX_URL installs from PyPI, whose Linux wheels are the CUDA build.
ARG TORCH_SPEC=torch==2.13.0
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
RUN python3.11 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
RUN pip install --upgrade pip \
    && pip install ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"} "$TORCH_SPEC"
WORKDIR /src
# .dockerignore keeps tests, caches, virtualenvs and local weights out of this copy.
COPY . .
# `fetch` brings huggingface_hub for the model fetch below; `http` the HTTP/JSON transport
# and the web page (off unless NEWSFUSE_HTTP_PORT is set). EXTRAS=fetch,ray makes the image
# a Ray node for `newsfuse batch --engine ray` on KubeRay (docs/deploy.md, "Bulk jobs on Ray").
ARG EXTRAS=fetch,http
RUN pip install ".[${EXTRAS}]"

FROM builder AS models
# A name from the models/ manifest to bake into the image; empty: the extractive default,
# nothing is fetched. Needs network access to the model hub during the build; the fetch
# verifies every file's hash and fails the build on a mismatch or an unknown name.
ARG MODEL=""
RUN mkdir -p /models \
    && if [ -n "$MODEL" ]; then \
        newsfuse models --manifest models/manifest.json fetch "$MODEL" --dest "/models/$MODEL"; \
    fi

FROM base AS runtime
ARG MODEL=""
# jemalloc replaces glibc malloc (LD_PRELOAD below): with glibc the server's memory kept
# growing under load, with jemalloc it stays flat (docs/reliability.md, "Memory").
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libjemalloc2 \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 --user-group --shell /usr/sbin/nologin newsfuse
COPY --from=builder /opt/venv /opt/venv
# root-owned and read-only for the server
COPY --from=models /models /models
# NEWSFUSE_MODEL is /models/<MODEL> when a model was baked in, else empty (extractive).
# Weights are never downloaded at run time: the hub is switched off.
# Idle OpenMP threads sleep rather than spin (torch shares cores with the server's threads).
# The dynamic loader finds libjemalloc.so.2 by name in the system library directory.
ENV PATH=/opt/venv/bin:$PATH \
    HF_HUB_OFFLINE=1 \
    OMP_WAIT_POLICY=PASSIVE \
    LD_PRELOAD=libjemalloc.so.2 \
    NEWSFUSE_MODEL=${MODEL:+/models/${MODEL}} \
    NEWSFUSE_HOST=0.0.0.0 \
    NEWSFUSE_PORT=50051 \
    NEWSFUSE_METRICS_PORT=9090
USER 10001:10001
WORKDIR /home/newsfuse
# gRPC, Prometheus metrics (/metrics)
EXPOSE 50051 9090
# gRPC health (grpc.health.v1): healthy once the models are loaded and warmed up.
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
    CMD ["newsfuse", "health", "--address", "127.0.0.1:50051", "--timeout", "3"]
ENTRYPOINT ["newsfuse"]
CMD ["serve"]
