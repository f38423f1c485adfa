/* roost.c: the helpers declared in roost.h, and the ABI marker export. */
#include "roost.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ROOST_EXPORT("roost_abi_v1") void roost_abi_v1(void) {}

void put(buf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->len + n + 1) cap *= 2;
        b->p = realloc(b->p, cap);
        if (!b->p) abort(); /* the host reports the trap */
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

void putint(buf *b, long v) {
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%ld", v);
    put(b, tmp, (size_t)n);
}

char *read_part(uint32_t part, uint32_t len, uint32_t *out_len) {
    if (part == PART_CONFIG) len = roost_call_read(part, NULL, 0); /* ask the size */
    char *p = malloc(len + 1);
    if (!p) abort();
    if (len) roost_call_read(part, p, len);
    p[len] = 0;
    if (out_len) *out_len = len;
    return p;
}

char *read_result(uint32_t slot, uint32_t *out_len) {
    uint32_t len = roost_result_read(slot, NULL, 0);
    char *p = malloc(len + 1);
    if (!p) abort();
    if (len) roost_result_read(slot, p, len);
    p[len] = 0;
    *out_len = len;
    return p;
}

const char *json_value(const char *s, const char *key) {
    size_t klen = strlen(key);
    for (const char *p = s; (p = strchr(p, '"')) != NULL; p++) {
        if (strncmp(p + 1, key, klen) == 0 && p[1 + klen] == '"') {
            const char *v = p + 2 + klen;
            while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r') v++;
            if (*v != ':') continue;
            v++;
            while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r') v++;
            return v;
        }
    }
    return NULL;
}

int json_string(const char *s, const char *key, const char **start, size_t *len) {
    const char *v = json_value(s, key);
    if (!v || *v != '"') return 0;
    const char *e = v + 1;
    while (*e && *e != '"') e += (*e == '\\' && e[1]) ? 2 : 1;
    if (*e != '"') return 0;
    *start = v + 1;
    *len = (size_t)(e - v - 1);
    return 1;
}

long json_int(const char *s, const char *key, long def) {
    const char *v = json_value(s, key);
    if (!v || (*v != '-' && (*v < '0' || *v > '9'))) return def;
    return strtol(v, NULL, 10);
}

uint32_t reply(buf *b) {
    roost_output(b->p, (uint32_t)b->len);
    free(b->p);
    return HANDLE_OK;
}

uint32_t fail(const char *code, const char *msg) {
    buf b = {0};
    puts_(&b, "{\"code\":\"");
    puts_(&b, code);
    puts_(&b, "\",\"message\":\"");
    puts_(&b, msg);
    puts_(&b, "\"}");
    roost_output(b.p, (uint32_t)b.len);
    free(b.p);
    return HANDLE_ERROR;
}
