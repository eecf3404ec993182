# Shared helpers for the project's shell scripts. Source it; it defines functions only.

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }
die() { printf '[%s] error: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }

# Prints the Java classpath that runs a ZooKeeper server, or fails.
# $ZOOKEEPER_HOME (an Apache tarball: lib/*.jar) wins; else Debian's jars.
zk_classpath() {
  if [ -n "${ZOOKEEPER_HOME:-}" ] && ls "$ZOOKEEPER_HOME"/lib/*.jar >/dev/null 2>&1; then
    local cp
    cp=$(ls "$ZOOKEEPER_HOME"/lib/*.jar "$ZOOKEEPER_HOME"/*.jar 2>/dev/null | tr '\n' ':')
    printf '%s\n' "${cp%:}"
    return 0
  fi
  if [ -f /usr/share/java/zookeeper.jar ]; then
    local cp=/usr/share/java/zookeeper.jar
    [ -f /usr/share/java/slf4j-simple.jar ] && cp="$cp:/usr/share/java/slf4j-simple.jar"
    printf '%s\n' "$cp"
    return 0
  fi
  return 1
}

# Is the process with this pid alive?
pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# Waits until a pid has exited (up to $2 seconds, default 20). Returns 1 on timeout.
wait_pid_exit() {
  local pid=$1 limit=${2:-20} i=0
  while pid_alive "$pid"; do
    sleep 0.1; i=$((i + 1))
    [ "$i" -ge $((limit * 10)) ] && return 1
  done
  return 0
}

# Sends a ZooKeeper four-letter word to 127.0.0.1:$1 and prints the answer.
zk_4lw() {
  local port=$1 word=$2
  node -e '
    const s = require("net").connect(+process.argv[1], "127.0.0.1");
    let out = ""; s.setTimeout(2000, () => s.destroy());
    s.on("connect", () => s.write(process.argv[2]));
    s.on("data", d => out += d); s.on("error", () => {});
    s.on("close", () => process.stdout.write(out));
  ' "$port" "$word"
}

# Is a TCP port on 127.0.0.1 free?
port_free() {
  node -e '
    const s = require("net").createServer(); s.once("error", () => process.exit(1));
    s.listen(+process.argv[1], "127.0.0.1", () => s.close(() => process.exit(0)));
  ' "$1"
}

# --- ZooKeeper process helpers (zk-ensemble.sh, zookeeper-server-start/stop.sh) ---

# Prints the `Mode:` a ZooKeeper server on 127.0.0.1:$1 reports to `srvr`
# (leader, follower, standalone, observer), or nothing when it does not serve.
zk_mode() {
  zk_4lw "$1" srvr 2>/dev/null | sed -n 's/^Mode: *//p' | tr -d '\r'
}

# Does the live process $1 have $2 (a fixed string, e.g. its config path) in its command line?
# Guards every kill against a recycled pid: we only ever signal a process we can recognise.
pid_matches() {
  local pid=$1 needle=$2
  pid_alive "$pid" || return 1
  if [ -r "/proc/$pid/cmdline" ]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$needle"
  else
    ps -o args= -p "$pid" 2>/dev/null | grep -qF -- "$needle"
  fi
}

# Stops one process by pid: SIGTERM, wait up to $2 s (default 10), then SIGKILL and wait.
# Returns 0 once the process is gone.
stop_pid() {
  local pid=$1 grace=${2:-10}
  pid_alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  wait_pid_exit "$pid" "$grace" && return 0
  log "pid $pid still alive after ${grace}s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  wait_pid_exit "$pid" 10
}

# The JVM options of a small ZooKeeper node (machine.md: -Xmx128m minimum).
zk_java_opts() {
  printf '%s\n' "${ZK_HEAP_OPTS:--Xms32m -Xmx128m} -XX:+UseSerialGC -Dzookeeper.admin.enableServer=false -Djava.net.preferIPv4Stack=true"
}
