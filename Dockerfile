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
# Export the fp32 and static int8 ONNX models at build time, so the first run does not pay for them: the default
# backend `auto` runs one of them (static int8 on AVX-512 VNNI hosts, fp32 in equal-length batches elsewhere;
# neither file depends on the host's CPU), onnx uses the fp32 one. onnx-int8, if chosen, quantizes its own copy
# for the host's CPU family from the fp32 file on first use (seconds), so the cache stays writable by the app user.
RUN python -c "from pipelines.embed import default_model_path, ensure_onnx_model; \
ensure_onnx_model(default_model_path()); ensure_onnx_model(default_model_path(), recipe='int8-static')"

RUN useradd --create-home --uid 10001 personas && mkdir -p /data /app/numba-cache \
    && chown -R personas /data /app/model-cache /app/numba-cache
USER personas
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["personas", "serve", "--host", "0.0.0.0", "--port", "8000"]
