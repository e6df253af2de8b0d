/*
 * service - one jifend, many communities (docs/communities.md).
 *
 * A property company serves many residential communities (小区), and a
 * street office (街道) oversees those of its area. The service keeps one
 * ledger per community, each its own LMDB environment under the data
 * directory, with its own journal, chain, checkpoints, rule sets, notices
 * and reports, so that each can be backed up, verified and handed over on
 * its own, and communities commit in parallel (one writer per environment).
 * Next to them the service's own ledger journals what concerns all of them:
 * communities created and closed, and the keys of the service.
 *
 *   DATA/jifend.key, checkpoint.key      the service's identity (one for all)
 *   DATA/service/data.mdb                the service's ledger
 *   DATA/communities/<code>/data.mdb     one ledger per community
 *
 * A request names its community (Request.community); a one-community
 * service takes requests that name none. Keys: a key of a community is in
 * that community's journal and reads or writes it alone; a key of the
 * service is in the service's journal with a scope (every community, those
 * of a street, or a list) and acts in each community of its scope as a key
 * of that community with its role would.
 *
 * A data directory of an earlier release (DATA/data.mdb: one community) is
 * taken over at the first start: its file moves to DATA/communities/<code>/
 * unchanged (journal, chain, head), and the service's journal records the
 * community as adopted; its rule sets stay the operator's --policy files
 * and the ones loaded over the wire.
 *
 * Threads: service_open, service_close and service_after_commit run on the
 * server thread with no write transaction open; lookups (service_route,
 * service_authorize, service_community) on the server thread;
 * service_key_admitted on the ZAP handler's thread.
 */
#ifndef JIFEN_SERVICE_H
#define JIFEN_SERVICE_H

#include "communities.h"
#include "ledger.h"
#include "ruleset.h"

typedef struct service service;

typedef struct {
    const char *data_dir;
    ledger_options ledger; /* map sizes, progress; for every ledger */
    const policy *pol;     /* the default rule set (the embedded one, or
                              the first --policy file's) */
    /* The operator's --policy files: the rule sets of a community adopted
     * from an earlier release's ledger (new communities have theirs in
     * their journal). */
    const ruleset *files;
    /* The code of the service's first community (made at the first start,
     * or given to an earlier release's one-community ledger it takes
     * over). */
    const char *first_community;
    /* Called for every ledger the service opens (its own, each community's,
     * also those created while serving), before any write to it: where the
     * daemon attaches what each ledger needs (its checkpoint notary, its
     * outbox). `code` is the community's, NULL for the service's own. */
    void (*on_open)(void *ctx, ledger *led, const char *code);
    void *on_open_ctx;
    /* A replica (replica.h): its service's journal and its communities'
     * come from the primary, so it makes no first community and founds
     * none itself. */
    bool replica;
} service_options;

/* Opens (creating, or taking over an earlier release's data directory)
 * the service in opts->data_dir and every community's ledger; founds the
 * ledgers of communities created but not founded yet (a crash between the
 * two). 0, or -1 with why in err. */
int service_open(service **out, const service_options *opts, char *err,
                 size_t errlen);
void service_close(service **self_p);

/* A replica promoted (jifend --promote) founds the communities its
 * journal creates from now on. Server thread. */
void service_set_replica(service *self, bool replica);

/* The service's own ledger. */
ledger *service_ledger(service *self);

/* The communities, in code order; the ledger of the i-th and its record.
 * NULL past the end. */
size_t service_count(const service *self);
ledger *service_at(service *self, size_t i, const community_record **rec);
/* The ledger of community `code`, or NULL. */
ledger *service_community(service *self, const char *code,
                          const community_record **rec);

/* Where a request goes: the service's ledger (its own commands, keys of
 * the service) or a community's. JIFEN_STATUS_OK with *target (and *rec
 * for a community; NULL for the service), or UNKNOWN_COMMUNITY,
 * COMMUNITY_CLOSED (a write to a closed community) or BAD_REQUEST (the
 * service's and a community's commands mixed) with why in err. */
jifen_status service_route(service *self, const jifen_request *req,
                           ledger **target, const community_record **rec,
                           char *err, size_t errlen);

/* Whether the key may send req to target (as service_route chose it):
 * its community's key, or a key of the service whose scope takes the
 * community in. OK with *caller filled, FORBIDDEN or INTERNAL with why. */
jifen_status service_authorize(service *self, const char *z85, ledger *target,
                               const community_record *rec,
                               const jifen_request *req,
                               ledger_caller *caller, char *err,
                               size_t errlen);

/* True when z85 is a key of the service or of any community: the ZAP
 * handler's question. Any thread. */
bool service_key_admitted(service *self, const char *z85);

/* After a commit of the service's ledger: opens and founds the
 * communities it created. 0, or -1 (logged; retried next time). */
int service_after_commit(service *self);

/* The service-level queries (community list, roll-up) for a caller
 * service_authorize admitted, with the service ledger's own (its key list,
 * verify): fills reply. 0, or -1 out of memory. On the server thread. */
int service_query(service *self, const ledger_caller *caller,
                  const jifen_request *req, jifen_reply *reply);

/* The communities of the caller's scope as they are now, to answer the
 * community list and the roll-up from on a query thread (a roll-up reads
 * every community's ledger: it must not hold the server thread). Taken on
 * the server thread; NULL out of memory. */
typedef struct service_view service_view;
service_view *service_view_of(service *self, const ledger_caller *caller);
void service_view_free(void *view);
/* True when every command of req is one a view answers. */
bool service_view_answers(const jifen_request *req);
/* Answers req from the view (any thread); reply as ledger_query's. */
void service_view_query(void *view, const jifen_request *req,
                        jifen_reply *reply);

#endif
