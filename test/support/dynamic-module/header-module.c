/*
 * A dynamic module for Envoy 1.36's HTTP filter ABI, written for egts's tests (built by test/support/dynamic-module.ts
 * with the system C compiler): it adds `x-dynamic-module-request: 1` to the request the backend sees, and
 * `x-dynamic-module: <filter_name>` and `x-dynamic-module-config: <filter_config>` to the response.
 *
 * Only the hooks Envoy 1.36 resolves are defined; their arguments are declared as plain pointers and sizes (the
 * calling convention is all that matters). The ABI version is the one the Envoy 1.36.4 binary checks
 * (its `envoy_dynamic_module_on_program_init` contract: the module returns it, Envoy compares).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define ABI_VERSION "7ee559f16f35086fa7dc9ed380e2efc6b4d89031a001fb504aa71eccd25882f7"

/* Callbacks Envoy exports (filter, key, key length, value, value length). */
extern bool envoy_dynamic_module_callback_http_set_request_header(void *filter, const char *key, size_t key_len,
                                                                   const char *value, size_t value_len);
extern bool envoy_dynamic_module_callback_http_set_response_header(void *filter, const char *key, size_t key_len,
                                                                    const char *value, size_t value_len);

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

void *envoy_dynamic_module_on_http_filter_config_new(void *envoy_config, const char *name, size_t name_len,
                                                     const char *text, size_t text_len) {
  struct config *c = malloc(sizeof *c);
  c->name = copy(name, name_len);
  c->name_len = name_len;
  c->text = copy(text, text_len);
  c->text_len = text_len;
  return c;
}

void envoy_dynamic_module_on_http_filter_config_destroy(void *config) {
  struct config *c = config;
  free(c->name);
  free(c->text);
  free(c);
}

void *envoy_dynamic_module_on_http_filter_per_route_config_new(const char *name, size_t name_len, const char *text,
                                                               size_t text_len) {
  return copy(text, text_len);
}

void envoy_dynamic_module_on_http_filter_per_route_config_destroy(void *config) { free(config); }

/* The filter is its config (stateless). */
void *envoy_dynamic_module_on_http_filter_new(void *config, void *envoy_filter) { return config; }

void envoy_dynamic_module_on_http_filter_destroy(void *filter) {}

int envoy_dynamic_module_on_http_filter_request_headers(void *envoy_filter, void *filter, bool end_of_stream) {
  envoy_dynamic_module_callback_http_set_request_header(envoy_filter, "x-dynamic-module-request", 24, "1", 1);
  return 0; /* Continue */
}

int envoy_dynamic_module_on_http_filter_response_headers(void *envoy_filter, void *filter, bool end_of_stream) {
  struct config *c = filter;
  envoy_dynamic_module_callback_http_set_response_header(envoy_filter, "x-dynamic-module", 16, c->name, c->name_len);
  envoy_dynamic_module_callback_http_set_response_header(envoy_filter, "x-dynamic-module-config", 23, c->text,
                                                         c->text_len);
  return 0; /* Continue */
}

int envoy_dynamic_module_on_http_filter_request_body(void *envoy_filter, void *filter, bool end_of_stream) { return 0; }
int envoy_dynamic_module_on_http_filter_request_trailers(void *envoy_filter, void *filter) { return 0; }
int envoy_dynamic_module_on_http_filter_response_body(void *envoy_filter, void *filter, bool end_of_stream) { return 0; }
int envoy_dynamic_module_on_http_filter_response_trailers(void *envoy_filter, void *filter) { return 0; }
void envoy_dynamic_module_on_http_filter_stream_complete(void *envoy_filter, void *filter) {}
void envoy_dynamic_module_on_http_filter_scheduled(void *envoy_filter, void *filter, unsigned long long event_id) {}
void envoy_dynamic_module_on_http_filter_http_callout_done(void *envoy_filter, void *filter, unsigned long long id,
                                                           int result, void *headers, size_t headers_size,
                                                           void *chunks, size_t chunks_size) {}
