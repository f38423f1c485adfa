/*
 * hello-c: the hello connector written in C, against docs/abi.md alone.
 * It proves the Roost ABI is language-neutral: the host cannot tell it
 * from examples/hello (Go), and it passes the same tests.
 *
 * Build: ./build.sh  (clang --target=wasm32-wasi -mexec-model=reactor, with sdk/c)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "roost.h" /* sdk/c/roost: the ABI imports and helpers */

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

ROOST_EXPORT("roost_describe") uint32_t roost_describe(void) {
    roost_output(MANIFEST, sizeof MANIFEST - 1);
    return HANDLE_OK;
}

ROOST_EXPORT("roost_handle") uint32_t roost_handle(uint32_t op, uint32_t name_len, uint32_t input_len) {
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
