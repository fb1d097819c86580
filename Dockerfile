# Carepath's API (or, with `carepath worker`, its mail worker) from the built wheel.
#   docker build -t carepath .
#   docker compose up        (PostgreSQL, Redis, a mail catcher, the API and a worker)
# Every variable set here or in compose.yaml is one that src/settings.py reads.

FROM python:3.11-slim AS build
WORKDIR /build
COPY pyproject.toml setup.py README.md LICENSE ./
COPY src ./src
RUN python -m pip wheel --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# The locked tree with its hashes, then Carepath's wheel without resolving again.
COPY requirements.lock /tmp/requirements.lock
COPY --from=build /wheels /wheels
RUN python -m pip install --require-hashes -r /tmp/requirements.lock \
    && python -m pip install --no-deps /wheels/*.whl \
    && rm -rf /wheels /tmp/requirements.lock \
    && useradd --create-home --uid 10001 --user-group carepath
USER carepath
WORKDIR /home/carepath
ENV CAREPATH_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["carepath", "serve"]
