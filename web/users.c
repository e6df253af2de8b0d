/*
 * users - see users.h.
 */
#include "users.h"

#include "jifen.h"
#include "spec.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#define USERS_FILE "users.json"
#define USERS_FORMAT "jifen-web-users-1"
#define USERS_FILE_MAX (4u << 20)

struct user_store {
    char dir[STORE_PATH_MAX];
    char keys[STORE_PATH_MAX];
    pthread_mutex_t mu;
    web_user *users;
    size_t n;
    store_stamp stamp; /* of the file last read */
    bool loaded;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool users_role_ok(jifen_role role)
{
    return role == JIFEN_ROLE_TERMINAL || role == JIFEN_ROLE_COMMITTEE ||
           role == JIFEN_ROLE_AUDITOR;
}

int users_hash_password(const char *password, char out[USER_HASH_MAX])
{
    return crypto_pwhash_str(out, password, strlen(password),
                             crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE);
}

bool users_password_ok(const web_user *u, const char *password)
{
    return crypto_pwhash_str_verify(u->hash, password, strlen(password)) == 0;
}

void users_make_password(char out[USER_PASSWORD_GEN_LEN + 1])
{
    static const char alphabet[] = "abcdefghijkmnpqrstuvwxyz"
                                   "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    for (int i = 0; i < USER_PASSWORD_GEN_LEN; i++)
        out[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
    out[USER_PASSWORD_GEN_LEN] = '\0';
}

void users_key_prefix(const user_store *s, const char *name, char *out,
                      size_t cap)
{
    snprintf(out, cap, "%s/u-%s", s->keys, name);
}

const char *users_dir(const user_store *s)
{
    return s->dir;
}

user_store *users_open(const char *data_dir, char *err, size_t errlen)
{
    user_store *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    int n = snprintf(s->dir, sizeof s->dir, "%s", data_dir);
    int m = snprintf(s->keys, sizeof s->keys, "%s/keys", data_dir);
    if (n <= 0 || (size_t)n >= sizeof s->dir - 64 || m <= 0 ||
        (size_t)m >= sizeof s->keys) {
        snprintf(err, errlen, "data directory: path too long");
        free(s);
        return NULL;
    }
    if (store_dir_ensure(s->dir, err, errlen) != 0 ||
        store_dir_ensure(s->keys, err, errlen) != 0) {
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->mu, NULL);
    return s;
}

void users_close(user_store **s_p)
{
    user_store *s = *s_p;
    if (s == NULL)
        return;
    sodium_memzero(s->users, s->n * sizeof *s->users);
    free(s->users);
    pthread_mutex_destroy(&s->mu);
    free(s);
    *s_p = NULL;
}

/* --- where a user works ---------------------------------------------------- */

bool web_scope_is_service(const web_scope *sc)
{
    return sc->all || sc->street[0] || sc->communities[0];
}

int web_scope_check(const web_scope *sc, char *err, size_t errlen)
{
    int kinds = !!sc->community[0] + !!sc->all + !!sc->street[0] +
                !!sc->communities[0];
    if (kinds > 1) {
        snprintf(err, errlen, "a user belongs to one community (--community) "
                              "or has one scope (--street, --communities, "
                              "--all-communities), not several");
        return -1;
    }
    if ((sc->community[0] && !spec_community_ok(sc->community)) ||
        (sc->street[0] && !spec_community_ok(sc->street))) {
        snprintf(err, errlen, "a community or street code is 1-32 of A-Z "
                              "a-z 0-9 . _ -, not starting with a dot");
        return -1;
    }
    if (sc->communities[0]) {
        char list[sizeof sc->communities];
        size_t n = 0;
        snprintf(list, sizeof list, "%s", sc->communities);
        for (char *save = NULL, *p = strtok_r(list, ",", &save); p;
             p = strtok_r(NULL, ",", &save), n++) {
            if (!spec_community_ok(p) || n >= JIFEN_SCOPE_MAX) {
                snprintf(err, errlen, "--communities: at most %d community "
                         "codes, separated by commas",
                         JIFEN_SCOPE_MAX);
                return -1;
            }
        }
        if (n == 0 || strstr(sc->communities, ",,") ||
            sc->communities[0] == ',' ||
            sc->communities[strlen(sc->communities) - 1] == ',') {
            snprintf(err, errlen, "--communities: community codes separated "
                                  "by single commas");
            return -1;
        }
    }
    return 0;
}

void web_scope_text(const web_scope *sc, char *out, size_t cap)
{
    if (sc->all)
        snprintf(out, cap, "all communities");
    else if (sc->street[0])
        snprintf(out, cap, "street %s", sc->street);
    else if (sc->communities[0])
        snprintf(out, cap, "%s", sc->communities);
    else
        snprintf(out, cap, "%s", sc->community[0] ? sc->community : "-");
}

/* The record's community or scope; absent in tables written before
 * communities (the default community). */
static int parse_scope(json_t *o, web_scope *sc, char *err, size_t errlen)
{
    json_t *c = json_object_get(o, "community"), *s = json_object_get(o, "scope");
    memset(sc, 0, sizeof *sc);
    if (json_is_string(c) &&
        strlen(json_string_value(c)) < sizeof sc->community)
        strcpy(sc->community, json_string_value(c));
    else if (c != NULL)
        goto bad;
    if (json_is_object(s)) {
        json_t *all = json_object_get(s, "all"),
               *street = json_object_get(s, "street"),
               *list = json_object_get(s, "communities");
        sc->all = json_is_true(all);
        if (json_is_string(street) &&
            strlen(json_string_value(street)) < sizeof sc->street)
            strcpy(sc->street, json_string_value(street));
        else if (street != NULL)
            goto bad;
        size_t i, used = 0;
        json_t *v;
        json_array_foreach(list, i, v) {
            const char *code = json_string_value(v);
            size_t n = code ? strlen(code) : 0;
            if (n == 0 || used + n + 2 > sizeof sc->communities)
                goto bad;
            used += (size_t)snprintf(sc->communities + used,
                                     sizeof sc->communities - used, "%s%s",
                                     i ? "," : "", code);
        }
        if (!web_scope_is_service(sc))
            goto bad;
    } else if (s != NULL) {
        goto bad;
    }
    char why[200];
    if (web_scope_check(sc, why, sizeof why) == 0)
        return 0;
bad:
    snprintf(err, errlen, "%s: a user's community or scope is malformed",
             USERS_FILE);
    return -1;
}

static void scope_to_json(json_t *o, const web_scope *sc)
{
    if (sc->community[0])
        json_object_set_new(o, "community", json_string(sc->community));
    if (!web_scope_is_service(sc))
        return;
    json_t *s = json_object();
    if (sc->all)
        json_object_set_new(s, "all", json_true());
    if (sc->street[0])
        json_object_set_new(s, "street", json_string(sc->street));
    if (sc->communities[0]) {
        json_t *list = json_array();
        char copy[sizeof sc->communities];
        snprintf(copy, sizeof copy, "%s", sc->communities);
        for (char *save = NULL, *p = strtok_r(copy, ",", &save); p;
             p = strtok_r(NULL, ",", &save))
            json_array_append_new(list, json_string(p));
        json_object_set_new(s, "communities", list);
    }
    json_object_set_new(o, "scope", s);
}

/* --- the file ------------------------------------------------------------ */

static int parse_user(json_t *o, web_user *u, char *err, size_t errlen)
{
    const char *name = json_string_value(json_object_get(o, "name"));
    const char *role = json_string_value(json_object_get(o, "role"));
    const char *hash = json_string_value(json_object_get(o, "hash"));
    const char *key = json_string_value(json_object_get(o, "key"));
    json_t *gen = json_object_get(o, "generation");
    json_t *created = json_object_get(o, "created_ms");
    memset(u, 0, sizeof *u);
    if (!name || !spec_user_ok(name) || !role || !hash ||
        strlen(hash) >= sizeof u->hash || !key ||
        strlen(key) != JIFEN_KEY_Z85_LEN || !json_is_integer(gen) ||
        !json_is_boolean(json_object_get(o, "disabled"))) {
        snprintf(err, errlen, "%s: a user record is malformed", USERS_FILE);
        return -1;
    }
    strcpy(u->name, name);
    u->role = jifen_role_from_name(role);
    strcpy(u->hash, hash);
    strcpy(u->key, key);
    u->generation = (uint64_t)json_integer_value(gen);
    u->disabled = json_is_true(json_object_get(o, "disabled"));
    u->created_ms = json_is_integer(created) ? json_integer_value(created) : 0;
    if (!users_role_ok(u->role)) {
        snprintf(err, errlen, "%s: user %s has an unknown role '%s'",
                 USERS_FILE, name, role);
        return -1;
    }
    return parse_scope(o, &u->scope, err, errlen);
}

/* Reads the file when it changed since the last read. Under s->mu. */
static int refresh_locked(user_store *s, char *err, size_t errlen)
{
    store_stamp now = store_stamp_of(s->dir, USERS_FILE);
    if (s->loaded && store_stamp_equal(&now, &s->stamp))
        return 0;
    char *text = NULL;
    size_t len = 0;
    int rc = store_read(s->dir, USERS_FILE, USERS_FILE_MAX, &text, &len, err,
                        errlen);
    if (rc < 0)
        return -1;
    web_user *users = NULL;
    size_t n = 0;
    if (rc == 0) {
        json_error_t jerr;
        json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
        sodium_memzero(text, len);
        json_t *list = json_object_get(root, "users");
        const char *format = json_string_value(json_object_get(root, "format"));
        if (!root || !json_is_array(list) || !format ||
            strcmp(format, USERS_FORMAT) != 0) {
            snprintf(err, errlen, "%s/%s: not a %s file (line %d: %s)",
                     s->dir, USERS_FILE, USERS_FORMAT, jerr.line, jerr.text);
            json_decref(root);
            free(text);
            return -1;
        }
        n = json_array_size(list);
        users = calloc(n ? n : 1, sizeof *users);
        for (size_t i = 0; users != NULL && i < n; i++) {
            if (parse_user(json_array_get(list, i), &users[i], err, errlen) !=
                0) {
                free(users);
                json_decref(root);
                free(text);
                return -1;
            }
        }
        json_decref(root);
        if (users == NULL) {
            free(text);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    free(text);
    sodium_memzero(s->users, s->n * sizeof *s->users);
    free(s->users);
    s->users = users;
    s->n = n;
    s->stamp = now;
    s->loaded = true;
    return 0;
}

static int save_locked(user_store *s, char *err, size_t errlen)
{
    json_t *list = json_array();
    for (size_t i = 0; i < s->n; i++) {
        const web_user *u = &s->users[i];
        json_t *o = json_pack("{s:s, s:s, s:s, s:b, s:I, s:s, s:I}", "name",
                              u->name, "role", jifen_role_name(u->role),
                              "hash", u->hash, "disabled", u->disabled,
                              "generation", (json_int_t)u->generation, "key",
                              u->key, "created_ms", (json_int_t)u->created_ms);
        scope_to_json(o, &u->scope);
        json_array_append_new(list, o);
    }
    json_t *root = json_pack("{s:s, s:o}", "format", USERS_FORMAT, "users",
                             list);
    char *text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
    json_decref(root);
    if (text == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = store_write(s->dir, USERS_FILE, text, strlen(text), err, errlen);
    sodium_memzero(text, strlen(text));
    free(text);
    if (rc == 0)
        s->stamp = store_stamp_of(s->dir, USERS_FILE);
    return rc;
}

/* One writer at a time, across processes: an flock on DATA/.lock. */
static int lock_file(const user_store *s, char *err, size_t errlen)
{
    char path[STORE_PATH_MAX + 8];
    snprintf(path, sizeof path, "%s/.lock", s->dir);
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || flock(fd, LOCK_EX) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static web_user *find_locked(user_store *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->users[i].name, name) == 0)
            return &s->users[i];
    return NULL;
}

int users_get(user_store *s, const char *name, web_user *out, char *err,
              size_t errlen)
{
    pthread_mutex_lock(&s->mu);
    int rc = refresh_locked(s, err, errlen);
    if (rc == 0) {
        const web_user *u = find_locked(s, name);
        if (u != NULL)
            *out = *u;
        rc = u != NULL ? 0 : 1;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int users_list(user_store *s, web_user **out, size_t *n, char *err,
               size_t errlen)
{
    pthread_mutex_lock(&s->mu);
    int rc = refresh_locked(s, err, errlen);
    *out = NULL;
    *n = 0;
    if (rc == 0) {
        *out = calloc(s->n ? s->n : 1, sizeof **out);
        if (*out == NULL) {
            rc = -1;
        } else {
            memcpy(*out, s->users, s->n * sizeof **out);
            *n = s->n;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* Runs change(u) on user `name` under both locks, then saves. */
static int modify(user_store *s, const char *name,
                  int (*change)(web_user *u, const void *arg, char *err,
                                size_t errlen),
                  const void *arg, char *err, size_t errlen)
{
    int fd = lock_file(s, err, errlen);
    if (fd < 0)
        return -1;
    pthread_mutex_lock(&s->mu);
    s->loaded = false; /* read it again under the lock */
    int rc = refresh_locked(s, err, errlen);
    web_user *u = rc == 0 ? find_locked(s, name) : NULL;
    if (rc == 0 && u == NULL) {
        snprintf(err, errlen, "no user named '%s'", name);
        rc = -1;
    }
    if (rc == 0)
        rc = change(u, arg, err, errlen);
    if (rc == 0)
        rc = save_locked(s, err, errlen);
    if (rc != 0)
        s->loaded = false;
    pthread_mutex_unlock(&s->mu);
    close(fd);
    return rc;
}

static int password_ok_shape(const char *pw, char *err, size_t errlen)
{
    size_t n = strlen(pw);
    spec_field f = {"password", SPEC_PASSWORD, true, NULL, 0, 0, NULL};
    char copy[129];
    spec_error se;
    f.out = copy;
    if (n > 128 || spec_parse_value(&f, pw, &se) != 0) {
        snprintf(err, errlen,
                 "a password has 8 to 128 bytes of text (no control "
                 "characters)");
        return -1;
    }
    sodium_memzero(copy, sizeof copy);
    return 0;
}

int users_add(user_store *s, const char *name, jifen_role role,
              const char *password, web_user *out, char *err, size_t errlen)
{
    return users_add_scoped(s, name, role, NULL, password, out, err, errlen);
}

int users_add_scoped(user_store *s, const char *name, jifen_role role,
                     const web_scope *scope, const char *password,
                     web_user *out, char *err, size_t errlen)
{
    if (scope != NULL && web_scope_check(scope, err, errlen) != 0)
        return -1;
    if (!spec_user_ok(name)) {
        snprintf(err, errlen,
                 "user name '%s': 1-32 of a-z 0-9 . _ -, starting with a "
                 "letter or digit",
                 name);
        return -1;
    }
    if (!users_role_ok(role)) {
        snprintf(err, errlen,
                 "role: terminal (front desk), committee or auditor (street "
                 "office); the admin works on the server with jifen and "
                 "jifen-web");
        return -1;
    }
    if (password_ok_shape(password, err, errlen) != 0)
        return -1;
    web_user u;
    memset(&u, 0, sizeof u);
    snprintf(u.name, sizeof u.name, "%s", name);
    u.role = role;
    if (scope != NULL)
        u.scope = *scope;
    u.generation = 1;
    u.created_ms = now_ms();
    if (users_hash_password(password, u.hash) != 0) {
        snprintf(err, errlen, "out of memory hashing the password");
        return -1;
    }
    int fd = lock_file(s, err, errlen);
    if (fd < 0)
        return -1;
    pthread_mutex_lock(&s->mu);
    s->loaded = false;
    int rc = refresh_locked(s, err, errlen);
    if (rc == 0 && find_locked(s, name) != NULL) {
        snprintf(err, errlen, "user '%s' exists already", name);
        rc = -1;
    }
    char prefix[STORE_PATH_MAX + 40];
    users_key_prefix(s, name, prefix, sizeof prefix);
    if (rc == 0 && jifen_keygen(prefix, u.key, err, errlen) != 0)
        rc = -1;
    if (rc == 0) {
        web_user *grown = realloc(s->users, (s->n + 1) * sizeof *grown);
        if (grown == NULL) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        } else {
            s->users = grown;
            s->users[s->n++] = u;
            rc = save_locked(s, err, errlen);
        }
    }
    if (rc != 0)
        s->loaded = false;
    pthread_mutex_unlock(&s->mu);
    close(fd);
    if (rc == 0 && out != NULL)
        *out = u;
    sodium_memzero(&u, sizeof u);
    return rc;
}

static int change_password(web_user *u, const void *arg, char *err,
                           size_t errlen)
{
    if (users_hash_password(arg, u->hash) != 0) {
        snprintf(err, errlen, "out of memory hashing the password");
        return -1;
    }
    u->generation++;
    return 0;
}

int users_set_password(user_store *s, const char *name, const char *password,
                       char *err, size_t errlen)
{
    if (password_ok_shape(password, err, errlen) != 0)
        return -1;
    return modify(s, name, change_password, password, err, errlen);
}

static int change_disable(web_user *u, const void *arg, char *err,
                          size_t errlen)
{
    (void)arg;
    (void)err;
    (void)errlen;
    u->disabled = true;
    u->generation++;
    return 0;
}

int users_disable(user_store *s, const char *name, char *err, size_t errlen)
{
    return modify(s, name, change_disable, NULL, err, errlen);
}
