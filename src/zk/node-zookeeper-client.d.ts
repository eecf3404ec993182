/**
 * Types for the parts of node-zookeeper-client 1.1.3 (a CommonJS module without types) that
 * src/zk/client.ts uses. Hand-written from the library's index.js and lib/*.js; only
 * client.ts imports the module, everything else goes through ZkClient.
 */
declare module 'node-zookeeper-client' {
  import { EventEmitter } from 'node:events';

  namespace zookeeper {
    /** A 64-bit value as 8 big-endian bytes (the library has no int64). */
    type Long = Buffer;

    interface Stat {
      czxid: Long;
      mzxid: Long;
      ctime: Long;
      mtime: Long;
      version: number;
      cversion: number;
      aversion: number;
      ephemeralOwner: Long;
      dataLength: number;
      numChildren: number;
      pzxid: Long;
    }

    interface Exception extends Error {
      code: number;
      name: string;
      path?: string;
      getCode(): number;
      getName(): string;
    }

    interface Event {
      type: number;
      name: string;
      path: string;
      getType(): number;
      getName(): string;
      getPath(): string;
    }

    type Watcher = (event: Event) => void;

    interface ClientOptions {
      sessionTimeout?: number;
      spinDelay?: number;
      retries?: number;
      sessionId?: Buffer;
      sessionPassword?: Buffer;
    }

    /** An ACL entry: permissions (READ 1, WRITE 2, CREATE 4, DELETE 8, ADMIN 16, ALL 31) for an id. */
    interface ACL {
      permission: number;
      id: { scheme: string; id: string };
    }

    interface TransactionResult {
      type: number;
      path?: string;
      stat?: Stat;
      err?: number;
    }

    interface Transaction {
      create(path: string, data?: Buffer | null, mode?: number): Transaction;
      create(path: string, data: Buffer | null, acls: ACL[], mode: number): Transaction;
      setData(path: string, data: Buffer | null, version?: number): Transaction;
      remove(path: string, version?: number): Transaction;
      check(path: string, version?: number): Transaction;
      /** Internal list of queued ops; client.ts fixes the `version || -1` bug through it. */
      ops: Array<{ type: number; path: string; version?: number }>;
      commit(cb: (error: Exception | null, results?: TransactionResult[]) => void): void;
    }

    /** The internal connection manager: its numeric 'state' events include CLOSED (-2). */
    interface ConnectionManager extends EventEmitter {
      state: number;
      /** Per server: the session timeout over the number of servers (ms). */
      connectTimeout: number;
      /** The negotiated session timeout (ms). */
      sessionTimeout: number;
      socket?: { destroy(): void; destroyed?: boolean; connecting?: boolean; cork?(): void; uncork?(): void; remoteAddress?: string; remotePort?: number };
      /** Handles what the socket read (bound to the socket's 'data' event on connect). */
      onSocketData(chunk: Buffer): void;
    }

    interface Client extends EventEmitter {
      connectionManager: ConnectionManager;
      connect(): void;
      close(): void;
      getSessionId(): Buffer;
      getSessionPassword(): Buffer;
      getSessionTimeout(): number;
      getState(): { name: string; code: number };
      create(path: string, data: Buffer | null, mode: number, cb: (error: Exception | null, path: string) => void): void;
      create(path: string, data: Buffer | null, acls: ACL[], mode: number, cb: (error: Exception | null, path: string) => void): void;
      addAuthInfo(scheme: string, auth: Buffer): void;
      remove(path: string, version: number, cb: (error: Exception | null) => void): void;
      exists(path: string, watcher: Watcher | undefined, cb: (error: Exception | null, stat: Stat | null) => void): void;
      getData(path: string, watcher: Watcher | undefined, cb: (error: Exception | null, data: Buffer | undefined, stat: Stat) => void): void;
      setData(path: string, data: Buffer | null, version: number, cb: (error: Exception | null, stat: Stat) => void): void;
      getChildren(path: string, watcher: Watcher | undefined, cb: (error: Exception | null, children: string[], stat: Stat) => void): void;
      transaction(): Transaction;
    }
  }

  const zookeeper: {
    createClient(connectString: string, options?: zookeeper.ClientOptions): zookeeper.Client;
    ACL: { OPEN_ACL_UNSAFE: zookeeper.ACL[]; CREATOR_ALL_ACL: zookeeper.ACL[]; READ_ACL_UNSAFE: zookeeper.ACL[] };
    CreateMode: { PERSISTENT: 0; EPHEMERAL: 1; PERSISTENT_SEQUENTIAL: 2; EPHEMERAL_SEQUENTIAL: 3 };
    Exception: {
      OK: 0;
      CONNECTION_LOSS: -4;
      OPERATION_TIMEOUT: -7;
      NO_NODE: -101;
      BAD_VERSION: -103;
      NO_CHILDREN_FOR_EPHEMERALS: -108;
      NODE_EXISTS: -110;
      NOT_EMPTY: -111;
      SESSION_EXPIRED: -112;
      AUTH_FAILED: -115;
      [name: string]: number;
    };
  };
  export default zookeeper;
}
