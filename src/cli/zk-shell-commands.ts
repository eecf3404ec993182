/**
 * The commands of zookeeper-shell (Kafka's wrapper of ZooKeeper's zkCli), run against a
 * ZkClient, printing what zkCli 3.5 prints:
 *
 *   ls [-s] [-R] path        [child1, child2]  (-R: every path of the subtree, one a line)
 *   get [-s] path            the data as UTF-8 (-s: then the stat)
 *   stat path                cZxid = 0x.. / ctime = <Java Date> / ... / numChildren = N
 *   create [-s] [-e] path [data]   Created <path>
 *   set [-s] [-v version] path data
 *   delete [-v version] path
 *   deleteall path, rmr path       recursive delete
 *   help, quit
 *
 * Errors are zkCli's lines ("Node does not exist: /x", "Node already exists: /x", "Node not
 * empty: /x") on the error stream; a command returns false when it failed.
 */
import type { ZkClient, ZkStat } from '../zk/client.js';
import { BadVersionError, NodeExistsError, NoNodeError, NotEmptyError, ZkCode, ZkError } from '../zk/errors.js';
import { invalidPathReason, walkTree } from '../zk/tree.js';
import { describeError } from './common.js';

export interface ShellIo {
  out(text: string): void;
  err(text: string): void;
}

/** A command used wrongly: its message, then its usage line, go to the error stream. */
class UsageError extends Error {}

interface Command {
  usage: string;
  /** The one-letter flags it takes, and those of them that take a value. */
  flags: string;
  valued?: string;
  run(zk: ZkClient, args: Parsed, io: ShellIo): Promise<void>;
}

interface Parsed {
  flags: Map<string, string | true>;
  rest: string[];
}

