/*
 * syncfs(2) for storage/syncfs.ts, as a Node-API module: `syncfs(dirs)` returns a promise; a
 * libuv worker thread opens each directory, calls syncfs on it and closes it, and the promise
 * rejects with every failure's message ("DIR: No such file or directory", "DIR: syncfs:
 * Input/output error"). Node has no syncfs binding; without this module a helper process
 * (python3, or sh running coreutils' `sync -f`) makes the calls, and each call then costs two
 * pipe writes and a wake-up of another process, and starting the python3 helper (the broker's
 * probe at start-up) ~0.5 s. Built by scripts/build-native.sh into dist/src/storage/syncfs.node.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../common/napi-work.h"

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  char **dirs;
  uint32_t count;
  char error[1024];
} job_t;

static void append_error(job_t *j, const char *dir, const char *what, int err) {
  char buf[256];
  const char *msg = strerror_r(err, buf, sizeof buf);
  size_t used = strlen(j->error);
  if (used + 1 >= sizeof j->error) return;
  snprintf(j->error + used, sizeof j->error - used, "%s%s: %s%s", used ? "; " : "", dir, what, msg);
}

static void execute(napi_env env, void *data) {
  (void)env;
  job_t *j = data;
  for (uint32_t i = 0; i < j->count; i++) {
    int fd = open(j->dirs[i], O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      append_error(j, j->dirs[i], "", errno);
      continue;
    }
    if (syncfs(fd) != 0) append_error(j, j->dirs[i], "syncfs: ", errno);
    close(fd);
  }
}

static void free_job(job_t *j) {
  for (uint32_t i = 0; i < j->count; i++) free(j->dirs[i]);
  free(j->dirs);
  free(j);
}

static void complete(napi_env env, napi_status status, void *data) {
  job_t *j = data;
  settle(env, j->deferred, status == napi_ok && j->error[0] == 0 ? NULL : j->error[0] ? j->error : "syncfs: the work was cancelled");
  napi_delete_async_work(env, j->work);
  free_job(j);
}

static napi_value js_syncfs(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  bool is_array = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 1 || napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array) {
    napi_throw_type_error(env, NULL, "syncfs: expected an array of directory paths");
    return NULL;
  }
  uint32_t count = 0;
  napi_get_array_length(env, argv[0], &count);
  job_t *j = calloc(1, sizeof *j);
  if (!j || !(j->dirs = calloc(count ? count : 1, sizeof *j->dirs))) {
    free(j);
    napi_throw_error(env, NULL, "syncfs: out of memory");
    return NULL;
  }
  for (uint32_t i = 0; i < count; i++) {
    napi_value v;
    size_t len = 0;
    if (napi_get_element(env, argv[0], i, &v) != napi_ok || napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
      free_job(j);
      napi_throw_type_error(env, NULL, "syncfs: every directory must be a string");
      return NULL;
    }
    j->dirs[i] = malloc(len + 1);
    j->count = i + 1;
    if (!j->dirs[i]) {
      free_job(j);
      napi_throw_error(env, NULL, "syncfs: out of memory");
      return NULL;
    }
    napi_get_value_string_utf8(env, v, j->dirs[i], len + 1, &len);
    if (strlen(j->dirs[i]) != len) {
      /* a NUL inside would name another directory (its prefix), as node's fs refuses too */
      free_job(j);
      napi_throw_type_error(env, NULL, "syncfs: a directory path must not contain a NUL byte");
      return NULL;
    }
  }
  napi_value promise;
  if (!queue_work(env, "syncfs", execute, complete, j, &j->work, &j->deferred, &promise)) free_job(j);
  return promise;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "syncfs", NAPI_AUTO_LENGTH, js_syncfs, NULL, &fn);
  napi_set_named_property(env, exports, "syncfs", fn);
  return exports;
}
