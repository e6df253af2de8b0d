/*
 * bench_mysql - the MariaDB baseline: the Chinese property systems
 * (MicroCommunity and its kin) keep their accounts in MySQL, so this is
 * what a property company would most likely run instead of jifen. InnoDB
 * with innodb_flush_log_at_trx_commit=1 and the binary log on with
 * sync_binlog=1: every commit is on disk in both logs before the client
 * hears of it, the same durability as jifen's fsync'd commits (bench.sh
 * starts the throwaway server and passes --mysql).
 *
 * The schema is named as such a system would name it: `account` (账户, one
 * row per household account and per community account, with the type code
 * and the room it belongs to), `account_detail` (账户明细, the journal) and
 * `c_business` (业务受理, one row per request, unique: idempotency), with
 * their community_id / status_cd / create_time columns. The work per
 * transfer is the PostgreSQL baseline's (bench_pg.c): the request id
 * insert, the journal insert, the debit balance update with the no-negative
 * check, the credit balance update; the same keys (no secondary index: the
 * baselines get their most favourable form, as a real schema would also
 * index the journal by account). One stored procedure call per
 * transaction, so MariaDB too pays one round trip per batch.
 */
#include "bench.h"

#ifndef BENCH_HAVE_MYSQL

#include <stdio.h>

int bench_mysql_run(const bench_options *o, bench_results *res)
{
    (void)o;
    (void)res;
    bench_say("mariadb: jifen_bench was built without libmariadb "
              "(libmariadb-dev); no MariaDB figures ('-')\n");
    return 0;
}

#else

#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const schema_sql[] = {
    "DROP TABLE IF EXISTS account, account_detail, c_business",
    "CREATE TABLE account ("
    " acct_id VARCHAR(64) NOT NULL COMMENT '账户ID',"
    " acct_type VARCHAR(12) NOT NULL COMMENT '2004 积分, 2003 物业费',"
    " obj_id VARCHAR(30) NOT NULL COMMENT '房屋ID or 小区ID',"
    " community_id VARCHAR(30) NOT NULL DEFAULT 'C1' COMMENT '小区ID',"
    " debits BIGINT NOT NULL DEFAULT 0, credits BIGINT NOT NULL DEFAULT 0,"
    " create_time TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,"
    " status_cd VARCHAR(2) NOT NULL DEFAULT '0' COMMENT '0 在用 1 失效',"
    " PRIMARY KEY (acct_id)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='账户'",
    "CREATE TABLE account_detail ("
    " detail_id BIGINT NOT NULL AUTO_INCREMENT COMMENT '明细ID',"
    " b_id VARCHAR(64) NOT NULL COMMENT '业务ID',"
    " acct_id VARCHAR(64) NOT NULL COMMENT '借方账户',"
    " rel_acct_id VARCHAR(64) NOT NULL COMMENT '贷方账户',"
    " amount BIGINT NOT NULL COMMENT '分 or 积分',"
    " community_id VARCHAR(30) NOT NULL DEFAULT 'C1',"
    " create_time TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),"
    " status_cd VARCHAR(2) NOT NULL DEFAULT '0',"
    " PRIMARY KEY (detail_id)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='账户明细'",
    "CREATE TABLE c_business ("
    " b_id VARCHAR(64) NOT NULL COMMENT '业务ID',"
    " create_time TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,"
    " PRIMARY KEY (b_id)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='业务受理'",
    "DROP PROCEDURE IF EXISTS transfer_many",
    /* p: a JSON array of [request id, debit, credit, amount, check]. Any
     * error (a refused debit, a duplicate request id) rolls the whole
     * transaction back, as PostgreSQL's function does. */
    "CREATE PROCEDURE transfer_many(IN p LONGTEXT) BEGIN"
    "  DECLARE done INT DEFAULT 0;"
    "  DECLARE v_id, v_debit, v_credit VARCHAR(64);"
    "  DECLARE v_amount BIGINT;"
    "  DECLARE v_check INT;"
    "  DECLARE cur CURSOR FOR SELECT id, debit, credit, amount, chk"
    "    FROM JSON_TABLE(p, '$[*]' COLUMNS (id VARCHAR(64) PATH '$[0]',"
    "      debit VARCHAR(64) PATH '$[1]', credit VARCHAR(64) PATH '$[2]',"
    "      amount BIGINT PATH '$[3]', chk INT PATH '$[4]')) AS t;"
    "  DECLARE CONTINUE HANDLER FOR NOT FOUND SET done = 1;"
    "  DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;"
    "  START TRANSACTION;"
    "  OPEN cur;"
    "  items: LOOP"
    "    FETCH cur INTO v_id, v_debit, v_credit, v_amount, v_check;"
    "    IF done THEN LEAVE items; END IF;"
    "    INSERT INTO c_business (b_id) VALUES (v_id);"
    "    INSERT INTO account_detail (b_id, acct_id, rel_acct_id, amount)"
    "      VALUES (v_id, v_debit, v_credit, v_amount);"
    "    UPDATE account SET debits = debits + v_amount WHERE acct_id = v_debit"
    "      AND (v_check = 0 OR credits - debits >= v_amount);"
    "    IF ROW_COUNT() = 0 THEN"
    "      SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused debit';"
    "    END IF;"
    "    UPDATE account SET credits = credits + v_amount"
    "      WHERE acct_id = v_credit;"
    "    IF ROW_COUNT() = 0 THEN"
    "      SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'unknown credit';"
    "    END IF;"
    "  END LOOP;"
    "  CLOSE cur;"
    "  COMMIT;"
    "END",
    "INSERT INTO account (acct_id, acct_type, obj_id)"
    " VALUES ('community/points-issued', '2004', 'C1'),"
    " ('community/fee-income', '2003', 'C1')",
};

