# One image, two programs: the runtime (default command) and the operator (`node dist/operator/main.js`).
# Build: docker build -t goassist:dev .
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY contract ./contract
COPY runtime ./runtime
COPY operator ./operator
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev

FROM node:20-bookworm-slim
# pocketsphinx is the embedded ASR engine (ASR_ENGINE=pocketsphinx, the default).
RUN apt-get update \
 && apt-get install -y --no-install-recommends pocketsphinx pocketsphinx-en-us ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production PORT=8000
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY runtime/engines/avatar/proto ./runtime/engines/avatar/proto
COPY examples/web-client ./examples/web-client
# Non-root; the pod spec adds a read-only root filesystem with an emptyDir at /tmp.
USER 10001:10001
EXPOSE 8000
CMD ["node", "dist/runtime/main.js"]
