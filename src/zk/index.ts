/** The ZooKeeper layer: client, paths, payload codecs, errors. */
export * from './client.js';
export * from './errors.js';
export * from './paths.js';
export * from './payloads.js';
export * from './pipeline.js';
export { Watch } from './watch.js';
export type { WatchListener } from './watch.js';
