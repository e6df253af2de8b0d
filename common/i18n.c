/*
 * i18n - see i18n.h. The tables are built from i18n_messages.def at
 * compile time: nothing is loaded, nothing can be missing at run time.
 */
#include "i18n.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *const KEYS[I18N_COUNT] = {
#define MSG(id, zh, en) #id,
#include "i18n_messages.def"
#undef MSG
};

static const char *const TEXTS[I18N_LANGS][I18N_COUNT] = {
    {
#define MSG(id, zh, en) zh,
#include "i18n_messages.def"
#undef MSG
    },
    {
#define MSG(id, zh, en) en,
#include "i18n_messages.def"
#undef MSG
    },
};

const char *i18n_text(i18n_id id, i18n_lang lang)
{
    if ((unsigned)id >= I18N_COUNT || (unsigned)lang >= I18N_LANGS)
        return "";
    return TEXTS[lang][id];
}

const char *i18n_key(i18n_id id)
{
    return (unsigned)id < I18N_COUNT ? KEYS[id] : NULL;
}

i18n_id i18n_find(const char *key)
{
    for (unsigned i = 0; key != NULL && i < I18N_COUNT; i++)
        if (strcmp(KEYS[i], key) == 0)
            return (i18n_id)i;
    return I18N_COUNT;
}

i18n_lang i18n_lang_parse(const char *name)
{
    return name != NULL && strncmp(name, "en", 2) == 0 ? I18N_EN : I18N_ZH;
}

i18n_lang i18n_lang_choose(const char *option)
{
    if (option != NULL && *option)
        return i18n_lang_parse(option);
    const char *env = getenv("JIFEN_LANG");
    if (env != NULL && *env)
        return i18n_lang_parse(env);
    static const char *const locale_vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
    for (size_t i = 0; i < sizeof locale_vars / sizeof *locale_vars; i++) {
        const char *v = getenv(locale_vars[i]);
        if (v != NULL && *v) /* the first one set decides, as in POSIX */
            return i18n_lang_parse(v);
    }
    return I18N_ZH;
}

const char *i18n_lang_name(i18n_lang lang)
{
    return lang == I18N_EN ? "en" : "zh-CN";
}

/* Each %s of the message takes the next argument (a string), %% is a %;
 * nothing else is a placeholder, so a message can never make printf read
 * what was not passed. */
const char *i18n_format(char *out, size_t cap, i18n_id id, i18n_lang lang,
                        ...)
{
    const char *m = i18n_text(id, lang);
    size_t n = 0;
    va_list ap;
    va_start(ap, lang);
    for (const char *p = m; *p && n + 1 < cap; p++) {
        const char *put = NULL;
        char one[2] = {*p, '\0'};
        if (p[0] == '%' && p[1] == 's') {
            put = va_arg(ap, const char *);
            p++;
        } else if (p[0] == '%' && p[1] == '%') {
            put = "%";
            p++;
        } else {
            put = one;
        }
        for (; put && *put && n + 1 < cap; put++)
            out[n++] = *put;
    }
    va_end(ap);
    if (cap)
        out[n < cap ? n : cap - 1] = '\0';
    return out;
}
