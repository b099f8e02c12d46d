# Tenantry's API (and, with another command, the projector), for docker-compose.yml.
FROM node:20-bookworm-slim

WORKDIR /app

# npm install, not npm ci: lockfiles made on one platform can miss other
# platforms' optional packages (@swc/core), which npm ci refuses.
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund

COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# The data dir keeps the generated operator token when TENANTRY_OPERATOR_TOKEN
# is not set; the embedded Postgres is not used here (DATABASE_URL is set).
# NODE_OPTIONS: the heap limit of every node process here, API, projector and
# CLI alike (libs/runtime/heap.ts says why; raise it for larger tenants).
ENV NODE_ENV=production \
    TENANTRY_DATA_DIR=/var/lib/tenantry \
    NODE_OPTIONS=--max-old-space-size=1024
RUN mkdir -p /var/lib/tenantry && chown node:node /var/lib/tenantry
USER node

EXPOSE 3000
CMD ["node", "--enable-source-maps", "dist/apps/api/main.js"]
