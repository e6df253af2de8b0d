/*
 * links - a resident's own link to their statement, without a sign-in:
 * /r/HOUSEHOLD/TOKEN, where TOKEN is the first 128 bits of
 * HMAC-SHA256(secret, "jifen-web statement" NUL household NUL generation)
 * in hex. The secret (DATA/link.secret, 32 random bytes, 0600) never leaves
 * the server. Revoking one household's link bumps its generation
 * (DATA/links.json); replacing the secret revokes every link at once.
 *
 * Many communities: a link names its community, /r/COMMUNITY/H/TOKEN, and
 * its token is HMAC-SHA256(secret, "jifen-web statement 2" NUL community
 * NUL household NUL generation), so a link of community A never opens
 * household H of B (the household codes of two communities overlap). The
 * form without a community is the one printed before communities; it
 * stays valid for the configuration's default community. Generations of
 * a community's links are kept under "COMMUNITY/H".
 */
#ifndef JIFEN_WEB_LINKS_H
#define JIFEN_WEB_LINKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LINK_TOKEN_LEN 32

typedef struct links links;

/* Opens (making the secret on first use) the links of DATA. */
links *links_open(const char *data_dir, char *err, size_t errlen);
void links_close(links **l_p);

/* The household's current token. 0, or -1 (err). */
int links_token(links *l, const char *household,
                char out[LINK_TOKEN_LEN + 1], char *err, size_t errlen);
/* True when token is the household's current one (constant time). */
bool links_check(links *l, const char *household, const char *token);
/* Revokes the household's link; the next one differs. 0, or -1. */
int links_revoke(links *l, const char *household, char *err, size_t errlen);

/* The same for the household of `community` ("": the form without one). */
int links_token_in(links *l, const char *community, const char *household,
                   char out[LINK_TOKEN_LEN + 1], char *err, size_t errlen);
bool links_check_in(links *l, const char *community, const char *household,
                    const char *token);
int links_revoke_in(links *l, const char *community, const char *household,
                    char *err, size_t errlen);

/* The token for a given secret and generation (pure; for the tests). */
void links_compute(const uint8_t secret[32], const char *household,
                   uint64_t generation, char out[LINK_TOKEN_LEN + 1]);
void links_compute_in(const uint8_t secret[32], const char *community,
                      const char *household, uint64_t generation,
                      char out[LINK_TOKEN_LEN + 1]);

#endif
