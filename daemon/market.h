/*
 * market - the points supermarket (积分超市 / 爱心超市, issue 15,
 * docs/committee.md): its catalogue and stock, the redemptions of goods
 * and their pickup, and the funders the goods are booked to.
 *
 * An item has a points price, a stock, and a funder: the community fund,
 * the street office, a sponsor or a merchant, with what it is owed per
 * unit handed over (0 for a donation). A redemption takes the points and
 * the stock in one entry and books the value to the funder's account
 * (funder/<code>, fen: its credit balance is what the scheme owes it);
 * FunderSettle records the payment. The redemption waits for its pickup
 * (redeemed, then handed over).
 *
 * Derived state, written only by the apply path, in the meta table
 * (keyspace.h):
 *   "item/<code>" -> be64 created, be64 changed, be64 price, be64 value_fen,
 *       be64 stock, u8 funder kind, u8 withdrawn, u8 n, funder[n], name
 *   "goods/" be64 redemption -> be64 pickup entry (0: waiting), be64
 *       reversing entry (0: none), be64 quantity, u8 n, household[n], item
 *   "goods-open/" be64 redemption -> ""   goods waiting for their pickup
 *   "funder/<code>" -> u8 kind, name
 * Errors of the writers land in the txn's sticky error.
 */
#ifndef JIFEN_MARKET_H
#define JIFEN_MARKET_H

#include "jifen_types.h"
#include "storage.h"

/* "funder/<code>": the account an item's value is booked to. */
#define MARKET_FUNDER_ACCOUNT_PREFIX "funder/"
/* What the goods handed out were worth (debit), and what the scheme paid
 * the funders (credit). */
#define ACCOUNT_GOODS_REDEEMED "community/goods-redeemed"
#define ACCOUNT_FUNDER_PAID "community/funder-paid"

void market_funder_account(const char *funder, char out[JIFEN_ACCOUNT_MAX + 1]);

typedef struct {
    char code[JIFEN_CODE_MAX + 1];
    char name[JIFEN_NAME_MAX + 1];
    uint64_t created, changed; /* entries */
    uint64_t price;            /* points per unit */
    uint64_t value_fen;        /* owed to the funder per unit */
    uint64_t stock;
    jifen_funder_kind funder_kind;
    char funder[JIFEN_CODE_MAX + 1];
    bool withdrawn;
} market_item;

storage_error market_item_get(storage_txn *txn, const char *code,
                              market_item *out);
void market_item_put(storage_txn *txn, const market_item *it);
/* Every item, in code order; fn returns 0 to go on, 1 to stop. */
storage_error market_items_each(storage_txn *txn,
                                int (*fn)(void *ctx, const market_item *it),
                                void *ctx);

typedef struct {
    uint64_t entry;    /* the redemption */
    uint64_t pickup;   /* the entry that handed the goods over, 0: waiting */
    uint64_t reversed; /* the reversal, 0: none */
    uint64_t quantity;
    char household[JIFEN_HOUSEHOLD_MAX + 1];
    char item[JIFEN_CODE_MAX + 1];
} market_goods;

storage_error market_goods_get(storage_txn *txn, uint64_t entry,
                               market_goods *out);
/* Writes the record, and its place among the goods waiting (pickup and
 * reversed 0) or takes it out of there. */
void market_goods_put(storage_txn *txn, const market_goods *g);
/* The goods waiting for their pickup, oldest first. */
storage_error market_goods_waiting(storage_txn *txn,
                                   int (*fn)(void *ctx, const market_goods *g),
                                   void *ctx);

typedef struct {
    char code[JIFEN_CODE_MAX + 1];
    jifen_funder_kind kind;
    char name[JIFEN_NOTE_MAX + 1];
} market_funder;

storage_error market_funder_get(storage_txn *txn, const char *code,
                                market_funder *out);
void market_funder_put(storage_txn *txn, const market_funder *f);
storage_error market_funders_each(storage_txn *txn,
                                  int (*fn)(void *ctx,
                                            const market_funder *f),
                                  void *ctx);

#endif
