# syntax=docker/dockerfile:1
# spotify-snowflake-pipeline: the CLI in a container that needs no volume (state in S3 with STATE_URL, tokens
# in Secrets Manager with SPOTIFY_TOKEN_SECRET_ID, the lake in S3_BUCKET_NAME). See docs/deployment.md.
#   docker build -t spotify-pipeline .
#   docker run --rm --env-file prod.env spotify-pipeline run-once
ARG NODE_IMAGE=node:20-bookworm-slim

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
# Node handles SIGTERM itself (run-continuous finishes the collection in flight, then exits 0): no init needed.
ENTRYPOINT ["node", "/app/bin/spotify-pipeline.js"]
CMD ["run-continuous"]
