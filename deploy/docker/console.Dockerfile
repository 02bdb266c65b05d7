# syntax=docker/dockerfile:1
# The operators' web console (a separate ASP.NET Core host, a gRPC client of one node's OpsService).
#   docker build -f deploy/docker/console.Dockerfile -t gateway-console .
# tests/Gateway.Deploy.Tests runs the `dotnet restore` and `dotnet publish` lines below and starts the output.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props ./
COPY src/Gateway.Contracts/Gateway.Contracts.csproj src/Gateway.Contracts/
COPY src/Gateway.Ops.Console/Gateway.Ops.Console.csproj src/Gateway.Ops.Console/
RUN dotnet restore src/Gateway.Ops.Console/Gateway.Ops.Console.csproj
COPY protos/ protos/
COPY src/Gateway.Contracts/ src/Gateway.Contracts/
COPY src/Gateway.Ops.Console/ src/Gateway.Ops.Console/
RUN dotnet publish src/Gateway.Ops.Console/Gateway.Ops.Console.csproj -c Release --no-restore -p:UseAppHost=false -o /app/publish

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS run
WORKDIR /app
COPY --from=build /app/publish .
# Plain HTTP/1.1 inside the container network; operators reach it through their own TLS ingress. It talks to the
# node over mTLS with an operator certificate (Console__Node, Console__ClientCertificate, Console__ClientKey, Console__NodeCa).
ENV ASPNETCORE_HTTP_PORTS="" \
    ASPNETCORE_URLS="http://+:5780" \
    ASPNETCORE_ENVIRONMENT="Production"
EXPOSE 5780
USER $APP_UID
# The console keeps no state and has no health service of its own: listening (on the port ASPNETCORE_URLS names) is
# what can be checked without the node; pages show the node's own state.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${ASPNETCORE_URLS##*:}"]
ENTRYPOINT ["dotnet", "Gateway.Ops.Console.dll"]
