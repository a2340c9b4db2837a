# bulwark in a container. See README.md, "Running as a service".
#   docker build -t bulwark .
#   docker run -d --name bulwark -p 8080:8080 --stop-timeout 30 \
#     -v /etc/bulwark:/etc/bulwark:ro -v bulwark-state:/var/lib/bulwark bulwark
# The config is /etc/bulwark/bulwark.yaml (mount it); keep backup.dir under /var/lib/bulwark.

# Build stage: every dependency, then tsc to dist/.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the package's `prepare` would build before the sources are copied.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Runtime stage: production dependencies and dist/ only, run as the image's `node` user.
FROM node:20-slim
ENV NODE_ENV=production \
    BULWARK_ADMIN_URL=http://127.0.0.1:9901
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY conf ./conf
RUN mkdir -p /etc/bulwark /var/lib/bulwark && chown node:node /var/lib/bulwark
USER node
# The proxy listener of conf/bulwark.yaml (0.0.0.0:8080). The admin API stays on the
# container's loopback (127.0.0.1:9901): reach it with `docker exec`.
EXPOSE 8080
# SIGTERM drains in-flight requests for front.timeouts.drain (default 10s): give
# `docker stop` more than that (--stop-timeout 30, or docker stop -t 30).
STOPSIGNAL SIGTERM
# The admin API's /healthz, at BULWARK_ADMIN_URL (admin.listen must stay 127.0.0.1:9901,
# or set the variable to match it).
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.BULWARK_ADMIN_URL + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
CMD ["start", "-c", "/etc/bulwark/bulwark.yaml"]
