# partyreg production image: gunicorn behind a TLS proxy, Celery worker and beat from the same
# image (see docker-compose.yml). Build: docker build -t partyreg .
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    PARTYREG_VAR_DIR=/app/var \
    PARTYREG_MEDIA_ROOT=/app/var/media \
    WEB_CONCURRENCY=3

# WeasyPrint's libraries (Pango ≥ 1.44, HarfBuzz subset) and a fallback font family.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation2 \
    && rm -rf /var/lib/apt/lists/*

RUN pip install --no-cache-dir "uv==0.13.9"

WORKDIR /app
# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

COPY . .
RUN python manage.py compile_translations \
    && DJANGO_PRODUCTION=1 DJANGO_SECRET_KEY=build-time-only-not-used-at-run-time \
        PARTYREG_SITE_URL=https://build.invalid python manage.py collectstatic --no-input \
    && python manage.py check --tag partyreg --fail-level ERROR \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin partyreg \
    && mkdir -p /app/var/media \
    && chown -R partyreg:partyreg /app/var

USER partyreg
EXPOSE 8000
CMD ["gunicorn", "partyreg.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "--timeout", "120"]
