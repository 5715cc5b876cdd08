# A small image of mcproxy, built from the packed packages (see docs/operations.md).
#
#   docker build -t mcproxy .
#   docker run --rm -p 8080:8080 -v "$PWD/pipeline.yaml:/etc/mcproxy/pipeline.yaml:ro" mcproxy
#
# The pipeline file must listen beyond loopback inside the container:
#   serve: { http: { host: 0.0.0.0, port: 8080, allowedHosts: [localhost] } }

# Build the workspace and pack the public packages, as they would be published.
FROM node:22-bookworm-slim AS build
WORKDIR /src
RUN corepack enable
COPY . .
RUN pnpm install --frozen-lockfile \
 && pnpm build \
 && node scripts/pack-install.mjs --pack-to /packs

# Only the tarballs, installed with npm into an empty folder: no workspace, no dev dependencies.
FROM node:22-alpine
RUN apk add --no-cache tini
WORKDIR /opt/mcproxy
COPY --from=build /packs /tmp/packs
RUN npm init -y >/dev/null \
 && npm install --omit=dev --no-audit --no-fund /tmp/packs/mcproxy-cli-*.tgz /tmp/packs/mcproxy-core-*.tgz /tmp/packs/mcproxy-transport-*.tgz /tmp/packs/mcproxy-mw-*.tgz \
 && rm -rf /tmp/packs \
 && npm cache clean --force \
 && mkdir -p /etc/mcproxy
ENV NODE_ENV=production PATH=/opt/mcproxy/node_modules/.bin:$PATH
USER node
EXPOSE 8080
# tini is PID 1: it passes SIGTERM and SIGHUP on and reaps the grandchildren of stdio upstreams.
ENTRYPOINT ["/sbin/tini", "--", "mcproxy"]
CMD ["--config", "/etc/mcproxy/pipeline.yaml", "--log-format", "json"]
