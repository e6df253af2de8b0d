/*
 * codec_committee - issue 15's commands on the wire (docs/committee.md):
 * household members and consented proxies, the points supermarket, paper
 * passbooks and opening balances from paper ledgers; and the Award's
 * member, proxy and event. Part of the codec (codec_internal.h): the
 * checks of a request, and the moves between jifen_command and the
 * generated types. Domain rules (does the member exist, is there stock)
 * are the ledger's; here only what a well-formed command looks like.
 */
#include "codec_internal.h"

#include "calendar.h"

/* --- names --------------------------------------------------------------- */

static const struct {
    jifen_funder_kind kind;
    Jifen__V1__FunderKind wire;
    const char *name;
} FUNDERS[] = {
    {JIFEN_FUNDER_COMMUNITY_FUND, JIFEN__V1__FUNDER_KIND__FUNDER_COMMUNITY_FUND,
     "community-fund"},
    {JIFEN_FUNDER_STREET_OFFICE, JIFEN__V1__FUNDER_KIND__FUNDER_STREET_OFFICE,
     "street-office"},
    {JIFEN_FUNDER_SPONSOR, JIFEN__V1__FUNDER_KIND__FUNDER_SPONSOR, "sponsor"},
    {JIFEN_FUNDER_MERCHANT, JIFEN__V1__FUNDER_KIND__FUNDER_MERCHANT,
     "merchant"},
};
#define N_FUNDERS (sizeof FUNDERS / sizeof FUNDERS[0])

const char *jifen_funder_kind_name(jifen_funder_kind kind)
{
    for (size_t i = 0; i < N_FUNDERS; i++)
        if (FUNDERS[i].kind == kind)
            return FUNDERS[i].name;
    return "none";
}

jifen_funder_kind jifen_funder_kind_from_name(const char *name)
{
    for (size_t i = 0; name != NULL && i < N_FUNDERS; i++)
        if (strcmp(FUNDERS[i].name, name) == 0)
            return FUNDERS[i].kind;
    return JIFEN_FUNDER_NONE;
}

static Jifen__V1__FunderKind funder_to_wire(jifen_funder_kind kind)
{
    for (size_t i = 0; i < N_FUNDERS; i++)
        if (FUNDERS[i].kind == kind)
            return FUNDERS[i].wire;
    return JIFEN__V1__FUNDER_KIND__FUNDER_UNSPECIFIED;
}

/* Unknown values decode as NONE, which the check refuses. */
static jifen_funder_kind funder_from_wire(Jifen__V1__FunderKind wire)
{
    for (size_t i = 0; i < N_FUNDERS; i++)
        if (FUNDERS[i].wire == wire)
            return FUNDERS[i].kind;
    return JIFEN_FUNDER_NONE;
}

/* The relations to the household's owner that a member may have. */
static const char *const RELATIONS[] = {
    "head", "spouse", "child", "parent", "grandchild", "sibling", "tenant",
    "other",
};

bool jifen_relation_known(const char *code)
{
    for (size_t i = 0; i < sizeof RELATIONS / sizeof *RELATIONS; i++)
        if (strcmp(RELATIONS[i], code) == 0)
            return true;
    return false;
}

/* --- checks -------------------------------------------------------------- */

static void check_member(errbuf *e, const char *field, const char *s,
                         size_t cap, bool required)
{
    codec_check_text(e, field, s, cap, required);
}

/* A contact number as people write one: digits, with + - and spaces. */
static void check_phone(errbuf *e, const char *s, size_t cap)
{
    size_t n = strnlen(s, cap), digits = 0;
    if (!failed(e) && n > JIFEN_PHONE_MAX)
        fail(e, "phone: at most %d characters", JIFEN_PHONE_MAX);
    for (size_t i = 0; !failed(e) && i < n; i++) {
        if (s[i] >= '0' && s[i] <= '9')
            digits++;
        else if (s[i] != '+' && s[i] != '-' && s[i] != ' ')
            fail(e, "phone: digits, with + - and spaces (at byte %zu)", i + 1);
    }
    if (!failed(e) && n > 0 && digits < 3)
        fail(e, "phone: at least 3 digits");
}

static void check_date(errbuf *e, const char *field, const char *s, size_t cap)
{
    int64_t ms;
    if (!failed(e) && (strnlen(s, cap) != JIFEN_DATE_LEN ||
                       clock_parse_date(s, &ms) != 0))
        fail(e, "%s: must be a date YYYY-MM-DD", field);
}

