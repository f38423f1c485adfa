/*
 * hello-c: the hello connector written in C, against docs/abi.md alone.
 * It proves the Roost ABI is language-neutral: the host cannot tell it
 * from examples/hello (Go), and it passes the same tests.
 *
 * Build: ./build.sh  (clang --target=wasm32-wasi -mexec-model=reactor)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- ABI v1 (docs/abi.md) ------------------------------------------- */

#define IMPORT(name) __attribute__((import_module("roost_v1"), import_name(name)))
#define EXPORT(name) __attribute__((export_name(name)))

IMPORT("log") void roost_log(int32_t level, const char *msg, uint32_t msg_len, const char *attrs, uint32_t attrs_len);
IMPORT("call_read") uint32_t roost_call_read(uint32_t part, char *buf, uint32_t cap);
IMPORT("output") uint32_t roost_output(const char *buf, uint32_t len);
IMPORT("result_read") uint32_t roost_result_read(uint32_t slot, char *buf, uint32_t cap);
IMPORT("http_request") uint32_t roost_http_request(const char *head, uint32_t head_len, const char *body, uint32_t body_len);

enum { OP_ACTION = 1, OP_CHECK = 2, OP_ORGANIZATIONS = 3 };
enum { PART_NAME = 0, PART_INPUT = 1, PART_CONFIG = 2 };
enum { SLOT_MAIN = 0, SLOT_BODY = 1 };
enum { STATUS_OK = 0, STATUS_NOT_FOUND = 1, STATUS_ERROR = 2 };
enum { HANDLE_OK = 0, HANDLE_ERROR = 1 };
enum { LEVEL_INFO = 0 };

EXPORT("roost_abi_v1") void roost_abi_v1(void) {}

static const char MANIFEST[] =
    "{\"abi\":\"1.0\",\"name\":\"hello-c\",\"version\":\"0.1.0\",\"category\":\"Other\","
    "\"description\":\"The hello connector, written in C against docs/abi.md.\","
    "\"tags\":[\"example\",\"c\"],"
    "\"config\":["
    "{\"name\":\"greeting\",\"type\":\"string\",\"default\":\"Hello\",\"description\":\"The word to greet with.\"},"
    "{\"name\":\"base_url\",\"type\":\"url\",\"description\":\"Where status fetches the status page from.\"},"
    "{\"name\":\"token\",\"type\":\"string\",\"secret\":true,\"description\":\"Sent as a bearer token by the host.\"}],"
    "\"auth\":{\"type\":\"bearer\",\"secret\":\"token\"},"
    "\"hosts\":[\"{config.base_url}\"],"
    "\"capabilities\":[\"check\",\"organizations\"],"
    "\"actions\":["
    "{\"name\":\"greet\",\"description\":\"Greets someone by name.\","
    "\"input\":{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"}},\"required\":[\"name\"]},"
    "\"output\":{\"type\":\"object\",\"properties\":{\"greeting\":{\"type\":\"string\"}}}},"
    "{\"name\":\"echo\",\"description\":\"Returns its input unchanged.\","
    "\"input\":{\"type\":\"object\"},\"output\":{\"type\":\"object\"}},"
    "{\"name\":\"status\",\"description\":\"Fetches GET {base_url}/status through the host.\","
    "\"input\":{\"type\":\"object\"},\"output\":{\"type\":\"object\"}},"
    "{\"name\":\"noop\",\"description\":\"Does nothing; used to measure call overhead.\","
    "\"input\":{\"type\":\"object\"},\"output\":{\"type\":\"object\"}}]}";

/* ---- a growable byte buffer ----------------------------------------- */

typedef struct {
    char *p;
    size_t len, cap;
} buf;

static void put(buf *b, const char *s, size_t n) {
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
static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }
static void putint(buf *b, long v) {
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%ld", v);
    put(b, tmp, (size_t)n);
}

/* read_part copies one part of the current call, NUL-terminated. */
static char *read_part(uint32_t part, uint32_t len, uint32_t *out_len) {
    if (part == PART_CONFIG) len = roost_call_read(part, NULL, 0); /* ask the size */
    char *p = malloc(len + 1);
    if (!p) abort();
    if (len) roost_call_read(part, p, len);
    p[len] = 0;
    if (out_len) *out_len = len;
    return p;
}

