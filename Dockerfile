# mcp-warden gateway, hardened: non-root, read-only root filesystem, no shell, no package manager.
#
# No registry is reachable where mcp-warden is built, so nothing here is pulled and nothing is RUN. No
# `# syntax=` line either: with it BuildKit would fetch a frontend image from a registry.
#   BASE   a runtime image with node and nothing else. CI uses the warden's own offline image
#          (`mcp-warden image build` → mcp-warden/node:<hash>: the host's node and the libraries it links,
#          no shell). With a registry, a distroless node image works too (gcr.io/distroless/nodejs24).
#   stage/ the application, prepared on the host by deploy/docker/stage-context.mjs: compiled dist/,
#          production node_modules, profiles/, package.json. The build context is the directory that
#          script writes, not the repository.
#
# DOCKER_BUILDKIT=0: the classic builder, which every engine still has. An engine >= 23 makes BuildKit the
# default, and the CLI then refuses to build at all without the buildx plugin (Debian bookworm has no
# package for it). With buildx, plain `docker build` should do as well (nothing here needs BuildKit; not
# tried where this is built, which has no buildx).
#   node deploy/docker/stage-context.mjs --out /tmp/mcp-warden-image
#   DOCKER_BUILDKIT=0 docker build -t mcp-warden-gateway --build-arg BASE=mcp-warden/node:<hash> /tmp/mcp-warden-image
#   docker run --rm --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges \
#     -p 8080:8080 -v /srv/mcp/gateway.json:/etc/mcp-warden/gateway.json:ro mcp-warden-gateway
ARG BASE=mcp-warden/node:local

# Stage 1: the application tree only. Nothing of this stage's base reaches the final image.
FROM scratch AS app
COPY stage/ /opt/mcp-warden/

# Stage 2: runtime.
FROM ${BASE}
COPY --from=app /opt/mcp-warden /opt/mcp-warden
ENV NODE_ENV=production \
    HOME=/tmp \
    MCP_WARDEN_CACHE_DIR=/tmp/mcp-warden-cache
WORKDIR /tmp
# nobody:nogroup. The files above stay root-owned: the gateway cannot change its own code.
USER 65534:65534
EXPOSE 8080
# The healthcheck asks /healthz on the config's listen port: the gateway's own --config (PID 1's command
# line), else the CMD's default path; MCP_WARDEN_HEALTH_URL overrides (src/gateway/health-url.ts).
HEALTHCHECK --interval=15s --timeout=3s --start-period=5s --retries=3 \
  CMD ["node", "/opt/mcp-warden/dist/gateway/healthcheck.js"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/opt/mcp-warden/dist/cli/main.js", "gateway"]
CMD ["--config", "/etc/mcp-warden/gateway.json"]
