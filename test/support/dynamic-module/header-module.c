/*
 * A dynamic module for Envoy 1.37's HTTP filter ABI, written for egts's tests (built by test/support/dynamic-module.ts
 * with the system C compiler): it adds `x-dynamic-module-request: 1` to the request the backend sees, and
 * `x-dynamic-module: <filter_name>` and `x-dynamic-module-config: <filter_config>` to the response.
 *
 * Only the hooks Envoy 1.37 resolves are defined (all of them required but the config-level scheduler); pointers
 * are declared as plain pointers, buffers as Envoy's {pointer, length} structs passed by value (source/extensions/
 * dynamic_modules/abi.h at v1.37.0). The ABI version is the one the Envoy 1.37.0 binary checks: the sha256 of that
 * abi.h (its `envoy_dynamic_module_on_program_init` contract: the module returns it, Envoy compares).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ABI_VERSION "4dae397a7c9ff0238d318d57ea656ce8b3fbff595787dcd7ee2ff5b79c9fe10f"

/* envoy_dynamic_module_type_envoy_buffer and _module_buffer: a pointer and a length. */
struct buffer {
  const char *ptr;
  size_t length;
};

/* envoy_dynamic_module_type_http_header_type. */
enum header_type { REQUEST_HEADER = 0, REQUEST_TRAILER = 1, RESPONSE_HEADER = 2, RESPONSE_TRAILER = 3 };

/* The callback Envoy exports to set a header (filter, which headers, key, value). */
extern bool envoy_dynamic_module_callback_http_set_header(void *filter, enum header_type type, struct buffer key,
                                                          struct buffer value);

static bool set_header(void *filter, enum header_type type, const char *key, const char *value, size_t value_len) {
  struct buffer k = {key, strlen(key)};
  struct buffer v = {value, value_len};
  return envoy_dynamic_module_callback_http_set_header(filter, type, k, v);
}

/* What a filter config keeps: its name and configuration, copied. */
struct config {
  char *name;
  size_t name_len;
  char *text;
  size_t text_len;
};

static char *copy(const char *p, size_t n) {
  char *out = malloc(n + 1);
  if (n > 0) memcpy(out, p, n);
  out[n] = 0;
  return out;
}

const char *envoy_dynamic_module_on_program_init(void) { return ABI_VERSION; }

void *envoy_dynamic_module_on_http_filter_config_new(void *envoy_config, struct buffer name, struct buffer text) {
  struct config *c = malloc(sizeof *c);
  c->name = copy(name.ptr, name.length);
  c->name_len = name.length;
  c->text = copy(text.ptr, text.length);
  c->text_len = text.length;
  return c;
}

void envoy_dynamic_module_on_http_filter_config_destroy(void *config) {
  struct config *c = config;
  free(c->name);
  free(c->text);
  free(c);
}

void *envoy_dynamic_module_on_http_filter_per_route_config_new(struct buffer name, struct buffer text) {
  return copy(text.ptr, text.length);
}

void envoy_dynamic_module_on_http_filter_per_route_config_destroy(void *config) { free(config); }

/* The filter is its config (stateless). */
void *envoy_dynamic_module_on_http_filter_new(void *config, void *envoy_filter) { return config; }

void envoy_dynamic_module_on_http_filter_destroy(void *filter) {}

int envoy_dynamic_module_on_http_filter_request_headers(void *envoy_filter, void *filter, bool end_of_stream) {
  set_header(envoy_filter, REQUEST_HEADER, "x-dynamic-module-request", "1", 1);
  return 0; /* Continue */
}

int envoy_dynamic_module_on_http_filter_response_headers(void *envoy_filter, void *filter, bool end_of_stream) {
  struct config *c = filter;
  set_header(envoy_filter, RESPONSE_HEADER, "x-dynamic-module", c->name, c->name_len);
  set_header(envoy_filter, RESPONSE_HEADER, "x-dynamic-module-config", c->text, c->text_len);
  return 0; /* Continue */
}

int envoy_dynamic_module_on_http_filter_request_body(void *envoy_filter, void *filter, bool end_of_stream) { return 0; }
int envoy_dynamic_module_on_http_filter_request_trailers(void *envoy_filter, void *filter) { return 0; }
int envoy_dynamic_module_on_http_filter_response_body(void *envoy_filter, void *filter, bool end_of_stream) { return 0; }
int envoy_dynamic_module_on_http_filter_response_trailers(void *envoy_filter, void *filter) { return 0; }
void envoy_dynamic_module_on_http_filter_stream_complete(void *envoy_filter, void *filter) {}
void envoy_dynamic_module_on_http_filter_scheduled(void *envoy_filter, void *filter, uint64_t event_id) {}
void envoy_dynamic_module_on_http_filter_http_callout_done(void *envoy_filter, void *filter, uint64_t id, int result,
                                                           void *headers, size_t headers_size, void *chunks,
                                                           size_t chunks_size) {}
void envoy_dynamic_module_on_http_filter_http_stream_headers(void *envoy_filter, void *filter, uint64_t stream_id,
                                                             void *headers, size_t headers_size, bool end_stream) {}
void envoy_dynamic_module_on_http_filter_http_stream_data(void *envoy_filter, void *filter, uint64_t stream_id,
                                                          const void *data, size_t data_count, bool end_stream) {}
void envoy_dynamic_module_on_http_filter_http_stream_trailers(void *envoy_filter, void *filter, uint64_t stream_id,
                                                              void *trailers, size_t trailers_size) {}
void envoy_dynamic_module_on_http_filter_http_stream_complete(void *envoy_filter, void *filter, uint64_t stream_id) {}
void envoy_dynamic_module_on_http_filter_http_stream_reset(void *envoy_filter, void *filter, uint64_t stream_id,
                                                           int reason) {}
void envoy_dynamic_module_on_http_filter_downstream_above_write_buffer_high_watermark(void *envoy_filter,
                                                                                      void *filter) {}
void envoy_dynamic_module_on_http_filter_downstream_below_write_buffer_low_watermark(void *envoy_filter,
                                                                                     void *filter) {}
