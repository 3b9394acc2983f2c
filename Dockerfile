# The API and the worker: one build, two targets, each with its own command and health check
# (docker-compose.yml builds both):
#
#   docker build --target api -t sla-milestones-api .
#   docker build --target worker -t sla-milestones-worker .
#
# Every Python package comes from uv.lock, as for `make install` (the Makefile pins the same uv).
ARG PYTHON_IMAGE=python:3.11.17-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ARG UV_VERSION=0.13.9
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_NO_CACHE=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_PYTHON_DOWNLOADS=never
RUN pip install "uv==${UV_VERSION}"
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
# The locked runtime packages (no dev tools) in their own layer: rebuilt only when the lock changes.
RUN uv sync --locked --no-install-project
COPY alembic.ini ./
COPY workflows ./workflows
COPY activities ./activities
COPY api ./api
COPY database ./database
COPY terminal ./terminal
COPY temporal_connection ./temporal_connection
COPY worker.py cli.py stack.py demo.py ./
RUN uv sync --locked

FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/app/.venv/bin:$PATH
RUN useradd --create-home --uid 10001 sla
WORKDIR /app
COPY --from=build /app /app
USER sla

FROM runtime AS worker
# The worker touches this file every 5 s while it polls Temporal; older than 30 s, it is stuck.
ENV SLA_HEARTBEAT_FILE=/tmp/sla-worker.alive
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import os,sys,time; sys.exit(time.time() - os.path.getmtime(os.environ['SLA_HEARTBEAT_FILE']) > 30)"
STOPSIGNAL SIGTERM
CMD ["python", "-m", "worker"]

# The last stage is what a plain `docker build .` makes: the API.
FROM runtime AS api
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=5 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health').status != 200)"
CMD ["uvicorn", "api.main:app", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers"]
