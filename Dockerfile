# The code location image: serves segmentation_pipeline over gRPC (port 4000) to a Dagster
# webserver and daemon that run elsewhere, and runs the job's run workers when a Docker or
# Kubernetes run launcher starts them from this image. See docs/deployment.md.
#
#   docker build -t segmentation-pipeline .
#   docker run -e DAGSTER_PG_URL=postgresql+psycopg2://... -e SEGMENTATION_WAREHOUSE_URL=... \
#     -p 4000:4000 segmentation-pipeline
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DAGSTER_HOME=/opt/dagster/home \
    SEGMENTATION_HOME=/opt/dagster/state
# Huge pages for the allocators and Python's small objects through malloc: far fewer page
# faults in a nightly run (segmentation_pipeline/allocator_env.py, which lists the same).
ENV PYTHONMALLOC=malloc \
    GLIBC_TUNABLES=glibc.malloc.hugetlb=1 \
    MIMALLOC_ALLOW_LARGE_OS_PAGES=1

WORKDIR /opt/dagster/app
COPY pyproject.toml README.md ./
COPY segmentation_pipeline ./segmentation_pipeline
# The project itself from the build context; its dependencies are ranged in pyproject.toml.
# hadolint ignore=DL3013
RUN pip install --no-cache-dir ".[postgres]" \
    && useradd --uid 10001 --user-group --create-home dagster \
    && mkdir -p "$DAGSTER_HOME" "$SEGMENTATION_HOME" \
    && chown -R 10001:10001 "$DAGSTER_HOME" "$SEGMENTATION_HOME"
# Instance config (PostgreSQL run, event and schedule storage; URL from DAGSTER_PG_URL) for
# the run workers a launcher starts from this image.
COPY deploy/dagster.yaml /opt/dagster/home/dagster.yaml

USER 10001:10001
EXPOSE 4000
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["dagster", "api", "grpc-health-check", "--port", "4000"]
CMD ["dagster", "api", "grpc", "--module-name", "segmentation_pipeline.definitions", \
     "--host", "0.0.0.0", "--port", "4000"]
