/**
 * Typed ZooKeeper errors. Every one extends ProjectError and carries the znode path it is
 * about (`path`, also in `context.path`); `zkCode` is ZooKeeper's own error code
 * (KeeperException.Code) when the server or the connection produced it.
 */
import { ProjectError } from '../common/errors.js';

export interface ZkErrorOptions {
  cause?: unknown;
  context?: Record<string, unknown>;
}

/** Base class of every ZooKeeper error from src/zk. */
export class ZkError extends ProjectError {
  readonly path: string;
  readonly zkCode: number | undefined;
  /** Whether the same call may succeed if made again (after a reconnect). */
  readonly retriable: boolean;
  constructor(message: string, path: string, zkCode?: number, retriable = false, options: ZkErrorOptions = {}) {
    super(`${message} (path ${path})`, { cause: options.cause, context: { ...options.context, path } });
    this.path = path;
    this.zkCode = zkCode;
    this.retriable = retriable;
  }
}

/** The znode (or its parent, for a create) does not exist. */
export class NoNodeError extends ZkError {
  constructor(path: string, options?: ZkErrorOptions) {
    super('znode does not exist', path, ZkCode.NO_NODE, false, options);
  }
}

/** A create found the znode already there (with different data, for the expect-conflict case). */
export class NodeExistsError extends ZkError {
  constructor(path: string, options?: ZkErrorOptions) {
    super('znode already exists', path, ZkCode.NODE_EXISTS, false, options);
  }
}

/** A compare-and-set (set, delete or check with a version) saw a different version. */
export class BadVersionError extends ZkError {
  readonly expectedVersion: number | undefined;
  constructor(path: string, expectedVersion?: number, options?: ZkErrorOptions) {
    super(`znode version is not ${expectedVersion ?? 'the expected one'}`, path, ZkCode.BAD_VERSION, false, {
      ...options,
      context: { ...options?.context, expectedVersion },
    });
    this.expectedVersion = expectedVersion;
  }
}

/** A delete of a znode that has children. */
export class NotEmptyError extends ZkError {
  constructor(path: string, options?: ZkErrorOptions) {
    super('znode has children', path, ZkCode.NOT_EMPTY, false, options);
  }
}

/** The connection dropped while the call was in flight: its outcome is unknown. */
export class ConnectionLossError extends ZkError {
  constructor(path: string, options?: ZkErrorOptions) {
    super('connection to ZooKeeper lost', path, ZkCode.CONNECTION_LOSS, true, options);
  }
}

/** The session the call belonged to has expired (its ephemeral znodes are gone). */
export class SessionExpiredError extends ZkError {
  constructor(path: string, options?: ZkErrorOptions) {
    super('ZooKeeper session expired', path, ZkCode.SESSION_EXPIRED, true, options);
  }
}

/** No connected session within the time allowed (connect, or a call waiting for a reconnect). */
export class ZkTimeoutError extends ZkError {
  readonly timeoutMs: number;
  constructor(path: string, timeoutMs: number, what = 'ZooKeeper call', options?: ZkErrorOptions) {
    super(`${what} timed out after ${timeoutMs} ms`, path, ZkCode.OPERATION_TIMEOUT, true, {
      ...options,
      context: { ...options?.context, timeoutMs },
    });
    this.timeoutMs = timeoutMs;
  }
}

/** The ZkClient was closed (before or during the call). */
export class ZkClosedError extends ZkError {
  constructor(path: string) {
    super('ZooKeeper client is closed', path, undefined, false);
  }
}

/** A znode's data is not a valid payload of its kind (see payloads.ts). */
export class ZkPayloadError extends ZkError {
  readonly field: string | undefined;
  constructor(path: string, message: string, field?: string, options?: ZkErrorOptions) {
    super(`bad payload${field ? ` (field ${field})` : ''}: ${message}`, path, undefined, false, {
      ...options,
      context: { ...options?.context, field },
    });
    this.field = field;
  }
}

/** Any other ZooKeeper error code (NoAuth, InvalidACL, NoChildrenForEphemerals, ...). */
export class ZkOtherError extends ZkError {
  constructor(path: string, zkCode: number, name: string, options?: ZkErrorOptions) {
    super(`ZooKeeper error ${name} (${zkCode})`, path, zkCode, false, options);
  }
}

/** ZooKeeper's error codes (KeeperException.Code), as the server sends them. */
export const ZkCode = {
  OK: 0,
  SYSTEM_ERROR: -1,
  RUNTIME_INCONSISTENCY: -2,
  CONNECTION_LOSS: -4,
  OPERATION_TIMEOUT: -7,
  NO_NODE: -101,
  NO_AUTH: -102,
  BAD_VERSION: -103,
  NO_CHILDREN_FOR_EPHEMERALS: -108,
  NODE_EXISTS: -110,
  NOT_EMPTY: -111,
  SESSION_EXPIRED: -112,
  INVALID_ACL: -114,
  AUTH_FAILED: -115,
} as const;

/** Maps a ZooKeeper error code to the typed error for `path`. */
export function zkErrorFromCode(code: number, path: string, name = `code ${code}`, cause?: unknown, version?: number): ZkError {
  const options = cause === undefined ? undefined : { cause };
  switch (code) {
    case ZkCode.NO_NODE:
      return new NoNodeError(path, options);
    case ZkCode.NODE_EXISTS:
      return new NodeExistsError(path, options);
    case ZkCode.BAD_VERSION:
      return new BadVersionError(path, version, options);
    case ZkCode.NOT_EMPTY:
      return new NotEmptyError(path, options);
    case ZkCode.CONNECTION_LOSS:
      return new ConnectionLossError(path, options);
    case ZkCode.SESSION_EXPIRED:
      return new SessionExpiredError(path, options);
    default:
      return new ZkOtherError(path, code, name, options);
  }
}