/* A member, and optionally who acted for them: a proxy needs a member. */
static void check_acting(errbuf *e, const jifen_command *c)
{
    check_member(e, "member", c->member, sizeof c->member, false);
    check_member(e, "proxy", c->proxy, sizeof c->proxy, false);
    if (!failed(e) && c->proxy[0] && !c->member[0])
        fail(e, "proxy: names who acts for a member; give the member too");
    if (!failed(e) && c->proxy[0] && strcmp(c->proxy, c->member) == 0)
        fail(e, "proxy: a member does not act for themselves");
}

void codec_award_extra_check(const jifen_command *c, errbuf *e)
{
    check_acting(e, c);
    check_member(e, "event", c->name, sizeof c->name, false);
    if (!failed(e) && (c->name[0] != '\0') != (c->effective[0] != '\0'))
        fail(e, "event, event_date: both or neither");
    if (c->effective[0])
        check_date(e, "event_date", c->effective, sizeof c->effective);
}

/* --- members and proxies --------------------------------------------------- */

static void member_set_check(const jifen_command *c, errbuf *e)
{
    codec_check_household(e, c->household, sizeof c->household);
    check_member(e, "name", c->member, sizeof c->member, true);
    /* Moving out changes nothing else: the relation may be left out. */
    if (!failed(e) && !(c->flag && !c->code[0]) &&
        !jifen_relation_known(c->code))
        fail(e, "relation: head, spouse, child, parent, grandchild, sibling, "
                "tenant or other");
    check_phone(e, c->key, sizeof c->key);
}

static void member_set_to_wire(const jifen_command *c, wire_command *w)
{
    Jifen__V1__MemberSet *m = &w->sub.member_set;
    jifen__v1__member_set__init(m);
    m->household = wire_str(c->household);
    m->name = wire_str(c->member);
    m->relation = wire_str(c->code);
    m->phone = wire_str(c->key);
    m->left = c->flag;
    w->msg.member_set = m;
}

static void member_set_from_wire(const ProtobufCMessage *sub, jifen_command *c,
                                 errbuf *e)
{
    const Jifen__V1__MemberSet *m = (const Jifen__V1__MemberSet *)sub;
    take_str(e, "household", c->household, sizeof c->household, m->household);
    take_str(e, "name", c->member, sizeof c->member, m->name);
    take_str(e, "relation", c->code, sizeof c->code, m->relation);
    take_str(e, "phone", c->key, JIFEN_PHONE_MAX + 1, m->phone);
    c->flag = m->left;
}

static void proxy_consent_check(const jifen_command *c, errbuf *e)
{
    codec_check_household(e, c->household, sizeof c->household);
    check_member(e, "member", c->member, sizeof c->member, true);
    check_member(e, "proxy", c->proxy, sizeof c->proxy, true);
    if (!failed(e) && strcmp(c->member, c->proxy) == 0)
        fail(e, "proxy: a member does not act for themselves");
    codec_check_text(e, "consent", c->note, sizeof c->note, true);
}

static void proxy_consent_to_wire(const jifen_command *c, wire_command *w)
{
    Jifen__V1__ProxyConsent *m = &w->sub.proxy_consent;
    jifen__v1__proxy_consent__init(m);
    m->household = wire_str(c->household);
    m->member = wire_str(c->member);
    m->proxy = wire_str(c->proxy);
    m->consent = wire_str(c->note);
    m->revoke = c->flag;
    w->msg.proxy_consent = m;
}

static void proxy_consent_from_wire(const ProtobufCMessage *sub,
                                    jifen_command *c, errbuf *e)
{
    const Jifen__V1__ProxyConsent *m = (const Jifen__V1__ProxyConsent *)sub;
    take_str(e, "household", c->household, sizeof c->household, m->household);
    take_str(e, "member", c->member, sizeof c->member, m->member);
    take_str(e, "proxy", c->proxy, sizeof c->proxy, m->proxy);
    take_str(e, "consent", c->note, sizeof c->note, m->consent);
    c->flag = m->revoke;
}

/* --- the points supermarket -------------------------------------------------- */

