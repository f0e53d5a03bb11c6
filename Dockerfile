# refundsync image: slim, non-root, dependencies pinned by requirements.lock. One image for every role:
# worker (default command), beat, the local sandbox and one-shot jobs (see compose.yaml).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml requirements.lock README.md ./
COPY config ./config
COPY mapping ./mapping
COPY connectors ./connectors
COPY sync ./sync
RUN python -m pip install --no-cache-dir -U pip wheel \
 && python -m pip wheel --no-cache-dir -c requirements.lock -w /wheels .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin refundsync
COPY --from=build /wheels /wheels
COPY requirements.lock /tmp/requirements.lock
RUN python -m pip install --no-cache-dir -c /tmp/requirements.lock /wheels/*.whl \
 && rm -rf /wheels /tmp/requirements.lock
USER refundsync
WORKDIR /home/refundsync
# The metrics endpoint (when REFUNDSYNC_METRICS_PORT is set) must be reachable from outside the container.
ENV REFUNDSYNC_DATABASE_URL=sqlite:////home/refundsync/var/refundsync.db \
    REFUNDSYNC_METRICS_HOST=0.0.0.0 \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
EXPOSE 9808
# Healthy = this container's worker answers a ping over the broker (so the broker is reachable and the
# worker is consuming). Beat and the sandbox override it in compose.yaml.
HEALTHCHECK --interval=30s --timeout=15s --start-period=30s --retries=3 \
  CMD ["sh", "-c", "celery -A sync.celery_app:app inspect ping --timeout 10 -d \"celery@$(hostname)\" >/dev/null"]
CMD ["sh", "-c", "refundsync db upgrade && exec refundsync worker"]
