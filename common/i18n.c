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

/* Appends s to out[*len], cut before a UTF-8 character that would not fit. */
static void append(char *out, size_t cap, size_t *len, const char *s,
                   size_t n)
{
    if (*len + n >= cap) {
        n = cap - 1 - *len;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
    }
    memcpy(out + *len, s, n);
    *len += n;
    out[*len] = '\0';
}

char *i18n_fill(char *out, size_t cap, const char *text, int n, ...)
{
    va_list ap;
    va_start(ap, n);
    i18n_vfill(out, cap, text, n, ap);
    va_end(ap);
    return out;
}

char *i18n_vfill(char *out, size_t cap, const char *text, int n, va_list ap)
{
    if (cap == 0)
        return out;
    size_t len = 0;
    out[0] = '\0';
    int used = 0;
    for (const char *p = text; *p;) {
        const char *pc = strchr(p, '%');
        if (!pc) {
            append(out, cap, &len, p, strlen(p));
            break;
        }
        append(out, cap, &len, p, (size_t)(pc - p));
        if (pc[1] == 's' && used < n) {
            const char *arg = va_arg(ap, const char *);
            used++;
            append(out, cap, &len, arg ? arg : "", strlen(arg ? arg : ""));
            p = pc + 2;
        } else if (pc[1] == '%') {
            append(out, cap, &len, "%", 1);
            p = pc + 2;
        } else { /* a stray % (or too few strings): shown as it is */
            append(out, cap, &len, pc, 1);
            p = pc + 1;
        }
    }
    return out;
}

/* i18n_vfill with as many strings as the message has %s: each takes the
 * next argument, as the caller passes one for each placeholder of the
 * message in the catalogue. */
const char *i18n_format(char *out, size_t cap, i18n_id id, i18n_lang lang,
                        ...)
{
    const char *m = i18n_text(id, lang);
    int n = 0;
    for (const char *p = m; (p = strchr(p, '%')) != NULL; p += 2) {
        if (p[1] == 's')
            n++;
        else if (p[1] != '%')
            p--; /* a stray %: one character on */
    }
    va_list ap;
    va_start(ap, lang);
    i18n_vfill(out, cap, m, n, ap);
    va_end(ap);
    return out;
}