static void item_set_check(const jifen_command *c, errbuf *e)
{
    codec_check_code(e, "code", c->code, sizeof c->code);
    if (c->flag) { /* withdrawn: the code is all it takes */
        if (!failed(e) && (c->name[0] || c->points || c->amount || c->limit ||
                           c->key[0] || c->funder_kind))
            fail(e, "withdrawn: give the code alone");
        return;
    }
    codec_check_text(e, "name", c->name, sizeof c->name, true);
    codec_check_range(e, "price_points", c->points, 1, JIFEN_POINTS_MAX, "");
    codec_check_range(e, "value_fen", c->amount, 0, JIFEN_FEN_MAX,
                      " (0: a donation, nobody is owed)");
    if (!failed(e) && c->funder_kind == JIFEN_FUNDER_NONE)
        fail(e, "funder_kind: community-fund, street-office, sponsor or "
                "merchant");
    codec_check_code(e, "funder", c->key, sizeof c->key);
    codec_check_text(e, "funder_name", c->note, sizeof c->note, false);
    codec_check_range(e, "stock", c->limit, 0, JIFEN_STOCK_MAX, "");
}

static void item_set_to_wire(const jifen_command *c, wire_command *w)
{
    Jifen__V1__ItemSet *m = &w->sub.item_set;
    jifen__v1__item_set__init(m);
    m->code = wire_str(c->code);
    m->name = wire_str(c->name);
    m->price_points = c->points;
    m->value_fen = c->amount;
    m->funder_kind = funder_to_wire(c->funder_kind);
    m->funder = wire_str(c->key);
    m->funder_name = wire_str(c->note);
    m->stock = c->limit;
    m->withdrawn = c->flag;
    w->msg.item_set = m;
}

static void item_set_from_wire(const ProtobufCMessage *sub, jifen_command *c,
                               errbuf *e)
{
    const Jifen__V1__ItemSet *m = (const Jifen__V1__ItemSet *)sub;
    take_str(e, "code", c->code, sizeof c->code, m->code);
    take_str(e, "name", c->name, sizeof c->name, m->name);
    take_str(e, "funder", c->key, JIFEN_CODE_MAX + 1, m->funder);
    take_str(e, "funder_name", c->note, sizeof c->note, m->funder_name);
    c->points = m->price_points;
    c->amount = m->value_fen;
    c->funder_kind = funder_from_wire(m->funder_kind);
    c->limit = m->stock;
    c->flag = m->withdrawn;
}

static void stock_change_check(const jifen_command *c, errbuf *e)
{
    codec_check_code(e, "item", c->code, sizeof c->code);
    codec_check_range(e, "quantity", c->amount, 1, JIFEN_STOCK_MAX, "");
    codec_check_text(e, "note", c->note, sizeof c->note, false);
}

static void stock_change_to_wire(const jifen_command *c, wire_command *w)
{
    Jifen__V1__StockChange *m = &w->sub.stock_change;
    jifen__v1__stock_change__init(m);
    m->item = wire_str(c->code);
    m->quantity = (uint32_t)c->amount;
    m->decrease = c->flag;
    m->note = wire_str(c->note);
    w->msg.stock_change = m;
}

static void stock_change_from_wire(const ProtobufCMessage *sub,
                                   jifen_command *c, errbuf *e)
{
    const Jifen__V1__StockChange *m = (const Jifen__V1__StockChange *)sub;
    take_str(e, "item", c->code, sizeof c->code, m->item);
    take_str(e, "note", c->note, sizeof c->note, m->note);
    c->amount = m->quantity;
    c->flag = m->decrease;
}

static void goods_redeem_check(const jifen_command *c, errbuf *e)
{
    codec_check_household(e, c->household, sizeof c->household);
    codec_check_code(e, "item", c->code, sizeof c->code);
    codec_check_range(e, "quantity", c->amount, 1, JIFEN_QUANTITY_MAX, "");
    check_acting(e, c);
    if (!failed(e) && c->points != 0)
        fail(e, "price_points: jifend fills it in from the catalogue; leave it "
                "out");
}

static void goods_redeem_to_wire(const jifen_command *c, wire_command *w)
{
    Jifen__V1__GoodsRedeem *m = &w->sub.goods_redeem;
    jifen__v1__goods_redeem__init(m);
    m->household = wire_str(c->household);
    m->item = wire_str(c->code);
    m->quantity = (uint32_t)c->amount;
    m->member = wire_str(c->member);
    m->proxy = wire_str(c->proxy);
    m->price_points = c->points;
    w->msg.goods_redeem = m;
}