/** Splits a command line as zkCli does: words, or "..." / '...' with the quotes removed. */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/\s*([^"'\s]\S*|"[^"]*"|'[^']*')\s*/g)) {
    const v = m[1]!;
    out.push(/^(["']).*\1$/s.test(v) && v.length >= 2 ? v.slice(1, -1) : v);
  }
  return out;
}

/** Java's Date.toString: "EEE MMM dd HH:mm:ss zzz yyyy", in the local time zone. */
export function javaDate(ms: number): string {
  const d = new Date(ms);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const two = (n: number) => String(n).padStart(2, '0');
  const zone = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? 'UTC';
  return `${days[d.getDay()]} ${months[d.getMonth()]} ${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${zone} ${d.getFullYear()}`;
}

/** Java's Long.toHexString (two's complement for negative values). */
const hex = (v: bigint): string => `0x${BigInt.asUintN(64, v).toString(16)}`;

/** The stat block zkCli prints (printStat). */
export function formatStat(s: ZkStat): string {
  return [
    `cZxid = ${hex(s.czxid)}`,
    `ctime = ${javaDate(s.ctime)}`,
    `mZxid = ${hex(s.mzxid)}`,
    `mtime = ${javaDate(s.mtime)}`,
    `pZxid = ${hex(s.pzxid)}`,
    `cversion = ${s.cversion}`,
    `dataVersion = ${s.version}`,
    `aclVersion = ${s.aversion}`,
    `ephemeralOwner = ${hex(s.ephemeralOwner)}`,
    `dataLength = ${s.dataLength}`,
    `numChildren = ${s.numChildren}`,
  ].join('\n');
}

/**
 * Leading flags (`-e`, `-v 3`; `valued` names those that take a value) and the positional
 * arguments. Flags stop at the first positional, so data such as `-1` after the path is data.
 */
function parseArgs(args: string[], known: string, valued = ''): Parsed {
  const flags = new Map<string, string | true>();
  let i = 0;
  for (; i < args.length && /^-[A-Za-z]$/.test(args[i]!); i++) {
    const f = args[i]![1]!;
    if (!known.includes(f)) throw new UsageError(`Unknown option: -${f}`);
    if (valued.includes(f)) {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`Missing argument for option: ${f}`);
      flags.set(f, v);
    } else flags.set(f, true);
  }
  return { flags, rest: args.slice(i) };
}

function path(p: string | undefined): string {
  if (p === undefined) throw new UsageError('missing path');
  const reason = invalidPathReason(p);
  if (reason) throw new UsageError(reason);
  return p;
}

function positional(a: Parsed, min: number, max: number): string[] {
  if (a.rest.length < min) throw new UsageError(a.rest.length === 0 ? 'missing path' : 'missing argument');
  if (a.rest.length > max) throw new UsageError(`too many arguments: ${a.rest.slice(max).join(' ')} (quote data that holds spaces)`);
  return a.rest;
}

function version(a: Parsed): number {
  const v = a.flags.get('v');
  if (v === undefined) return -1;
  if (typeof v !== 'string' || !/^-?\d+$/.test(v)) throw new UsageError(`version must be an integer, got "${String(v)}"`);
  return Number(v);
}

const COMMANDS: Record<string, Command> = {
  ls: {
    usage: 'ls [-s] [-R] path',
    flags: 'sR',
    async run(zk, a, io) {
      const [p] = positional(a, 1, 1).map(path);
      if (a.flags.has('R')) {
        const all = await walkTree(zk, p!);
        if (!all) throw new NoNodeError(p!);
        io.out(all.join('\n') + '\n');
        return;
      }
      const kids = await zk.children(p!);
      if (!kids) throw new NoNodeError(p!);
      io.out(`[${kids.join(', ')}]\n`);
      if (a.flags.has('s')) io.out(formatStat(await stat(zk, p!)) + '\n');
    },
  },
  get: {
    usage: 'get [-s] path',
    flags: 's',
    async run(zk, a, io) {
      const [p] = positional(a, 1, 1).map(path);
      const node = await zk.get(p!);
      if (!node) throw new NoNodeError(p!);
      io.out(node.data.toString('utf8') + '\n');
      if (a.flags.has('s')) io.out(formatStat(node.stat) + '\n');
    },
  },
  stat: {
    usage: 'stat path',
    flags: '',
    async run(zk, a, io) {
      const [p] = positional(a, 1, 1).map(path);
      io.out(formatStat(await stat(zk, p!)) + '\n');
    },
  },
  create: {
    usage: 'create [-s] [-e] path [data]',
    flags: 'se',
    async run(zk, a, io) {
      const [p, data] = positional(a, 1, 2);
      const mode = a.flags.has('e') ? (a.flags.has('s') ? 'ephemeral_sequential' : 'ephemeral') : a.flags.has('s') ? 'persistent_sequential' : 'persistent';
      const created = await zk.create(path(p), data ?? '', { mode });
      io.out(`Created ${created}\n`);
    },
  },
  set: {
    usage: 'set [-s] [-v version] path data',
    flags: 'sv',
    valued: 'v',
    async run(zk, a, io) {
      const [p, data] = positional(a, 2, 2);
      await zk.set(path(p), data!, version(a));
      if (a.flags.has('s')) io.out(formatStat(await stat(zk, p!)) + '\n');
    },
  },
  delete: {
    usage: 'delete [-v version] path',
    flags: 'v',
    valued: 'v',
    async run(zk, a) {
      const [p] = positional(a, 1, 1).map(path);
      await zk.delete(p!, version(a));
    },
  },
  deleteall: {
    usage: 'deleteall path',
    flags: '',
    async run(zk, a) {
      const [p] = positional(a, 1, 1).map(path);
      if (p === '/') throw new UsageError('refusing to delete the root /');
      if (!(await zk.exists(p!))) throw new NoNodeError(p!);
      await zk.deleteRecursive(p!);
    },
  },
};
COMMANDS.rmr = { ...COMMANDS.deleteall!, usage: 'rmr path' };

async function stat(zk: ZkClient, p: string): Promise<ZkStat> {
  const s = await zk.exists(p);
  if (!s) throw new NoNodeError(p);
  return s;
}

/** The command list `help` prints. */
export function helpText(): string {
  return ['ZooKeeper -server host:port cmd args', ...Object.values(COMMANDS).map((c) => `\t${c.usage}`), '\thelp', '\tquit', ''].join('\n');
}

/** zkCli's line for a ZooKeeper error about `p`. */
function zkCliMessage(err: unknown, p: string): string {
  if (err instanceof NoNodeError) return `Node does not exist: ${p}`;
  if (err instanceof NodeExistsError) return `Node already exists: ${p}`;
  if (err instanceof NotEmptyError) return `Node not empty: ${p}`;
  if (err instanceof BadVersionError) return `version No is not valid : ${p}`;
  if (err instanceof ZkError && err.zkCode === ZkCode.NO_CHILDREN_FOR_EPHEMERALS) return `Ephemerals cannot have children: ${p}`;
  return describeError(err);
}

/**
 * Runs one command (already split into words); 'quit' when the shell should stop. Returns
 * whether the command succeeded.
 */
export async function runShellCommand(zk: ZkClient, words: string[], io: ShellIo): Promise<boolean | 'quit'> {
  const [name, ...args] = words;
  if (name === undefined) return true;
  if (name === 'quit') return 'quit';
  if (name === 'help') {
    io.out(helpText());
    return true;
  }
  const cmd = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!cmd) {
    io.err(`Unknown command: ${name}\n${helpText()}`);
    return false;
  }
  try {
    await cmd.run(zk, parseArgs(args, cmd.flags, cmd.valued), io);
    return true;
  } catch (err) {
    // ZkClient's errors carry the path as the user typed it (the chroot is not in it)
    if (err instanceof UsageError) io.err(`${err.message}\nusage: ${cmd.usage}\n`);
    else io.err(zkCliMessage(err, err instanceof ZkError ? err.path : '?') + '\n');
    return false;
  }
}
