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
