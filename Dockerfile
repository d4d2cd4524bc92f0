# releasebot's image: the locked dependencies on a slim Python, run as a non-root user.
#   docker build -t releasebot:0.1.0 .
# deploy/ runs it with a read-only root filesystem; the working directory is a volume.
FROM python:3.12-slim AS build
COPY --from=ghcr.io/astral-sh/uv:0.8 /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never
WORKDIR /app
# Dependencies first, from the lock file alone, so a code change reuses this layer.
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev --no-install-project
COPY README.md ./
COPY bot ./bot
COPY commands ./commands
COPY storage ./storage
RUN uv sync --locked --no-dev --no-editable

FROM python:3.12-slim
RUN groupadd --system --gid 10001 releasebot \
 && useradd --system --uid 10001 --gid releasebot --home-dir /var/lib/releasebot releasebot \
 && mkdir -p /var/lib/releasebot && chown releasebot:releasebot /var/lib/releasebot
COPY --from=build /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
USER 10001:10001
WORKDIR /var/lib/releasebot
EXPOSE 3000
ENTRYPOINT ["releasebot"]
CMD ["serve", "--host", "0.0.0.0", "--port", "3000"]
