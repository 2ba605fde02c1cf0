# Turns a file into a C++ source defining `const std::string& irq::SYMBOL()`.
# Usage: cmake -DINPUT=file -DOUTPUT=file.cpp -DSYMBOL=name -DHEADER=dir/header.h -P embed_bytes.cmake
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR n "${hex_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," body "${hex}")
file(WRITE "${OUTPUT}"
"// Generated from ${INPUT} by core/demo/embed_bytes.cmake; do not edit.\n"
"#include <string>\n"
"#include \"${HEADER}\"\n"
"namespace irq {\n"
"const std::string& ${SYMBOL}();\n"
"const std::string& ${SYMBOL}() {\n"
"  static const char data[] = {${body}};\n"
"  static const std::string bytes(data, ${n});\n"
"  return bytes;\n"
"}\n"
"}  // namespace irq\n")
