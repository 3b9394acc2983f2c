# The API and the worker: one image, two commands (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY workflows ./workflows
COPY activities ./activities
COPY api ./api
COPY database ./database
COPY terminal ./terminal
COPY temporal_connection ./temporal_connection
COPY worker.py cli.py stack.py demo.py ./
RUN pip install . && useradd --create-home --uid 10001 sla
USER sla

EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=5 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health').status != 200)"
CMD ["uvicorn", "api.main:app", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers"]
