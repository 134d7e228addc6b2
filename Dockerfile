# syntax=docker/dockerfile:1
# One image for the API and the worker (docker-compose.yml runs it as `migrate`, `api` and `worker`).
#   docker build -t vendor-billing .
ARG NODE_IMAGE=node:20-slim

# 1. deps: every dependency from the lockfile (the build needs the dev ones: SWC).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts run only where package.json's `allowScripts` approves them. npm 10 (in this image) does not
# read that field, so every script is skipped and the approved one the build needs (@swc/core) is run by name;
# the embedded PostgreSQL's is not needed: a container always gets DATABASE_URL.
RUN npm ci --ignore-scripts --no-audit --no-fund && npm rebuild @swc/core

# 2. build: `npm run build` compiles apps, libs and migrations with SWC into dist/.
FROM deps AS build
COPY tsconfig.json swc.config.mjs ./
COPY scripts ./scripts
COPY libs ./libs
COPY apps ./apps
COPY migrations ./migrations
RUN npm run build && test -f dist/apps/api/src/main.js && test -f dist/apps/worker/src/main.js

# 3. prod-deps: production dependencies only. Optional ones are left out too: they are the embedded
# PostgreSQL binaries (about 60 MB, unused with DATABASE_URL) and pg-cloudflare (unused on Node).
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund && npm cache clean --force

# 4. runtime: node_modules (production), dist/, the migration runner and the billing page's static files.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    DATA_DIR=/app/.data
WORKDIR /app
COPY package.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY scripts/migrate.mjs ./scripts/migrate.mjs
COPY apps/api/public ./apps/api/public
# The code is root's and read-only to the app; only DATA_DIR is the app user's.
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 3000
# The API by default; the worker service runs `node dist/apps/worker/src/main.js`, the migrate service
# `node scripts/migrate.mjs run`. Nest handles SIGTERM itself (graceful shutdown).
CMD ["node", "dist/apps/api/src/main.js"]
