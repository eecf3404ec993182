/**
 * zookeeper-shell.sh H:P[,H:P...][/chroot] [command args...]: Kafka's zookeeper-shell, i.e.
 * ZooKeeper's zkCli, over the project's ZkClient (commands in zk-shell-commands.ts).
 *
 * With a command on the command line it runs it and exits: 0, or 1 when it failed (the
 * reason, e.g. "Node does not exist: /x", on stderr). Without one it reads commands from
 * stdin, one a line (a `[zk: H:P(CONNECTED) n]` prompt when stdin is a terminal), until EOF
 * or `quit`; then it exits 1 if any command failed, else 0. A chroot that does not exist is
 * created on connect, as every tool of this project does.
 */
import { createInterface } from 'node:readline';
import { newProgram, runWithZooKeeper } from './common.js';
import { helpText, runShellCommand, tokenize, type ShellIo } from './zk-shell-commands.js';
import type { ZkClient } from '../zk/client.js';

const TOOL = 'zookeeper-shell';

const stdio: ShellIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

/** Reads and runs commands from stdin until EOF or quit; false if any command failed. */
async function repl(zk: ZkClient, server: string): Promise<boolean> {
  const tty = process.stdin.isTTY === true;
  const rl = createInterface({ input: process.stdin, output: tty ? process.stdout : undefined, terminal: tty });
  let n = 0;
  let ok = true;
  const prompt = () => {
    if (!tty) return;
    rl.setPrompt(`[zk: ${server}(${zk.connected ? 'CONNECTED' : 'DISCONNECTED'}) ${n}] `);
    rl.prompt();
  };
  if (tty) process.stderr.write(`Connected to ${server}. Type "help" for the commands, "quit" or Ctrl-D to leave.\n`);
  prompt();
  try {
    for await (const line of rl) {
      const words = tokenize(line);
      if (words.length > 0) {
        const r = await runShellCommand(zk, words, stdio);
        if (r === 'quit') break;
        ok &&= r;
        n++;
      }
      prompt();
    }
  } finally {
    rl.close();
  }
  if (tty) process.stdout.write('\n');
  return ok;
}

export async function main(argv: string[]): Promise<void> {
  const program = newProgram('zookeeper-shell.sh', "ZooKeeper's command-line shell (zkCli): browse and edit znodes")
    .argument('<zookeeper>', 'host:port[,host:port...][/chroot]')
    .argument('[command...]', 'one command to run, then exit; without it, commands are read from stdin')
    .passThroughOptions()
    .addHelpText('after', `\nCommands:\n${helpText().split('\n').slice(1).join('\n')}\n` +
      'With a command: exit 0, or 1 if it failed. From stdin: exit 1 if any command failed.\n' +
      "An ephemeral znode (create -e) lives as long as the shell's session.\n" +
      'Example: zookeeper-shell.sh 127.0.0.1:2181 get /controller');
  program.parse(argv);
  const [server, words] = program.processedArgs as [string, string[]];
  await runWithZooKeeper(TOOL, server, async (zk) => {
    if (words.length > 0) {
      const r = await runShellCommand(zk, words, stdio);
      return r === false ? 1 : 0;
    }
    return (await repl(zk, server)) ? 0 : 1;
  });
}
