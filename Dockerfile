# syntax=docker/dockerfile:1
# spotify-snowflake-pipeline: the CLI in a container that needs no volume (state in S3 with STATE_URL, tokens
# in Secrets Manager with SPOTIFY_TOKEN_SECRET_ID, the lake in S3_BUCKET_NAME). See docs/deployment.md.
#   docker build --platform linux/amd64 -t spotify-pipeline .     (the platform the task runs on: see docs/deployment.md)
#   docker run --rm --env-file prod.env spotify-pipeline run-once
# Node 24 (the LTS line; 20 is end-of-life), pinned to one release so a rebuild gets the same runtime. CI runs the
# test suite on exactly this version (.ci/run reads it from this line). scripts/image-smoke.sh builds and runs it.
ARG NODE_IMAGE=node:24.22.3-bookworm-slim

# 1. Build: every dependency (TypeScript is a dev dependency), then tsc. --ignore-scripts skips `prepare`
#    (it would build before the sources are copied); the build runs explicitly below.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# 2. Runtime dependencies only. No runtime dependency has an install script (DuckDB's native binding is an
#    optional platform package, @duckdb/node-bindings-linux-x64 or -arm64, chosen by npm for this image), so
#    --ignore-scripts loses nothing and keeps `prepare` (tsc, a dev dependency) from running.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# 3. The image: compiled code, runtime dependencies, a non-root user. Nothing is written to disk when the
#    lake and the state are in S3; the working directory (the node user's home) only matters for a local try-out.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY bin ./bin
USER node
WORKDIR /home/node
# The service mode serves /healthz on loopback (inside the container's or the task's network namespace): the
# HEALTHCHECK below and an ECS container healthCheck reach it there. Set METRICS_HOST=0.0.0.0 for a
# Kubernetes probe or a Prometheus scrape from outside.
ENV METRICS_PORT=9464
EXPOSE 9464
# Healthy once a collection succeeded within three intervals (src/metrics/health.ts); the start period
# covers the first one. A run-once container ends long before a probe counts.
HEALTHCHECK --interval=60s --timeout=5s --start-period=120s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.METRICS_PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node is PID 1 here, with no init: that is enough because every command handles SIGINT and SIGTERM itself
# (the kernel delivers to PID 1 only the signals it handles; see docs/operations.md, "Stopping a command"), and
# the only child process the CLI starts (`sync`, for a local lake) it waits for itself: no zombie for PID 1 to reap.
ENTRYPOINT ["node", "/app/bin/spotify-pipeline.js"]
CMD ["run-continuous"]