static void goods_redeem_from_wire(const ProtobufCMessage *sub,
                                   jifen_command *c, errbuf *e)
{
    const Jifen__V1__GoodsRedeem *m = (const Jifen__V1__GoodsRedeem *)sub;
    take_str(e, "household", c->household, sizeof c->household, m->household);
    take_str(e, "item", c->code, sizeof c->code, m->item);
    take_str(e, "member", c->member, sizeof c->member, m->member);
    take_str(e, "proxy", c->proxy, sizeof c->proxy, m->proxy);
    c->amount = m->quantity;
    c->points = m->price_points;
}

static void pickup_check(const jifen_command *c, errbuf *e)
{
    if (!failed(e) && c->entry == 0)
        fail(e, "entry: required (the redemption's entry)");
    check_acting(e, c);
    codec_check_text(e, "note", c->note, sizeof c->note, false);
}

static void pickup_to_wire(const jifen_command *c, wire_command *w)
{
    Jifen__V1__Pickup *m = &w->sub.pickup;
    jifen__v1__pickup__init(m);
    m->entry = c->entry;
    m->member = wire_str(c->member);
    m->proxy = wire_str(c->proxy);
    m->note = wire_str(c->note);
    w->msg.pickup = m;
}

static void pickup_from_wire(const ProtobufCMessage *sub, jifen_command *c,
                             errbuf *e)
{
    const Jifen__V1__Pickup *m = (const Jifen__V1__Pickup *)sub;
    take_str(e, "member", c->member, sizeof c->member, m->member);
    take_str(e, "proxy", c->proxy, sizeof c->proxy, m->proxy);
    take_str(e, "note", c->note, sizeof c->note, m->note);
    c->entry = m->entry;
}

static void funder_settle_check(const jifen_command *c, errbuf *e)
{
    codec_check_code(e, "funder", c->key, sizeof c->key);
    codec_check_range(e, "amount_fen", c->amount, 1, JIFEN_FEN_MAX, "");
    codec_check_text(e, "note", c->note, sizeof c->note, false);
}

static void funder_settle_to_wire(const jifen_command *c, wire_command *w)
{
    Jifen__V1__FunderSettle *m = &w->sub.funder_settle;
    jifen__v1__funder_settle__init(m);
    m->funder = wire_str(c->key);
    m->amount_fen = c->amount;
    m->note = wire_str(c->note);
    w->msg.funder_settle = m;
}

static void funder_settle_from_wire(const ProtobufCMessage *sub,
                                    jifen_command *c, errbuf *e)
{
    const Jifen__V1__FunderSettle *m = (const Jifen__V1__FunderSettle *)sub;
    take_str(e, "funder", c->key, JIFEN_CODE_MAX + 1, m->funder);
    take_str(e, "note", c->note, sizeof c->note, m->note);
    c->amount = m->amount_fen;
}

/* --- opening balances and passbooks -------------------------------------------- */

static void opening_check(const jifen_command *c, errbuf *e)
{
    codec_check_household(e, c->household, sizeof c->household);
    codec_check_range(e, "points", c->points, 0, JIFEN_POINTS_MAX, "");
    codec_check_range(e, "fee_fen", c->amount, 0, JIFEN_FEN_MAX, "");
    if (!failed(e) && c->points == 0 && c->amount == 0)
        fail(e, "points, fee: nothing to carry over (both are 0)");
    if (!failed(e) && c->flag && c->amount == 0)
        fail(e, "fee_prepaid_fen: prepaid, but no amount");
    check_date(e, "date", c->effective, sizeof c->effective);
    codec_check_text(e, "book", c->name, sizeof c->name, true);
    codec_check_range(e, "page", c->limit, 0, JIFEN_PAGE_MAX, "");
    codec_check_text(e, "note", c->note, sizeof c->note, false);
}

static void opening_to_wire(const jifen_command *c, wire_command *w)
{
    Jifen__V1__OpeningBalance *m = &w->sub.opening;
    jifen__v1__opening_balance__init(m);
    m->household = wire_str(c->household);
    m->points = c->points;
    if (c->flag)
        m->fee_prepaid_fen = c->amount;
    else
        m->fee_owed_fen = c->amount;
    m->date = wire_str(c->effective);
    m->book = wire_str(c->name);
    m->page = c->limit;
    m->note = wire_str(c->note);
    w->msg.opening = m;
}

