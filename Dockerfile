# One image, two programs: the runtime (default command) and the operator (`node dist/operator/main.js`).
# Build: docker build -t goassist:dev .
FROM node:20-bookworm-slim AS build
# The embedded ASR's streaming decoder is compiled against Debian's PocketSphinx.
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev pkg-config libpocketsphinx-dev libsphinxbase-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY contract ./contract
COPY runtime ./runtime
COPY operator ./operator
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev
RUN sh runtime/engines/asr/native/build.sh

FROM node:20-bookworm-slim
# PocketSphinx is the embedded ASR engine (ASR_ENGINE=pocketsphinx, the default): its library and
# US English model; flite speaks the phrase that primes each decoder at start.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpocketsphinx3 libsphinxbase3 pocketsphinx-en-us flite ca-certificates \
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
