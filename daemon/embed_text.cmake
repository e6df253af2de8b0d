# Writes OUTPUT, a C file defining policy_default_text[] with INPUT's bytes.
file(READ ${INPUT} hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR n "${hex_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE ${OUTPUT}
  "/* Generated from deploy/policy.conf; do not edit. */\n"
  "#include <stddef.h>\n"
  "extern const char policy_default_text[];\n"
  "extern const size_t policy_default_text_len;\n"
  "const char policy_default_text[] = {${bytes} 0};\n"
  "const size_t policy_default_text_len = ${n};\n")
