/*
 * posix_fadvise(POSIX_FADV_DONTNEED) for storage/page-cache.ts, as a Node-API module:
 * `dropCache(fd, offset, length)` returns a promise; a libuv worker thread asks the kernel to drop
 * the file's cached pages in that range (clean pages are dropped; the broker asks only for data
 * it has flushed), and the promise rejects with "fadvise: <message>" (EBADF for a closed file).
 * Node has no fadvise binding. Built by scripts/build-native.sh into
 * dist/src/storage/page-cache.node; without it the broker leaves its page cache to the kernel.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../common/napi-work.h"

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  int fd;
  int64_t offset;
  int64_t length;
  int err;
} job_t;

static void execute(napi_env env, void *data) {
  (void)env;
  job_t *j = data;
  j->err = posix_fadvise(j->fd, (off_t)j->offset, (off_t)j->length, POSIX_FADV_DONTNEED);
}

static void complete(napi_env env, napi_status status, void *data) {
  job_t *j = data;
  char buf[256], text[300];
  if (status != napi_ok) snprintf(text, sizeof text, "fadvise: the work was cancelled");
  else if (j->err != 0) snprintf(text, sizeof text, "fadvise: %s", strerror_r(j->err, buf, sizeof buf));
  settle(env, j->deferred, status == napi_ok && j->err == 0 ? NULL : text);
  napi_delete_async_work(env, j->work);
  free(j);
}

static napi_value js_drop_cache(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t fd = -1;
  int64_t offset = -1, length = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 3 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_int64(env, argv[1], &offset) != napi_ok ||
      napi_get_value_int64(env, argv[2], &length) != napi_ok || fd < 0 || offset < 0 || length <= 0) {
    napi_throw_type_error(env, NULL, "dropCache: expected (fd >= 0, offset >= 0, length > 0)");
    return NULL;
  }
  job_t *j = calloc(1, sizeof *j);
  if (!j) {
    napi_throw_error(env, NULL, "dropCache: out of memory");
    return NULL;
  }
  j->fd = fd;
  j->offset = offset;
  j->length = length;
  napi_value promise;
  if (!queue_work(env, "dropCache", execute, complete, j, &j->work, &j->deferred, &promise)) free(j);
  return promise;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "dropCache", NAPI_AUTO_LENGTH, js_drop_cache, NULL, &fn);
  napi_set_named_property(env, exports, "dropCache", fn);
  return exports;
}
