/**
 * Imported first by the broker's entry point: libuv's pool (fs, dns, zlib) is sized from
 * UV_THREADPOOL_SIZE when it is first used, so this must run before any asynchronous I/O.
 * Eight threads (libuv's default is four): the log flush scheduler uses up to four for fsyncs
 * (storage/flush-scheduler.ts), and the reads of consumers and followers keep the others.
 * A value the user set wins.
 */
process.env.UV_THREADPOOL_SIZE ??= '8';
