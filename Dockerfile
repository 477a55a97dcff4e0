# The code location image: serves segmentation_pipeline over gRPC for a Dagster
# webserver and daemon that run elsewhere (see README, "Deployment").
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    SEGMENTATION_HOME=/opt/segmentation/state

WORKDIR /opt/segmentation
COPY pyproject.toml README.md ./
COPY segmentation_pipeline ./segmentation_pipeline
RUN pip install ".[postgres]" \
    && useradd --create-home --uid 10001 dagster \
    && mkdir -p /opt/segmentation/state \
    && chown -R dagster:dagster /opt/segmentation/state

USER dagster
EXPOSE 4000
CMD ["dagster", "api", "grpc", "--module-name", "segmentation_pipeline.definitions", "--host", "0.0.0.0", "--port", "4000"]
