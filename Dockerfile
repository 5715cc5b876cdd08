# A small image of mcproxy, built from the packed packages (see docs/operations.md).
#
#   docker build -t mcproxy .
#   docker run --rm -p 8080:8080 -e MCPROXY_API_KEY -v "$PWD/pipeline.yaml:/etc/mcproxy/pipeline.yaml:ro" mcproxy
#
# The pipeline file must listen beyond loopback inside the container, and so
# must say who may use it (docs/operations.md has one that starts):
#   serve: { http: { host: 0.0.0.0, port: 8080, allowedHosts: [localhost] } }
#   auth: { apiKeys: [ { id: clients, key: "${MCPROXY_API_KEY}" } ] }

# Build the CLI and what it needs, and pack them as they would be published.
FROM node:22-bookworm-slim AS build
WORKDIR /src
RUN corepack enable
COPY . .
RUN pnpm install --frozen-lockfile \
 && node scripts/pack-install.mjs --pack-to /packs --for @mcproxy/cli

# Only the tarballs, installed with npm into an empty folder: no workspace, no dev dependencies.
# /packs holds the CLI and exactly the packages it depends on, so all of them are installed
# (scripts/dockerfile-check.mjs runs this npm install outside a container on every npm test).
FROM node:22-alpine
RUN apk add --no-cache tini
WORKDIR /opt/mcproxy
COPY --from=build /packs /tmp/packs
RUN npm init -y >/dev/null \
 && npm install --omit=dev --no-audit --no-fund /tmp/packs/*.tgz \
 && rm -rf /tmp/packs \
 && npm cache clean --force \
 && mkdir -p /etc/mcproxy
ENV NODE_ENV=production PATH=/opt/mcproxy/node_modules/.bin:$PATH
USER node
EXPOSE 8080
# tini is PID 1: it passes SIGTERM and SIGHUP on and reaps the grandchildren of stdio upstreams.
ENTRYPOINT ["/sbin/tini", "--", "mcproxy"]
CMD ["--config", "/etc/mcproxy/pipeline.yaml", "--log-format", "json"]
