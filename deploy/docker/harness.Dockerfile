# syntax=docker/dockerfile:1
# The harness command (gateway-harness): a whole simulated exchange with faults and invariants (docs/harness.md).
#   docker build -f deploy/docker/harness.Dockerfile -t gateway-harness .
#   docker run --rm gateway-harness run --provinces 2
# It hosts nodes (ASP.NET Core), so it runs on the ASP.NET image, and starts private PostgreSQL and redis-server
# processes unless given --postgres / --redis (the compose file's servers, deploy/compose/README.md).

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props ./
COPY protos/ protos/
COPY seeds/ seeds/
COPY src/ src/
RUN dotnet restore src/Gateway.Harness.Cli/Gateway.Harness.Cli.csproj
RUN dotnet publish src/Gateway.Harness.Cli/Gateway.Harness.Cli.csproj -c Release --no-restore -p:UseAppHost=false -o /app/publish

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS run
# The servers the harness starts for itself when none is given (Gateway.LocalServers finds them under /usr/lib/postgresql).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql redis-server \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/publish .
ENV ASPNETCORE_HTTP_PORTS=""
# Not root: the harness runs initdb and pg_ctl as its own user, which PostgreSQL requires.
USER $APP_UID
ENTRYPOINT ["dotnet", "gateway-harness.dll"]
CMD ["run", "--provinces", "2"]
