# 3DPoseNet image: one image for web (uvicorn, python -m webapp.serve), worker (celery -Q pose) and trainer (celery -Q train).
# See docs/deploy.md. Build: `docker compose build` (or `docker build -t 3dposenet .`).
#
# torch: requirements.txt pins torch==2.13.0, which pip installs from PyPI here. On linux/x86_64 that is
# the CUDA build (it brings its own CUDA runtime wheels; the host needs only the NVIDIA driver and the
# NVIDIA Container Toolkit). For a CPU-only image (smaller; fine for `web`, slow for workers) build with
#   --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
# (which also keeps the CPU onnxruntime; --build-arg ONNXRUNTIME_GPU=0 keeps it in the CUDA image).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- the three.js viewer: npm ci && npm run build -> frontend/dist ---------------------------------
FROM ${NODE_IMAGE} AS frontend
WORKDIR /build/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build && test -f dist/viewer.js

# ---- the Python application -----------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Runtime libraries that opencv-contrib-python (pulled by mediapipe) and mediapipe link against.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libgl1 libglib2.0-0 libsm6 libice6 libxext6 libx11-6 libxcb1 \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 1000 posenet \
 && useradd --system --uid 1000 --gid posenet --create-home --home-dir /home/posenet posenet

WORKDIR /app

# Dependencies first (cached layer). TORCH_INDEX_URL empty: torch comes from PyPI (CUDA build).
ARG TORCH_INDEX_URL=
COPY requirements.txt ./
# The several-people detector (MoveNet, onnxruntime) uses the GPU through onnxruntime-gpu, the same
# version, in the CUDA image (ml/detect_multi.py picks its CUDA provider when present, else the CPU).
ARG ONNXRUNTIME_GPU=1
RUN if [ -n "$TORCH_INDEX_URL" ]; then \
      pip install --index-url "$TORCH_INDEX_URL" "$(grep -E '^torch==' requirements.txt)"; \
    fi \
 && pip install -r requirements.txt \
 && if [ -z "$TORCH_INDEX_URL" ] && [ "$ONNXRUNTIME_GPU" = 1 ]; then \
      ort="$(grep -E '^onnxruntime==' requirements.txt | cut -d= -f3)" \
      && pip uninstall -y onnxruntime && pip install "onnxruntime-gpu==$ort"; \
    fi

COPY . .
COPY --from=frontend /build/frontend/dist frontend/dist
# MediaPipe's lite/heavy landmark models (complexity 0/2) come from the npm package @mediapipe/pose;
# put them where mediapipe looks, as root, since the app user cannot write site-packages.
COPY --from=frontend /build/frontend/node_modules/@mediapipe/pose/pose_landmark_lite.tflite \
     /build/frontend/node_modules/@mediapipe/pose/pose_landmark_heavy.tflite /tmp/mediapipe-models/
RUN cp /tmp/mediapipe-models/*.tflite "$(python -c 'import mediapipe, os; print(os.path.dirname(mediapipe.__file__))')/modules/pose_landmark/" \
 && rm -r /tmp/mediapipe-models \
 && python tools/pose_task.py  # the Live page's detector models, into frontend/dist/mediapipe-tasks/

# Static files are collected at build time into the image and served by WhiteNoise.
# Media (uploads, results, checkpoints) go to /data/media: a volume shared by web, worker and trainer.
ENV DJANGO_STATIC_ROOT=/app/staticfiles \
    DJANGO_MEDIA_ROOT=/data/media \
    POSENET_VAR_DIR=/data/var
RUN python manage.py collectstatic --noinput \
 && mkdir -p /data/media /data/var \
 && chown -R posenet:posenet /data

USER posenet
EXPOSE 8000
CMD ["python", "-m", "webapp.serve"]
