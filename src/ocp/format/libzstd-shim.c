/*
 * zstd into caller-owned memory: a Node-API module over the system's libzstd
 * (libzstd.so.1), built by build-libzstd-shim.mjs where a C compiler is found.
 *
 * The npm bindings allocate a fresh output for every call; on the VMs we
 * measured, faulting in fresh pages costs more than zstd itself (decoding
 * 64 MiB: 107 ms through @toondepauw/node-zstd, 48 ms into memory already in
 * use). Here the caller chooses the output: a reused buffer for compressed
 * chunks, or the restored array's own bytes for decoded ones.
 *
 * The few libzstd functions used are declared here rather than taken from
 * zstd.h, so only the runtime library (present wherever apt is) is needed.
 */
#include <node_api.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct ZSTD_CCtx_s ZSTD_CCtx;
typedef struct ZSTD_DCtx_s ZSTD_DCtx;
ZSTD_CCtx *ZSTD_createCCtx(void);
ZSTD_DCtx *ZSTD_createDCtx(void);
size_t ZSTD_compressCCtx(ZSTD_CCtx *cctx, void *dst, size_t dst_capacity, const void *src, size_t src_size, int level);
size_t ZSTD_decompressDCtx(ZSTD_DCtx *dctx, void *dst, size_t dst_capacity, const void *src, size_t src_size);
size_t ZSTD_compressBound(size_t src_size);
unsigned long long ZSTD_getFrameContentSize(const void *src, size_t src_size);
unsigned ZSTD_isError(size_t code);
const char *ZSTD_getErrorName(size_t code);

#define ZSTD_CONTENTSIZE_UNKNOWN (0ULL - 1)
#define ZSTD_CONTENTSIZE_ERROR (0ULL - 2)

/* zstd's own code for a failed allocation (ZSTD_error_memory_allocation), as its functions return it. */
#define ZSTD_ERROR_MEMORY_ALLOCATION ((size_t)-64)

/*
 * One context of each kind per libuv pool thread, made on first use and kept
 * for the life of the process (a few MB in all): ZSTD_compress and
 * ZSTD_decompress make and free one per call, which on small arrays costs as
 * much as zstd itself (10,000 frames of 26 KiB: 284 ms to decode that way,
 * 206 ms with a kept context).
 */
static __thread ZSTD_CCtx *thread_cctx;
static __thread ZSTD_DCtx *thread_dctx;

static size_t work(int compress, void *dst, size_t dst_size, const void *src, size_t src_size, int level) {
  if (compress) {
    if (!thread_cctx && !(thread_cctx = ZSTD_createCCtx())) return ZSTD_ERROR_MEMORY_ALLOCATION;
    return ZSTD_compressCCtx(thread_cctx, dst, dst_size, src, src_size, level);
  }
  if (!thread_dctx && !(thread_dctx = ZSTD_createDCtx())) return ZSTD_ERROR_MEMORY_ALLOCATION;
  return ZSTD_decompressDCtx(thread_dctx, dst, dst_size, src, src_size);
}

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref src_ref, dst_ref;
  const void *src;
  void *dst;
  size_t src_size, dst_size, result;
  int compress, level;
} job;

/* Runs on a libuv pool thread: the two arrays are pinned by their references. */
static void execute(napi_env env, void *data) {
  job *j = data;
  j->result = work(j->compress, j->dst, j->dst_size, j->src, j->src_size, j->level);
}

static void complete(napi_env env, napi_status status, void *data) {
  job *j = data;
  napi_value value;
  if (status != napi_ok || ZSTD_isError(j->result)) {
    napi_value message;
    napi_create_string_utf8(env, status != napi_ok ? "the zstd job was cancelled" : ZSTD_getErrorName(j->result), NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, NULL, message, &value);
    napi_reject_deferred(env, j->deferred, value);
  } else {
    napi_create_double(env, (double)j->result, &value);
    napi_resolve_deferred(env, j->deferred, value);
  }
  napi_delete_reference(env, j->src_ref);
  napi_delete_reference(env, j->dst_ref);
  napi_delete_async_work(env, j->work);
  free(j);
}

/* The bytes of a Uint8Array argument, or a thrown TypeError naming it. */
static int bytes_of(napi_env env, napi_value value, const char *name, void **data, size_t *size) {
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  bool is_typed = false;
  napi_is_typedarray(env, value, &is_typed);
  if (!is_typed || napi_get_typedarray_info(env, value, &type, size, data, &buffer, &offset) != napi_ok || type != napi_uint8_array) {
    char message[64];
    snprintf(message, sizeof message, "%s must be a Uint8Array", name);
    napi_throw_type_error(env, NULL, message);
    return 0;
  }
  return 1;
}

static napi_value queue(napi_env env, napi_callback_info info, int compress) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *src, *dst;
  size_t src_size, dst_size;
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "expected (source, destination)");
    return NULL;
  }
  if (!bytes_of(env, argv[0], "source", &src, &src_size) || !bytes_of(env, argv[1], "destination", &dst, &dst_size)) return NULL;
  job *j = calloc(1, sizeof *j);
  if (!j) {
    napi_throw_error(env, NULL, "out of memory for a zstd job");
    return NULL;
  }
  j->src = src;
  j->src_size = src_size;
  j->dst = dst;
  j->dst_size = dst_size;
  j->compress = compress;
  j->level = 1;
  if (compress && argc > 2) napi_get_value_int32(env, argv[2], &j->level);
  napi_value promise, name;
  napi_create_reference(env, argv[0], 1, &j->src_ref);
  napi_create_reference(env, argv[1], 1, &j->dst_ref);
  napi_create_promise(env, &j->deferred, &promise);
  napi_create_string_utf8(env, compress ? "zstd compress" : "zstd decompress", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, execute, complete, j, &j->work);
  napi_queue_async_work(env, j->work);
  return promise;
}

/* compressInto(source, destination, level) -> Promise<compressed size> */
static napi_value compress_into(napi_env env, napi_callback_info info) { return queue(env, info, 1); }

/* decompressInto(source, destination) -> Promise<decoded size>; fails when the frame does not fit. */
static napi_value decompress_into(napi_env env, napi_callback_info info) { return queue(env, info, 0); }

/* compressBound(size) -> the largest compressed size of `size` bytes */
static napi_value compress_bound(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  double size = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_double(env, argv[0], &size) != napi_ok || size < 0) {
    napi_throw_type_error(env, NULL, "size must be a non-negative number");
    return NULL;
  }
  napi_create_double(env, (double)ZSTD_compressBound((size_t)size), &result);
  return result;
}

/* frameContentSize(frame) -> decoded size from the frame header; -1 when it is not recorded, -2 when this is not a zstd frame */
static napi_value frame_content_size(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  void *src;
  size_t src_size;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "expected (frame)");
    return NULL;
  }
  if (!bytes_of(env, argv[0], "frame", &src, &src_size)) return NULL;
  unsigned long long size = ZSTD_getFrameContentSize(src, src_size);
  napi_create_double(env, size == ZSTD_CONTENTSIZE_UNKNOWN ? -1 : size == ZSTD_CONTENTSIZE_ERROR ? -2 : (double)size, &result);
  return result;
}

static void export_function(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn);
  napi_set_named_property(env, exports, name, fn);
}

NAPI_MODULE_INIT() {
  export_function(env, exports, "compressInto", compress_into);
  export_function(env, exports, "decompressInto", decompress_into);
  export_function(env, exports, "compressBound", compress_bound);
  export_function(env, exports, "frameContentSize", frame_content_size);
  return exports;
}
