FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
    PERSONAS_DATABASE_URL=sqlite:////data/personas.db \
    PERSONAS_MODEL_CACHE=/app/model-cache \
    NUMBA_CACHE_DIR=/app/numba-cache

WORKDIR /app
# CPU build of torch first, so sentence-transformers does not pull the CUDA one.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
COPY pyproject.toml README.md constraints.txt ./
COPY service ./service
COPY pipelines ./pipelines
COPY migrations ./migrations
# The versions CI tested (constraints.txt pins everything but torch, installed above from the CPU index).
RUN pip install -c constraints.txt .
# What a fresh process would otherwise make on first use, made once here (`personas prepare`, as `make install`
# does): the ONNX file(s) PERSONAS_EMBEDDING_BACKEND runs (for `auto`: the fp32
# export, which does not depend on the host's CPU), and numba's cache of the clustering kernels in NUMBA_CACHE_DIR (a host with another
# CPU compiles its own on first use and adds them). onnx-int8, if chosen, quantizes its own copy for the host's
# CPU family on first use (seconds), so the caches stay writable by the app user; docker-compose.yml keeps both
# in named volumes.
RUN personas prepare

RUN useradd --create-home --uid 10001 personas && mkdir -p /data /app/numba-cache \
    && chown -R personas /data /app/model-cache /app/numba-cache
USER personas
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["personas", "serve", "--host", "0.0.0.0", "--port", "8000"]
