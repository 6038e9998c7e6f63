# syntax=docker/dockerfile:1
# One image for every part of Tributary: `broker`, `controller`, `group-coordinator`, the
# `tributary` CLI, and `node-zone` (the broker's init step that reads its node's zone label).
#   docker build -t tributary:dev .
#   docker run --rm tributary:dev broker --etcd.endpoints http://etcd:2379
#   docker run --rm -i tributary:dev tributary topics list --bootstrap broker:9092
# Node runs as PID 1 and handles SIGTERM itself (every service installs a handler that runs its
# orderly, controlled shutdown), so no init process or shell stands between the runtime and Node.
# Nothing is written outside mounted volumes: it runs with a read-only root filesystem.

ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
# Manifests first, so the dependency layer is reused while only sources change.
COPY package.json package-lock.json ./
COPY packages/auth/package.json packages/auth/
COPY packages/errors/package.json packages/errors/
COPY packages/proto/package.json packages/proto/
COPY packages/record-batch/package.json packages/record-batch/
COPY packages/registry/package.json packages/registry/
COPY packages/service-kit/package.json packages/service-kit/
COPY packages/test-kit/package.json packages/test-kit/
COPY packages/telemetry/package.json packages/telemetry/
COPY packages/topic-config/package.json packages/topic-config/
COPY services/broker/package.json services/broker/
COPY services/controller/package.json services/controller/
COPY services/group-coordinator/package.json services/group-coordinator/
COPY clients/ts/package.json clients/ts/
# Install scripts stay off, as on the development machines (every native dependency is prebuilt).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# Only the shipped code is compiled (not the tests), then dev dependencies go.
RUN npm run gen \
 && npx tsc -b tsconfig.json \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund
# The runtime tree: manifests, compiled code, the .proto contract (loaded at run time) and the
# production node_modules, whose @tributary/* entries are relative links into packages/.
RUN mkdir -p /app \
 && cp -a package.json node_modules proto docker /app/ \
 && for dir in packages/* services/* clients/ts; do \
      mkdir -p "/app/$dir" && cp -a "$dir/package.json" "$dir/dist" "/app/$dir/"; \
    done \
 && cp -a clients/ts/bin /app/clients/ts/ \
 && rm -rf /app/packages/test-kit /app/node_modules/@tributary/test-kit

FROM ${NODE_IMAGE}
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="tributary" \
      org.opencontainers.image.description="Tributary: a distributed commit log in the Kafka mould (broker, controller, group coordinator, CLI)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/tributary/tributary" \
      org.opencontainers.image.documentation="https://github.com/tributary/tributary/blob/main/docs/kubernetes.md"
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and not writable by the runtime user: the code cannot be changed at run time.
COPY --from=build /app /app
# The image's `node` user (uid 1000), numeric so Kubernetes can check runAsNonRoot.
USER 1000:1000
# Broker, controller, group coordinator.
EXPOSE 9092 9190 9290
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/app/docker/entrypoint.mjs"]
CMD ["broker"]
