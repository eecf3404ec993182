# The zkafka broker (and the project's command-line tools), multi-stage:
#   build     npm ci with the dev dependencies, tsc
#   modules   npm ci --omit=dev (production dependencies only)
#   runtime   the compiled code and production modules, a non-root user, a data volume
#   docker build -f docker/broker.Dockerfile -t zkafka/broker .        (from the project root)
# scripts/docker-images.sh builds it on a local Node 20 base when no registry is reachable.
# Configuration: config/server.properties of the image (docker/server.properties) plus
# KAFKA_<NAME> variables (KAFKA_BROKER_ID -> broker.id, KAFKA_ZOOKEEPER_CONNECT ->
# zookeeper.connect; `__` is a literal `_`); see docker/broker-entrypoint.sh and docker/README.md.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /build
COPY package.json package-lock.json ./
# No install scripts: tsc needs none, and the native modules ship prebuilt binaries.
RUN npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p tsconfig.json

FROM ${NODE_IMAGE} AS modules
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error \
 && npm cache clean --force >/dev/null 2>&1

FROM ${NODE_IMAGE}
RUN groupadd --system --gid 1001 kafka \
 && useradd --system --uid 1001 --gid kafka --home-dir /var/lib/kafka --no-create-home --shell /usr/sbin/nologin kafka \
 && mkdir -p /var/lib/kafka/data \
 && chown -R kafka:kafka /var/lib/kafka
WORKDIR /opt/zkafka
COPY package.json ./
COPY --from=modules /build/node_modules ./node_modules
COPY bin ./bin
COPY docker/server.properties ./config/server.properties
COPY docker/broker-entrypoint.sh docker/broker-healthcheck.mjs ./docker/
COPY --from=build /build/dist/src ./dist/src
ENV PATH=/opt/zkafka/bin:/opt/zkafka/docker:$PATH \
    KAFKA_LOG_LEVEL=info \
    NODE_ENV=production
USER kafka
VOLUME /var/lib/kafka/data
EXPOSE 9092
# Healthy when the broker answers Metadata and lists itself (registered, and told of the cluster).
HEALTHCHECK --interval=2s --timeout=3s --start-period=60s --retries=3 CMD ["node", "/opt/zkafka/docker/broker-healthcheck.mjs"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/opt/zkafka/docker/broker-entrypoint.sh"]
