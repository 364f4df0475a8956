# syntax=docker/dockerfile:1
# partwarden container image. The build stage compiles TypeScript; the runtime stage has only
# production dependencies (no embedded-postgres, no compiler) and runs as the unprivileged `node` user.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
# --ignore-scripts: no PostgreSQL test binaries are unpacked, and `prepare` runs after the sources are in
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY src ./src
COPY bench ./bench
RUN npx tsc -p tsconfig.json && rm -rf dist/src/dev dist/src/demo dist/bench

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PARTWARDEN_LOG_FORMAT=json \
    PARTWARDEN_CONFIG=/etc/partwarden/partwarden.yaml
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY schema ./schema
USER node
EXPOSE 9465
ENTRYPOINT ["node", "/app/dist/src/cli/main.js"]
CMD ["run"]
