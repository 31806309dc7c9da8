# Turns one file into a C++ source that defines its bytes, its size and its SHA-256 (the
# ETag it is served with). Run at build time by livechat_embed_files (EmbedFiles.cmake):
#   cmake -DINPUT=<file> -DOUTPUT=<file.cpp> -DSYMBOL=<name> -P embed_file_to_cpp.cmake
# Defines, in namespace livechat::web::generated:
#   extern const unsigned char <SYMBOL>[];      the bytes, then one 0 (no array is empty)
#   extern const std::size_t <SYMBOL>_size;     the number of bytes, without that 0
#   extern const char <SYMBOL>_sha256[];        64 lowercase hex digits

file(READ "${INPUT}" hex HEX)
file(SHA256 "${INPUT}" digest)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE "${OUTPUT}"
  "// Generated from ${INPUT} by cmake/embed_file_to_cpp.cmake; do not edit.\n"
  "#include <cstddef>\n"
  "namespace livechat::web::generated {\n"
  "extern const unsigned char ${SYMBOL}[] = {${bytes}0x00};\n"
  "extern const std::size_t ${SYMBOL}_size = ${size};\n"
  "extern const char ${SYMBOL}_sha256[] = \"${digest}\";\n"
  "}  // namespace livechat::web::generated\n")
