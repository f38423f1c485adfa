/*
 * roost.h: the Roost connector ABI v1 (docs/abi.md) for C, with the few
 * helpers a connector needs: a growable buffer, reading the call's parts
 * and host results, finding values in flat JSON, and answering.
 *
 * A connector includes this file, compiles roost.c beside its own code with
 *   clang --target=wasm32-wasi -mexec-model=reactor
 * and defines two exports itself:
 *   ROOST_EXPORT("roost_describe") uint32_t roost_describe(void);
 *   ROOST_EXPORT("roost_handle") uint32_t roost_handle(uint32_t op, uint32_t name_len, uint32_t input_len);
 */
#ifndef ROOST_H
#define ROOST_H

#include <stddef.h>
#include <stdint.h>

#define ROOST_IMPORT(name) __attribute__((import_module("roost_v1"), import_name(name)))
#define ROOST_EXPORT(name) __attribute__((export_name(name)))

ROOST_IMPORT("log") void roost_log(int32_t level, const char *msg, uint32_t msg_len, const char *attrs, uint32_t attrs_len);
ROOST_IMPORT("call_read") uint32_t roost_call_read(uint32_t part, char *buf, uint32_t cap);
ROOST_IMPORT("output") uint32_t roost_output(const char *buf, uint32_t len);
ROOST_IMPORT("result_read") uint32_t roost_result_read(uint32_t slot, char *buf, uint32_t cap);
ROOST_IMPORT("http_request") uint32_t roost_http_request(const char *head, uint32_t head_len, const char *body, uint32_t body_len);

enum { OP_ACTION = 1, OP_CHECK = 2, OP_ORGANIZATIONS = 3 };
enum { PART_NAME = 0, PART_INPUT = 1, PART_CONFIG = 2 };
enum { SLOT_MAIN = 0, SLOT_BODY = 1 };
enum { STATUS_OK = 0, STATUS_NOT_FOUND = 1, STATUS_ERROR = 2 };
enum { HANDLE_OK = 0, HANDLE_ERROR = 1 };
enum { LEVEL_DEBUG = -4, LEVEL_INFO = 0, LEVEL_WARN = 4, LEVEL_ERROR = 8 };

/* A growable byte buffer, always NUL-terminated. Start with buf b = {0}. */
typedef struct {
    char *p;
    size_t len, cap;
} buf;

void put(buf *b, const char *s, size_t n);
void puts_(buf *b, const char *s);
void putint(buf *b, long v);

/* read_part copies one part of the current call, NUL-terminated; for
 * PART_CONFIG len is ignored (the size is asked of the host). */
char *read_part(uint32_t part, uint32_t len, uint32_t *out_len);
/* read_result copies a host function's result slot, NUL-terminated. */
char *read_result(uint32_t slot, uint32_t *out_len);

/* json_value finds "key": in a flat JSON object and returns its value. */
const char *json_value(const char *s, const char *key);
/* json_string gives the raw (still escaped) contents of a string value:
 * copied into another JSON string it stays valid JSON. */
int json_string(const char *s, const char *key, const char **start, size_t *len);
long json_int(const char *s, const char *key, long def);

/* reply outputs b as the call's result, frees it, and returns HANDLE_OK. */
uint32_t reply(buf *b);
/* fail outputs an Error {code, message} and returns HANDLE_ERROR; msg must
 * not contain quotes or backslashes. */
uint32_t fail(const char *code, const char *msg);

#endif
