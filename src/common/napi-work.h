/*
 * The promise plumbing shared by the project's Node-API modules (storage/syncfs.c,
 * storage/page-cache.c): a call queues its work on a libuv worker thread and returns a promise,
 * which the completion settles: resolved with undefined, or rejected with an Error of a message.
 */
#ifndef ZKAFKA_NAPI_WORK_H
#define ZKAFKA_NAPI_WORK_H
#include <node_api.h>
#include <stdbool.h>
#include <stdio.h>

/** Settles `deferred`: resolved with undefined when `error` is NULL, else rejected with Error(error). */
static inline void settle(napi_env env, napi_deferred deferred, const char *error) {
  if (error == NULL) {
    napi_value undefined;
    napi_get_undefined(env, &undefined);
    napi_resolve_deferred(env, deferred, undefined);
  } else {
    napi_value message, err;
    napi_create_string_utf8(env, error, NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, NULL, message, &err);
    napi_reject_deferred(env, deferred, err);
  }
}

/**
 * Creates the promise (into *promise, its deferred into *deferred) and queues `execute` then
 * `complete` with `data`. False when the work could not be queued: the promise is rejected with
 * "<name>: could not queue the work" and the caller frees `data` (complete will not run).
 */
static inline bool queue_work(napi_env env, const char *name, napi_async_execute_callback execute, napi_async_complete_callback complete, void *data,
                              napi_async_work *work, napi_deferred *deferred, napi_value *promise) {
  napi_value resource_name;
  napi_create_promise(env, deferred, promise);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &resource_name);
  bool created = napi_create_async_work(env, NULL, resource_name, execute, complete, data, work) == napi_ok;
  if (created && napi_queue_async_work(env, *work) == napi_ok) return true;
  if (created) napi_delete_async_work(env, *work);
  char text[128];
  snprintf(text, sizeof text, "%s: could not queue the work", name);
  settle(env, *deferred, text);
  return false;
}
#endif
