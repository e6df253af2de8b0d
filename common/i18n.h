/*
 * i18n - jifen's one catalogue of messages for people, in Chinese (zh-CN,
 * the default) and English.
 *
 * The messages live in i18n_messages.def as MSG(ID, "中文", "English")
 * lines, grouped by area with a comment per area; this module turns them
 * into an enum and two tables. The CLI and jifen-web read the same lines:
 * jifen-web serves them to the browser as JSON (GET /api/i18n), so the
 * pages carry no second copy. A message may hold printf-style %s / %d
 * placeholders only where its users say so in a comment next to it.
 */
#ifndef JIFEN_I18N_H
#define JIFEN_I18N_H

#include <stdarg.h>
#include <stddef.h>

typedef enum {
    I18N_ZH = 0, /* zh-CN, the default for people */
    I18N_EN = 1,
} i18n_lang;

#define I18N_LANGS 2

typedef enum {
#define MSG(id, zh, en) I18N_##id,
#include "i18n_messages.def"
#undef MSG
    I18N_COUNT
} i18n_id;

/* The text of a message in a language (any out-of-range id: ""). */
const char *i18n_text(i18n_id id, i18n_lang lang);

/* The message's ID as written in the catalogue ("DESK_TITLE"), or NULL. */
const char *i18n_key(i18n_id id);

/* The message whose ID is `key`, or I18N_COUNT. */
i18n_id i18n_find(const char *key);

/* "zh", "zh-CN", "zh_CN.UTF-8", "C.UTF-8"... -> a language: English for
 * anything starting with "en", Chinese otherwise (the default). */
i18n_lang i18n_lang_parse(const char *name);

/* The language a person asked for: `option` (--lang) if given, else
 * $JIFEN_LANG, else the locale ($LC_ALL, $LC_MESSAGES, $LANG) when it names
 * English, else Chinese. */
i18n_lang i18n_lang_choose(const char *option);

/* The message with its %s placeholders filled, in order, by the string
 * arguments that follow (as many as it has); %% is a %. Writes into
 * out[cap] (cut short when it does not fit) and returns out. */
const char *i18n_format(char *out, size_t cap, i18n_id id, i18n_lang lang,
                        ...);

/* "zh-CN" or "en". */
const char *i18n_lang_name(i18n_lang lang);

/* A message with its %s filled: the n strings after n, in order ("%%" is
 * a per cent sign), into out[cap], cut at a UTF-8 character when it does
 * not fit. Messages are not format strings (a translator's %d must not
 * read an argument): only %s, and no more of them than given. Returns
 * out. */
char *i18n_fill(char *out, size_t cap, const char *text, int n, ...);
char *i18n_vfill(char *out, size_t cap, const char *text, int n, va_list ap);

#endif
