/**
 * Network partitions on the loopback network, with nftables (Debian's `nft`, as root).
 *
 * Each broker of a kafka-verify cluster has a loopback address of its own (scripts/cluster.sh
 * --host-prefix: broker K listens on A.B.C.K and opens every connection from it, to ZooKeeper
 * too), while ZooKeeper and the clients stay on 127.0.0.1. A cut between two processes is then
 * two rules on the output hook (every loopback packet passes it once) that drop the packets of
 * that address pair, both ways:
 *
 *   broker A from broker B:   ip saddr A ip daddr B drop;  ip saddr B ip daddr A drop
 *   broker A from ZooKeeper:  ip saddr A ip daddr 127.0.0.1 tcp dport {zk ports} drop
 *                             ip saddr 127.0.0.1 tcp sport {zk ports} ip daddr A drop
 *
 * Packets are dropped, not refused: TCP retransmits into silence, sessions time out, exactly as
 * on a real network. Clients (127.0.0.1 to A) are untouched, so a leader cut from its peers and
 * ZooKeeper still serves them (Jepsen's case). Every run uses its own table
 * (`inet zkafka_verify_<pid>`) and its own address block, so runs on one machine do not see
 * each other's rules; the table is deleted when the run ends.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian puts nft in /usr/sbin, which a non-login PATH may lack. */
const NFT = existsSync('/usr/sbin/nft') ? '/usr/sbin/nft' : 'nft';

export interface Cut {
  id: number;
  /** Broker addresses cut from each other, both ways. */
  pairs: [string, string][];
  /** Broker addresses cut from ZooKeeper. */
  fromZk: string[];
}

export class NetFilter {
  readonly table: string;
  readonly #zkHost: string;
  readonly #zkPorts: number[];
  readonly #cuts = new Map<number, Cut>();
  #created = false;

  constructor(zkHost: string, zkPorts: number[], table = `zkafka_verify_${process.pid}`) {
    this.table = table;
    this.#zkHost = zkHost;
    this.#zkPorts = zkPorts;
  }

  /** Is nft usable here (root, netfilter in the kernel)? Returns the reason when not. */
  static unavailable(): string | undefined {
    try {
      execFileSync(NFT, ['list', 'tables'], { stdio: ['ignore', 'ignore', 'pipe'] });
      return undefined;
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
      if (e.code === 'ENOENT') return 'nft is not installed (Debian: apt-get install nftables; scripts/setup.sh does it as root)';
      return `nft does not work here (${e.stderr?.toString().trim() || e.message}); network faults need root and nftables`;
    }
  }

  add(cut: Cut): void {
    this.#cuts.set(cut.id, cut);
    this.#apply();
  }

  remove(id: number): void {
    if (this.#cuts.delete(id)) this.#apply();
  }

  /** The rules now in force, as nft prints them (for the report). */
  rules(): string[] {
    return this.#ruleLines();
  }

  #ruleLines(): string[] {
    const lines: string[] = [];
    const zkPorts = `{ ${this.#zkPorts.join(', ')} }`;
    for (const c of this.#cuts.values()) {
      for (const [a, b] of c.pairs) {
        lines.push(`ip saddr ${a} ip daddr ${b} drop comment "fault ${c.id}"`);
        lines.push(`ip saddr ${b} ip daddr ${a} drop comment "fault ${c.id}"`);
      }
      for (const a of c.fromZk) {
        lines.push(`ip saddr ${a} ip daddr ${this.#zkHost} tcp dport ${zkPorts} drop comment "fault ${c.id}"`);
        lines.push(`ip saddr ${this.#zkHost} tcp sport ${zkPorts} ip daddr ${a} drop comment "fault ${c.id}"`);
      }
    }
    return lines;
  }

  /** Replaces the table's rules in one nft transaction. */
  #apply(): void {
    const script = [
      `table inet ${this.table} {`,
      '  chain output {',
      '    type filter hook output priority 0; policy accept;',
      ...this.#ruleLines().map((l) => `    ${l}`),
      '  }',
      '}',
    ];
    const prefix = this.#created ? [`flush table inet ${this.table}`] : [];
    execFileSync(NFT, ['-f', '-'], { input: [...prefix, ...script].join('\n') + '\n', stdio: ['pipe', 'ignore', 'pipe'] });
    this.#created = true;
  }

  /** Deletes the table (every cut healed). Safe to call more than once. */
  close(): void {
    this.#cuts.clear();
    if (!this.#created) return;
    try {
      execFileSync(NFT, ['delete', 'table', 'inet', this.table], { stdio: 'ignore' });
    } catch {
      // already gone
    }
    this.#created = false;
  }
}
