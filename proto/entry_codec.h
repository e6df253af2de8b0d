/*
 * entry_codec - the stored form of journal entries, which the hash chain
 * covers (docs/entry-format.md). Apart from the wire codec (codec.h): a
 * request or a reply may change shape between versions, a stored entry
 * never does.
 */
#ifndef JIFEN_ENTRY_CODEC_H
#define JIFEN_ENTRY_CODEC_H

#include "jifen_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Encodes an entry into buf[cap] without allocating. Returns the encoded
 * size, or 0 when cap is too small (codec_entry_max_size() always fits). */
size_t codec_entry_encode(const jifen_entry *entry, uint8_t *buf, size_t cap);

/* Upper bound of an encoded entry's size. */
size_t codec_entry_max_size(void);

/* Decodes a stored entry. JIFEN_STATUS_OK, or BAD_REQUEST with a reason.
 * A rule-set adoption's text is left out (command.text NULL): most readers
 * need only its version, and the entry struct stays free of heap memory. */
jifen_status codec_entry_decode(const uint8_t *buf, size_t len,
                                jifen_entry *out, char *err, size_t errlen);

/* The same, keeping a rule-set adoption's canonical text in
 * out->command.text (malloc'd; the caller frees it). */
jifen_status codec_entry_decode_text(const uint8_t *buf, size_t len,
                                     jifen_entry *out, char *err,
                                     size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
