# Turns a binary file into a C++ source defining irq::demo_tokenizer_bytes().
# Usage: cmake -DINPUT=file -DOUTPUT=file.cpp -P embed_bytes.cmake
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR n "${hex_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," body "${hex}")
file(WRITE "${OUTPUT}"
"// Generated from ${INPUT} by core/demo/embed_bytes.cmake; do not edit.\n"
"#include <string>\n"
"#include \"demo/demo_model.h\"\n"
"namespace irq {\n"
"namespace { const char kBytes[] = {${body}}; }\n"
"const std::string& demo_tokenizer_bytes() {\n"
"  static const std::string bytes(kBytes, ${n});\n"
"  return bytes;\n"
"}\n"
"}  // namespace irq\n")