static void opening_from_wire(const ProtobufCMessage *sub, jifen_command *c,
                              errbuf *e)
{
    const Jifen__V1__OpeningBalance *m = (const Jifen__V1__OpeningBalance *)sub;
    take_str(e, "household", c->household, sizeof c->household, m->household);
    take_str(e, "date", c->effective, sizeof c->effective, m->date);
    take_str(e, "book", c->name, sizeof c->name, m->book);
    take_str(e, "note", c->note, sizeof c->note, m->note);
    if (!failed(e) && m->fee_owed_fen && m->fee_prepaid_fen)
        fail(e, "fee_owed_fen, fee_prepaid_fen: one or the other");
    c->points = m->points;
    c->flag = m->fee_prepaid_fen != 0;
    c->amount = c->flag ? m->fee_prepaid_fen : m->fee_owed_fen;
    c->limit = m->page;
}

static void passbook_mark_check(const jifen_command *c, errbuf *e)
{
    codec_check_household(e, c->household, sizeof c->household);
    if (!failed(e) && c->entry == 0)
        fail(e, "through_entry: required (the last entry printed)");
    codec_check_range(e, "lines", c->limit, 1, JIFEN_HISTORY_MAX, "");
}

static void passbook_mark_to_wire(const jifen_command *c, wire_command *w)
{
    Jifen__V1__PassbookMark *m = &w->sub.passbook_mark;
    jifen__v1__passbook_mark__init(m);
    m->household = wire_str(c->household);
    m->through_entry = c->entry;
    m->lines = c->limit;
    w->msg.passbook_mark = m;
}

static void passbook_mark_from_wire(const ProtobufCMessage *sub,
                                    jifen_command *c, errbuf *e)
{
    const Jifen__V1__PassbookMark *m = (const Jifen__V1__PassbookMark *)sub;
    take_str(e, "household", c->household, sizeof c->household, m->household);
    c->entry = m->through_entry;
    c->limit = m->lines;
}

/* --- the table --------------------------------------------------------------- */

const kind_info codec_committee_kinds[] = {
    {JIFEN_CMD_MEMBER_SET, "member_set", true,
     JIFEN__V1__COMMAND__KIND_MEMBER_SET, &jifen__v1__member_set__descriptor,
     member_set_check, member_set_to_wire, member_set_from_wire},
    {JIFEN_CMD_PROXY_CONSENT, "proxy_consent", true,
     JIFEN__V1__COMMAND__KIND_PROXY_CONSENT,
     &jifen__v1__proxy_consent__descriptor, proxy_consent_check,
     proxy_consent_to_wire, proxy_consent_from_wire},
    {JIFEN_CMD_ITEM_SET, "item_set", true, JIFEN__V1__COMMAND__KIND_ITEM_SET,
     &jifen__v1__item_set__descriptor, item_set_check, item_set_to_wire,
     item_set_from_wire},
    {JIFEN_CMD_STOCK_CHANGE, "stock_change", true,
     JIFEN__V1__COMMAND__KIND_STOCK_CHANGE,
     &jifen__v1__stock_change__descriptor, stock_change_check,
     stock_change_to_wire, stock_change_from_wire},
    {JIFEN_CMD_GOODS_REDEEM, "goods_redeem", true,
     JIFEN__V1__COMMAND__KIND_GOODS_REDEEM,
     &jifen__v1__goods_redeem__descriptor, goods_redeem_check,
     goods_redeem_to_wire, goods_redeem_from_wire},
    {JIFEN_CMD_PICKUP, "pickup", true, JIFEN__V1__COMMAND__KIND_PICKUP,
     &jifen__v1__pickup__descriptor, pickup_check, pickup_to_wire,
     pickup_from_wire},
    {JIFEN_CMD_FUNDER_SETTLE, "funder_settle", true,
     JIFEN__V1__COMMAND__KIND_FUNDER_SETTLE,
     &jifen__v1__funder_settle__descriptor, funder_settle_check,
     funder_settle_to_wire, funder_settle_from_wire},
    {JIFEN_CMD_OPENING, "opening", true, JIFEN__V1__COMMAND__KIND_OPENING,
     &jifen__v1__opening_balance__descriptor, opening_check, opening_to_wire,
     opening_from_wire},
    {JIFEN_CMD_PASSBOOK_MARK, "passbook_mark", true,
     JIFEN__V1__COMMAND__KIND_PASSBOOK_MARK,
     &jifen__v1__passbook_mark__descriptor, passbook_mark_check,
     passbook_mark_to_wire, passbook_mark_from_wire},
};
const size_t codec_committee_n_kinds =
    sizeof codec_committee_kinds / sizeof codec_committee_kinds[0];
