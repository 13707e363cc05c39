# The controller image the Helm chart runs (entrypoint `egts`; the chart passes `controller …` or
# `certgen …`). Not built by CI: this project's machines have no container runtime. `npm run image`
# (scripts/build-image.mjs) builds the same image without Docker, reproducibly, as an OCI archive
# (dist/image/egts-<version>.oci.tar, named ghcr.io/egts/controller:<version>): the same Node (20.20.2,
# official build) at /usr/local/bin/node, the same /app layout (package.json, bin/, dist/{operator,
# constructs,proto}, production node_modules), entrypoint, user and working directory. Only the base
# differs: there it is the Debian bookworm libraries Node needs, with no shell. Keep the two in step.
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npx tsc -p tsconfig.json && npm prune --omit=dev --ignore-scripts \
  && mkdir -p /out/dist && cp -r dist/operator dist/constructs dist/proto /out/dist/ \
  && find /out/dist -name '*.map' -delete && rm -f node_modules/.package-lock.json

FROM node:20.20.2-bookworm-slim
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /out/dist ./dist
COPY --from=build /src/bin ./bin
RUN groupadd --gid 65532 nonroot && useradd --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin nonroot
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/node", "/app/bin/egts.js"]
