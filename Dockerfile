# luma-bot: `docker build -t luma-bot .` then
# `docker run --env-file .env -v luma-data:/data -p 127.0.0.1:8080:8080 luma-bot` (values unquoted: see README)
# For hosting without a lasting disk (PostgreSQL, an S3 bucket): --build-arg LOCK=requirements-hosted.lock
FROM python:3.11-slim
ARG LOCK=requirements.lock

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DATABASE_PATH=/data/luma-bot.sqlite3 \
    WEB_HOST=0.0.0.0 \
    WEB_PORT=8080

RUN useradd --create-home --uid 10001 luma && mkdir /data && chown luma:luma /data

WORKDIR /app
# the same install steps CI runs: the locked versions, then a plain, non-editable install
COPY requirements.lock requirements-hosted.lock ./
RUN pip install --no-cache-dir -r "$LOCK"
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
RUN pip install --no-cache-dir --no-deps .

USER luma
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('WEB_PORT', '8080'), timeout=4)"
CMD ["luma-bot", "run"]