/* Every household's points and fee account, from the Sequence engine's
 * seq_0_to_N table; %u is the last household. */
static const char accounts_sql[] =
    "INSERT INTO account (acct_id, acct_type, obj_id)"
    " SELECT CONCAT('household/H', LPAD(seq, 7, '0'), '/', s.t),"
    " IF(s.t = 'points', '2004', '2003'), CONCAT('H', LPAD(seq, 7, '0'))"
    " FROM seq_0_to_%u CROSS JOIN"
    " (SELECT 'points' AS t UNION ALL SELECT 'fee') AS s";

/* The parts of a --mysql spec: "host=H port=P user=U password=W dbname=D
 * socket=S", any of them, like a libpq conninfo. */
typedef struct {
    char host[128], user[64], password[64], db[64], socket[256];
    unsigned port;
} my_spec;

static int set_field(char *dst, size_t cap, const char *val)
{
    return snprintf(dst, cap, "%s", val) < (int)cap ? 0 : -1;
}

static int parse_spec(const char *text, my_spec *s)
{
    memset(s, 0, sizeof *s);
    snprintf(s->host, sizeof s->host, "127.0.0.1");
    snprintf(s->user, sizeof s->user, "root");
    snprintf(s->db, sizeof s->db, "bench");
    for (const char *p = text; *p;) {
        if (*p == ' ') {
            p++;
            continue;
        }
        size_t len = strcspn(p, " ");
        const char *eq = memchr(p, '=', len);
        char key[16], val[256];
        if (!eq || (size_t)(eq - p) >= sizeof key ||
            len - (size_t)(eq - p) > sizeof val)
            return -1;
        snprintf(key, sizeof key, "%.*s", (int)(eq - p), p);
        snprintf(val, sizeof val, "%.*s", (int)(len - (size_t)(eq - p) - 1),
                 eq + 1);
        int rc = -1;
        if (!strcmp(key, "port")) {
            s->port = (unsigned)strtoul(val, NULL, 10);
            rc = 0;
        } else if (!strcmp(key, "host")) {
            rc = set_field(s->host, sizeof s->host, val);
        } else if (!strcmp(key, "user")) {
            rc = set_field(s->user, sizeof s->user, val);
        } else if (!strcmp(key, "password")) {
            rc = set_field(s->password, sizeof s->password, val);
        } else if (!strcmp(key, "dbname")) {
            rc = set_field(s->db, sizeof s->db, val);
        } else if (!strcmp(key, "socket")) {
            rc = set_field(s->socket, sizeof s->socket, val);
        }
        if (rc != 0)
            return -1;
        p += len;
    }
    return 0;
}

static MYSQL *connect_my(const my_spec *s)
{
    MYSQL *c = mysql_init(NULL);
    if (!c)
        return NULL;
    if (!mysql_real_connect(
            c, s->socket[0] ? NULL : s->host, s->user, s->password, s->db,
            s->port, s->socket[0] ? s->socket : NULL, CLIENT_MULTI_RESULTS)) {
        fprintf(stderr, "jifen_bench: mariadb: %s\n", mysql_error(c));
        mysql_close(c);
        return NULL;
    }
    return c;
}

/* Runs one statement and reads every result it returns (a CALL returns
 * at least its status). 0 or -1 with the server's message on stderr. */
static int exec_my(MYSQL *c, const char *sql, size_t len, bool quiet)
{
    int rc = mysql_real_query(c, sql, (unsigned long)len) == 0 ? 0 : -1;
    while (rc == 0) {
        MYSQL_RES *r = mysql_store_result(c);
        if (r)
            mysql_free_result(r);
        else if (mysql_field_count(c) != 0)
            rc = -1;
        int more = mysql_next_result(c);
        if (more > 0)
            rc = -1;
        if (more != 0)
            break;
    }
    if (rc != 0 && !quiet)
        fprintf(stderr, "jifen_bench: mariadb: %s\n", mysql_error(c));
    return rc;
}

