# The built-in quantization formats, one folder each under plugins/ (in
# registration order), and the generated list the register functions expand
# (builtin_formats_list.h). Included by plugins/CMakeLists.txt and by the
# standalone libFuzzer build (tests/fuzz).
set(IRQ_FORMATS nf4 int)

function(irq_write_format_list out_dir)
  set(IRQ_FORMAT_LIST "")
  foreach(format IN LISTS IRQ_FORMATS)
    string(APPEND IRQ_FORMAT_LIST "IRQ_FORMAT(${format})\n")
  endforeach()
  configure_file("${CMAKE_CURRENT_FUNCTION_LIST_DIR}/builtin_formats_list.h.in" "${out_dir}/builtin_formats_list.h" @ONLY)
endfunction()
