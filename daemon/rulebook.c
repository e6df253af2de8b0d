/*
 * rulebook - see rulebook.h.
 */
#include "rulebook.h"

#include <stdatomic.h>
#include <stdlib.h>

struct rulebook {
    ruleset *_Atomic current;
    ruleset *staged;   /* writer thread only */
    ruleset **retired; /* replaced collections, freed by rulebook_close */
    size_t n_retired;
    size_t cap_retired;
};

rulebook *rulebook_new(ruleset *initial)
{
    rulebook *self = calloc(1, sizeof *self);
    if (!self) {
        ruleset_destroy(&initial);
        return NULL;
    }
    atomic_init(&self->current, initial);
    return self;
}

void rulebook_close(rulebook **self_p)
{
    rulebook *self = *self_p;
    if (!self)
        return;
    ruleset *current = atomic_load(&self->current);
    ruleset_destroy(&current);
    ruleset_destroy(&self->staged);
    for (size_t i = 0; i < self->n_retired; i++)
        ruleset_destroy(&self->retired[i]);
    free(self->retired);
    free(self);
    *self_p = NULL;
}

const ruleset *rulebook_current(const rulebook *self)
{
    return atomic_load(&((rulebook *)self)->current);
}

/* Keeps `old` alive for readers that may still hold it. Should the list
 * not grow (out of memory), the old collection is leaked rather than freed
 * under a reader. */
static void retire(rulebook *self, ruleset *old)
{
    if (!old)
        return;
    if (self->n_retired == self->cap_retired) {
        size_t cap = self->cap_retired ? 2 * self->cap_retired : 4;
        ruleset **grown = realloc(self->retired, cap * sizeof *grown);
        if (!grown)
            return;
        self->retired = grown;
        self->cap_retired = cap;
    }
    self->retired[self->n_retired++] = old;
}

void rulebook_publish(rulebook *self, ruleset *next)
{
    retire(self, atomic_exchange(&self->current, next));
}

const ruleset *rulebook_for_write(const rulebook *self)
{
    return self->staged ? self->staged : rulebook_current(self);
}

void rulebook_stage(rulebook *self, ruleset *next)
{
    ruleset_destroy(&self->staged);
    self->staged = next;
}

void rulebook_commit(rulebook *self)
{
    if (!self->staged)
        return;
    rulebook_publish(self, self->staged);
    self->staged = NULL;
}

void rulebook_abort(rulebook *self)
{
    ruleset_destroy(&self->staged);
}