static int setup(MYSQL *c, unsigned households)
{
    for (size_t i = 0; i < sizeof schema_sql / sizeof *schema_sql; i++)
        if (exec_my(c, schema_sql[i], strlen(schema_sql[i]), false) != 0)
            return -1;
    char sql[sizeof accounts_sql + 16];
    int n = snprintf(sql, sizeof sql, accounts_sql, households - 1);
    return exec_my(c, sql, (size_t)n, false);
}

/* A connection with one CALL transfer_many('[...]') being built. */
typedef struct {
    MYSQL *c;
    char *sql;
    size_t len, cap;
    unsigned items;
} my_conn;

static const char call_head[] = "CALL transfer_many('[";

static void my_close(void *arg)
{
    my_conn *b = arg;
    if (!b)
        return;
    if (b->c)
        mysql_close(b->c);
    free(b->sql);
    free(b);
    mysql_thread_end();
}

/* Each connection lives in one thread: mysql_thread_init here, and
 * mysql_thread_end when it closes. */
static void *my_open(void *spec, unsigned n)
{
    mysql_thread_init();
    my_conn *b = calloc(1, sizeof *b);
    if (!b) {
        mysql_thread_end();
        return NULL;
    }
    b->cap = (size_t)n * 128 + sizeof call_head + 8;
    b->sql = malloc(b->cap);
    b->c = connect_my(spec);
    if (!b->sql || !b->c) {
        my_close(b);
        return NULL;
    }
    return b;
}

/* Ids and account names are [A-Za-z0-9/-]: nothing to escape in the JSON
 * string or the SQL literal around it. */
static void my_add(void *arg, const char *id, const char *debit,
                   const char *credit, uint64_t amount, bool check)
{
    my_conn *b = arg;
    if (b->items == 0)
        b->len = (size_t)snprintf(b->sql, b->cap, "%s", call_head);
    int n =
        snprintf(b->sql + b->len, b->cap - b->len,
                 "%s[\"%s\",\"%s\",\"%s\",%llu,%d]", b->items ? "," : "", id,
                 debit, credit, (unsigned long long)amount, check ? 1 : 0);
    if (n > 0 && (size_t)n < b->cap - b->len) {
        b->len += (size_t)n;
        b->items++;
    }
}

/* Closes the call, runs it (one transaction), resets. */
static int send_call(my_conn *b, bool quiet)
{
    int n = snprintf(b->sql + b->len, b->cap - b->len, "]')");
    b->items = 0;
    if (n <= 0 || (size_t)n >= b->cap - b->len)
        return -1;
    return exec_my(b->c, b->sql, b->len + (size_t)n, quiet);
}

static int my_send(void *arg)
{
    return send_call(arg, false);
}

/* A refused transfer must roll back and leave nothing: checked once, so
 * that the baseline is known to do the work it is credited with. */
static int check_refusal(my_spec *spec)
{
    my_conn *b = my_open(spec, 2);
    if (!b)
        return -1;
    my_add(b, "my-check-1", "community/points-issued",
           "household/H0000000/points", 1, false);
    my_add(b, "my-check-2", "household/H0000000/fee", "community/fee-income", 1,
           true); /* fee credits are 0: refused */
    int refused = send_call(b, true) != 0;
    const char *q =
        "SELECT COUNT(*) FROM c_business WHERE b_id LIKE 'my-check%'";
    MYSQL_RES *r = NULL;
    MYSQL_ROW row;
    int ok = refused && mysql_query(b->c, q) == 0 &&
             (r = mysql_store_result(b->c)) && (row = mysql_fetch_row(r)) &&
             strcmp(row[0], "0") == 0;
    if (r)
        mysql_free_result(r);
    my_close(b);
    if (!ok)
        fprintf(stderr, "jifen_bench: mariadb: a refused transfer did not "
                        "roll back its transaction\n");
    return ok ? 0 : -1;
}

int bench_mysql_run(const bench_options *o, bench_results *res)
{
    my_spec spec;
    if (parse_spec(o->mysql, &spec) != 0) {
        fprintf(stderr, "jifen_bench: --mysql: key=value pairs of host, port, "
                        "user, password, dbname, socket\n");
        return -1;
    }
    if (mysql_library_init(0, NULL, NULL) != 0)
        return -1;
    MYSQL *c = connect_my(&spec);
    char version[64] = "";
    int rc = c ? 0 : -1;
    if (rc == 0) {
        snprintf(version, sizeof version, "%s", mysql_get_server_info(c));
        bench_progress("mariadb setup", 0, 1);
        rc = setup(c, o->households);
        bench_progress_done();
        mysql_close(c);
    }
    if (rc == 0)
        rc = check_refusal(&spec);
    if (rc == 0) {
        bench_say("mariadb %s: one transfer = request id + journal insert + "
                  "two balance updates, InnoDB, flush_log_at_trx_commit=1, "
                  "sync_binlog=1\n",
                  version);
        bench_sql sql = {"my", &spec, my_open, my_add, my_send, my_close};
        rc = bench_sql_run(o, &sql, "mariadb", res);
    }
    mysql_library_end();
    return rc;
}

#endif
