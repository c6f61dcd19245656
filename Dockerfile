# One image for every service of docker-compose.yml (web, worker, beat): the command picks the role.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    WORKFLOW_DATA_DIR=/var/lib/workflow \
    WORKFLOW_WEB_HOST=0.0.0.0 \
    WORKFLOW_DEMO_CORPUS_DIR=/app/corpus

# Pango/HarfBuzz for WeasyPrint (PDF), CJK fonts so the PDFs show Chinese.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-noto-cjk \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
COPY workers ./workers
COPY config ./config
RUN pip install . && useradd --system --home /var/lib/workflow workflow \
 && mkdir -p /var/lib/workflow /app/corpus && chown workflow /var/lib/workflow

USER workflow
EXPOSE 8000
# web by default; docker-compose.yml runs `workflow worker` and `workflow beat` from the same image.
CMD ["workflow", "run", "--web-only"]
