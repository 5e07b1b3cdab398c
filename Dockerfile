# syntax=docker/dockerfile:1
# The appliance host image: the node binary, PostgreSQL 15 and its commit guard (ext/appliance_guard).
# UNTESTED: no docker on the machines this was written on; build it with `docker build -t appliance .` and report what breaks.
#
# Run one node per container, with its own address (--host is what the node binds and advertises for Akka,
# PostgreSQL and HTTP alike), its data on a volume, and the secrets as files (mode 0600, owned by root):
#   docker run --name db1 --network host -v /var/lib/appliance:/var/lib/appliance -v /etc/appliance:/etc/appliance:ro \
#     appliance node --name db1 --host 10.0.0.1 --akka-port 4053 --http-port 8008 --pg-port 5432 \
#     --data-dir /var/lib/appliance --seed-nodes 10.0.0.1:4053,10.0.0.2:4053,10.0.0.3:4053 \
#     --state-store-file /etc/appliance/state-store --pg-password-file /etc/appliance/pg-password \
#     --api-token-file /etc/appliance/api-token
# The node runs as root and starts PostgreSQL as the postgres user. `docker stop` sends SIGTERM (a planned stop:
# the primary hands over first); give it time: `docker stop -t 90`. Restart with `--restart on-failure`, as systemd would.

# 1. The node, self-contained, so that the final image needs no .NET runtime of its own.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props Appliance.sln ./
COPY src/ src/
RUN dotnet publish src/Host/Appliance.Host.csproj -c Release -r linux-x64 --self-contained -o /out

# 2. The commit guard, built against the same PostgreSQL 15 the final image runs.
FROM debian:bookworm-slim AS guard
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-server-dev-15 make gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*
COPY ext/appliance_guard/ /ext/appliance_guard/
RUN make -C /ext/appliance_guard PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config \
 && make -C /ext/appliance_guard install PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config DESTDIR=/guard

# 3. The host: PostgreSQL 15 (Debian bookworm's), the guard, the node.
FROM debian:bookworm-slim
# No default cluster: the node runs initdb (or clones) in its own data directory.
RUN mkdir -p /etc/postgresql-common/createcluster.d \
 && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/appliance.conf \
 && apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15 ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/*
COPY --from=guard /guard/ /
COPY --from=build /out/ /opt/appliance/
ENV PATH=/opt/appliance:$PATH
VOLUME /var/lib/appliance
# PostgreSQL, HTTP (Patroni's port), Akka remoting, as in README's example.
EXPOSE 5432 8008 4053
STOPSIGNAL SIGTERM
ENTRYPOINT ["/opt/appliance/appliance"]
CMD ["--help"]
