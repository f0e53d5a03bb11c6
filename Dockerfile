# refundsync worker image: slim, non-root, dependencies pinned by requirements.lock.
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
RUN useradd --create-home --uid 10001 refundsync
COPY --from=build /wheels /wheels
COPY requirements.lock /tmp/requirements.lock
RUN python -m pip install --no-cache-dir -c /tmp/requirements.lock /wheels/*.whl && rm -rf /wheels
USER refundsync
WORKDIR /home/refundsync
ENV REFUNDSYNC_DATABASE_URL=sqlite:////home/refundsync/var/refundsync.db \
    PYTHONUNBUFFERED=1
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
  CMD ["refundsync", "db", "current"]
CMD ["sh", "-c", "refundsync db upgrade && exec refundsync worker"]