static char *read_result(uint32_t slot, uint32_t *out_len) {
    uint32_t len = roost_result_read(slot, NULL, 0);
    char *p = malloc(len + 1);
    if (!p) abort();
    if (len) roost_result_read(slot, p, len);
    p[len] = 0;
    *out_len = len;
    return p;
}

/* ---- just enough JSON: find a key's value in a flat object ------------ */

/* json_value finds "key": in s and returns a pointer to its value. */
static const char *json_value(const char *s, const char *key) {
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

/* json_string returns the raw (still escaped) contents of a string value:
 * copied into another JSON string it stays valid JSON. */
static int json_string(const char *s, const char *key, const char **start, size_t *len) {
    const char *v = json_value(s, key);
    if (!v || *v != '"') return 0;
    const char *e = v + 1;
    while (*e && *e != '"') e += (*e == '\\' && e[1]) ? 2 : 1;
    if (*e != '"') return 0;
    *start = v + 1;
    *len = (size_t)(e - v - 1);
    return 1;
}

static long json_int(const char *s, const char *key, long def) {
    const char *v = json_value(s, key);
    if (!v || (*v != '-' && (*v < '0' || *v > '9'))) return def;
    return strtol(v, NULL, 10);
}

/* ---- answers ------------------------------------------------------------ */

static uint32_t reply(buf *b) {
    roost_output(b->p, (uint32_t)b->len);
    free(b->p);
    return HANDLE_OK;
}

static uint32_t fail(const char *code, const char *msg) {
    buf b = {0};
    puts_(&b, "{\"code\":\"");
    puts_(&b, code);
    puts_(&b, "\",\"message\":\"");
    puts_(&b, msg); /* callers pass messages without quotes or backslashes */
    puts_(&b, "\"}");
    roost_output(b.p, (uint32_t)b.len);
    free(b.p);
    return HANDLE_ERROR;
}

static uint32_t greet(const char *input) {
    const char *name, *greeting;
    size_t name_len, greeting_len;
    if (!json_string(input, "name", &name, &name_len) || name_len == 0)
        return fail("invalid_input", "name is required");
    char *config = read_part(PART_CONFIG, 0, NULL);
    buf b = {0};
    puts_(&b, "{\"greeting\":\"");
    if (json_string(config, "greeting", &greeting, &greeting_len) && greeting_len > 0)
        put(&b, greeting, greeting_len);
    else
        puts_(&b, "Hello");
    puts_(&b, ", ");
    put(&b, name, name_len);
    puts_(&b, "!\"}");
    free(config);
    static const char msg[] = "greeting";
    roost_log(LEVEL_INFO, msg, sizeof msg - 1, NULL, 0);
    return reply(&b);
}

/* fetch_status sends GET {base_url}/status through the host. On success it
 * leaves the status page body in *body and returns HANDLE_OK; otherwise it
 * has written the error and returns HANDLE_ERROR. */
static uint32_t fetch_status(char **body, uint32_t *body_len) {
    char *config = read_part(PART_CONFIG, 0, NULL);
    const char *base;
    size_t base_len;
    if (!json_string(config, "base_url", &base, &base_len)) {
        free(config);
        return fail("invalid_input", "base_url is not configured");
    }
    buf head = {0};
    puts_(&head, "{\"method\":\"GET\",\"url\":\"");
    put(&head, base, base_len);
    puts_(&head, "/status\",\"header\":{\"Accept\":[\"application/json\"]}}");
    free(config);
    uint32_t status = roost_http_request(head.p, (uint32_t)head.len, NULL, 0);
    free(head.p);
    uint32_t len;
    if (status != STATUS_OK) {
        /* The host's structured error is already in the shape we return. */
        char *err = read_result(SLOT_MAIN, &len);
        roost_output(err, len);
        free(err);
        return HANDLE_ERROR;
    }
    char *resp = read_result(SLOT_MAIN, &len);
    long code = json_int(resp, "status", 0);
    free(resp);
    if (code < 200 || code > 299) {
        const char *kind = code == 401 ? "unauthenticated" : code == 403 ? "permission_denied"
                         : code == 404 ? "not_found" : code == 429 ? "rate_limited"
                         : code >= 500 ? "unavailable" : "upstream";
        char msg[64];
        snprintf(msg, sizeof msg, "GET /status: status %ld", code);
        return fail(kind, msg);
    }
    *body = read_result(SLOT_BODY, body_len);
    return HANDLE_OK;
}

static uint32_t status(void) {
    char *body;
    uint32_t len;
    if (fetch_status(&body, &len) != HANDLE_OK) return HANDLE_ERROR;
    buf b = {0};
    puts_(&b, "{\"status\":200,\"body\":");
    put(&b, body, len);
    puts_(&b, "}");
    free(body);
    return reply(&b);
}

static uint32_t check(void) {
    char *body;
    uint32_t len;
    if (fetch_status(&body, &len) != HANDLE_OK) return HANDLE_ERROR;
    free(body);
    buf b = {0};
    puts_(&b, "{\"message\":\"status page answered\"}");
    return reply(&b);
}

static const struct {
    const char *id, *name, *domain;
} ACCOUNTS[] = {
    {"1", "Acme Corporation", "acme.example"},
    {"2", "Globex LLC", "globex.example"},
    {"3", "Initech GmbH", NULL},
    {"4", "Umbrella Ltd.", NULL},
    {"5", "Stark Industries", NULL},
};
#define NACCOUNTS ((long)(sizeof ACCOUNTS / sizeof ACCOUNTS[0]))

static uint32_t organizations(const char *input) {
    long size = json_int(input, "size", 2), start = 0;
    if (size <= 0) size = 2;
    const char *cursor;
    size_t cursor_len;
    if (json_string(input, "cursor", &cursor, &cursor_len) && cursor_len > 0) {
        char *end;
        start = strtol(cursor, &end, 10);
        if (end != cursor + cursor_len || start < 0 || start > NACCOUNTS) return fail("invalid_input", "bad cursor");
    }
    long stop = start + size < NACCOUNTS ? start + size : NACCOUNTS;
    buf b = {0};
    puts_(&b, "{\"accounts\":[");
    for (long i = start; i < stop; i++) {
        if (i > start) puts_(&b, ",");
        puts_(&b, "{\"id\":\"");
        puts_(&b, ACCOUNTS[i].id);
        puts_(&b, "\",\"name\":\"");
        puts_(&b, ACCOUNTS[i].name);
        puts_(&b, "\"");
        if (ACCOUNTS[i].domain) {
            puts_(&b, ",\"domains\":[\"");
            puts_(&b, ACCOUNTS[i].domain);
            puts_(&b, "\"]");
        }
        puts_(&b, "}");
    }
    puts_(&b, "]");
    if (stop < NACCOUNTS) {
        puts_(&b, ",\"next\":\"");
        putint(&b, stop);
        puts_(&b, "\"");
    }
    puts_(&b, ",\"total\":");
    putint(&b, NACCOUNTS);
    puts_(&b, "}");
    return reply(&b);
}

EXPORT("roost_describe") uint32_t roost_describe(void) {
    roost_output(MANIFEST, sizeof MANIFEST - 1);
    return HANDLE_OK;
}

EXPORT("roost_handle") uint32_t roost_handle(uint32_t op, uint32_t name_len, uint32_t input_len) {
    uint32_t in_len;
    char *name = read_part(PART_NAME, name_len, NULL);
    char *input = read_part(PART_INPUT, input_len, &in_len);
    uint32_t rc;
    if (op == OP_CHECK) {
        rc = check();
    } else if (op == OP_ORGANIZATIONS) {
        rc = organizations(input);
    } else if (op != OP_ACTION) {
        rc = fail("not_implemented", "unknown operation");
    } else if (strcmp(name, "greet") == 0) {
        rc = greet(input);
    } else if (strcmp(name, "echo") == 0) {
        roost_output(input, in_len);
        rc = HANDLE_OK;
    } else if (strcmp(name, "noop") == 0) {
        roost_output("{}", 2);
        rc = HANDLE_OK;
    } else if (strcmp(name, "status") == 0) {
        rc = status();
    } else {
        rc = fail("unknown_action", "no such action");
    }
    free(name);
    free(input);
    return rc;
}
