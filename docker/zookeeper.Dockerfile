# ZooKeeper 3.8 from Debian (the server jar of the `zookeeper` source package, binary package
# libzookeeper-java, on a headless JRE), one ensemble member per container.
#   docker build -f docker/zookeeper.Dockerfile -t zkafka/zookeeper .       (from the project root)
# scripts/docker-images.sh builds it on a local Debian base when no registry is reachable.
# Environment (the official zookeeper image's names): ZOO_MY_ID, ZOO_SERVERS
# ("server.1=zk1:2888:3888;2181 server.2=..."; empty: standalone), ZOO_TICK_TIME, ZOO_INIT_LIMIT,
# ZOO_SYNC_LIMIT, ZOO_MAX_CLIENT_CNXNS, ZOO_4LW_COMMANDS_WHITELIST, ZOO_ADMINSERVER_ENABLED,
# ZOO_CFG_EXTRA ("k=v k=v"), ZOO_CNX_TIMEOUT_MS (peer connect timeout, default 2000), ZK_HEAP_OPTS
# (default -Xms32m -Xmx128m), JVMFLAGS. See docker/README.md.
ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE}
# The packages: by default the server jar and a headless JRE. ZK_PACKAGES=zookeeper installs the
# `zookeeper` binary package too (zkCli.sh, zkServer.sh), but it depends on the full default-jre
# and so brings X11, GTK and Mesa: about 280 MB more.
ARG ZK_PACKAGES="libzookeeper-java libslf4j-java default-jre-headless"

# The JRE's postinst wants its man directories even when dpkg leaves man pages out.
RUN mkdir -p /usr/share/man/man1 \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${ZK_PACKAGES} \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log \
 && { getent passwd zookeeper >/dev/null || useradd --system --user-group --uid 999 --home-dir /var/lib/zookeeper --shell /usr/sbin/nologin zookeeper; } \
 && mkdir -p /var/lib/zookeeper/data /etc/zookeeper/docker \
 && chown -R zookeeper:zookeeper /var/lib/zookeeper /etc/zookeeper/docker

COPY docker/zookeeper-entrypoint.sh docker/zookeeper-healthcheck.sh /usr/local/bin/

ENV ZOO_DATA_DIR=/var/lib/zookeeper/data \
    ZOO_CONF_DIR=/etc/zookeeper/docker
USER zookeeper
WORKDIR /var/lib/zookeeper
VOLUME /var/lib/zookeeper/data
EXPOSE 2181 2888 3888
# Healthy when `srvr` reports a Mode: the node is in a quorum (or standalone) and serves clients.
HEALTHCHECK --interval=1s --timeout=3s --start-period=60s --retries=3 CMD ["zookeeper-healthcheck.sh"]
ENTRYPOINT ["zookeeper-entrypoint.sh"]
