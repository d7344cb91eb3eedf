# glibc floor for the binaries we ship (prebuilds/): they load on glibc 2.28 and later (RHEL 8, Debian 10, Ubuntu
# 20.04, Amazon Linux 2023, ...) though built on a newer system. libstdc++ is linked statically (no GLIBCXX_/CXXABI_
# needs at all; libgcc_s stays shared: its unwinder is the system's, needing only GCC_4.2.0), and
# native/compat/glibc_floor.S pins every glibc function newer than 2.28 to its older version (ld --wrap). scripts/check-package.sh proves it with objdump -T. See docs/install.md.
# Use: retinaface_glibc_floor(<target>) for every shipped shared library (the addon, the TensorRT layers).
option(RETINAFACE_GLIBC_FLOOR "Link shipped binaries for glibc 2.28 (static libstdc++, old symbol versions)" ON)

set(RETINAFACE_GLIBC_FLOOR_ACTIVE OFF)
if(RETINAFACE_GLIBC_FLOOR AND CMAKE_SYSTEM_NAME STREQUAL "Linux" AND CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64)$")
  include(CheckCXXSourceCompiles)
  check_cxx_source_compiles("#include <features.h>\n#ifndef __GLIBC__\n#error not glibc\n#endif\nint main() { return 0; }"
                            RETINAFACE_HAVE_GLIBC)
  if(RETINAFACE_HAVE_GLIBC)
    enable_language(ASM)
    set(RETINAFACE_GLIBC_FLOOR_ACTIVE ON)
  endif()
endif()

function(retinaface_glibc_floor target)
  if(NOT RETINAFACE_GLIBC_FLOOR_ACTIVE)
    return()
  endif()
  set(compat ${CMAKE_SOURCE_DIR}/native/compat)
  target_sources(${target} PRIVATE ${compat}/glibc_floor.S ${compat}/glibc_floor_random.cc)
  set_source_files_properties(${compat}/glibc_floor.S PROPERTIES INCLUDE_DIRECTORIES ${compat}
                              OBJECT_DEPENDS "${compat}/glibc_floor_symbols.inc;${compat}/glibc_floor.wrap")
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${compat}/glibc_floor.wrap)
  target_link_options(${target} PRIVATE -static-libstdc++ -Wl,--exclude-libs,ALL "-Wl,@${compat}/glibc_floor.wrap")
  # Before 2.34 these lived in libpthread, libdl and librt: name them, so that old systems load them for us (here they
  # are empty stubs).
  target_link_libraries(${target} PRIVATE -Wl,--no-as-needed -l:libpthread.so.0 -l:libdl.so.2 -l:librt.so.1 -Wl,--as-needed)
endfunction()
