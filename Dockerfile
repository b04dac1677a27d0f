# PLACEHOLDER: the hardened gateway deployment image arrives with the gateway issue.
# Building this today gives an image that only prints mcp-warden's help.
ARG BASE=node:24-bookworm-slim
FROM ${BASE}
WORKDIR /opt/mcp-warden
COPY package.json package-lock.json ./
COPY dist ./dist
COPY profiles ./profiles
RUN npm ci --omit=dev --ignore-scripts
USER node
ENTRYPOINT ["node", "/opt/mcp-warden/dist/cli/main.js"]
CMD ["--help"]
