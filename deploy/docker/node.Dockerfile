# syntax=docker/dockerfile:1
# One province's gateway node. Build from the repository root:
#   docker build -f deploy/docker/node.Dockerfile -t gateway-node .
# tests/Gateway.Deploy.Tests runs the `dotnet restore` and `dotnet publish` lines below as written (only the -o folder
# changes) and starts what they publish, so a change here that breaks the image breaks that test.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props ./
# Project files first: the restore layer is reused until a dependency changes.
COPY src/Gateway.Domain/Gateway.Domain.csproj src/Gateway.Domain/
COPY src/Gateway.Contracts/Gateway.Contracts.csproj src/Gateway.Contracts/
COPY src/Gateway.Storage/Gateway.Storage.csproj src/Gateway.Storage/
COPY src/Gateway.Messaging/Gateway.Messaging.csproj src/Gateway.Messaging/
COPY src/Gateway.Idempotency/Gateway.Idempotency.csproj src/Gateway.Idempotency/
COPY src/Gateway.Node/Gateway.Node.csproj src/Gateway.Node/
RUN dotnet restore src/Gateway.Node/Gateway.Node.csproj
# The domain embeds seeds/ (calendars, regimes); the contracts compile protos/.
COPY protos/ protos/
COPY seeds/ seeds/
COPY src/Gateway.Domain/ src/Gateway.Domain/
COPY src/Gateway.Contracts/ src/Gateway.Contracts/
COPY src/Gateway.Storage/ src/Gateway.Storage/
COPY src/Gateway.Messaging/ src/Gateway.Messaging/
COPY src/Gateway.Idempotency/ src/Gateway.Idempotency/
COPY src/Gateway.Node/ src/Gateway.Node/
RUN dotnet publish src/Gateway.Node/Gateway.Node.csproj -c Release --no-restore -p:UseAppHost=false -o /app/publish

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS run
WORKDIR /app
COPY --from=build /app/publish .
# TLS only: the image listens on HTTPS 8443 and clears the base image's plaintext port 8080; a node without
# Gateway__Tls__* refuses to start (docs/security.md). Migrations run at start, under an advisory lock.
ENV ASPNETCORE_HTTP_PORTS="" \
    ASPNETCORE_URLS="https://+:8443" \
    ASPNETCORE_ENVIRONMENT="Production"
EXPOSE 8443
# The base image's non-root user (uid 1654).
USER $APP_UID
# grpc.health.v1 Check through the node's own binary on loopback: nothing is downloaded into the image.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 CMD ["dotnet", "Gateway.Node.dll", "--health-check"]
ENTRYPOINT ["dotnet", "Gateway.Node.dll"]
