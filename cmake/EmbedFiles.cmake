# livechat_embed_files(<target> <name> <file> [<name> <file>]...)
#
# Builds each <file> into <target>, to be found at run time by
# livechat::web::find_embedded_file("<name>") (src/web/embedded_files.hpp), with a content
# type taken from the file's extension. Each file becomes a generated C++ source of its own
# (cmake/embed_file_to_cpp.cmake, rebuilt when the file changes, compiled in parallel), and one
# more source holds the table of them all. Nothing beside the binary is needed at run time.

set(LIVECHAT_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/embed_file_to_cpp.cmake)
set(LIVECHAT_EMBED_TABLE_TEMPLATE ${CMAKE_CURRENT_LIST_DIR}/embedded_files.cpp.in)

function(livechat_content_type file out_var)
  get_filename_component(extension ${file} LAST_EXT)
  if(extension STREQUAL ".html")
    set(type "text/html; charset=utf-8")
  elseif(extension STREQUAL ".js")
    set(type "text/javascript; charset=utf-8")
  elseif(extension STREQUAL ".css")
    set(type "text/css; charset=utf-8")
  elseif(extension STREQUAL ".json")
    set(type "application/json")
  elseif(extension STREQUAL ".yaml")
    set(type "application/yaml; charset=utf-8")
  else()
    message(FATAL_ERROR "livechat_embed_files: no content type for ${file}; add its extension")
  endif()
  set(${out_var} "${type}" PARENT_SCOPE)
endfunction()

function(livechat_embed_files target)
  set(dir ${CMAKE_CURRENT_BINARY_DIR}/embedded)
  set(arguments ${ARGN})
  set(index 0)
  set(EMBEDDED_DECLARATIONS "")
  set(EMBEDDED_ENTRIES "")
  while(arguments)
    list(POP_FRONT arguments name file)
    cmake_path(ABSOLUTE_PATH file BASE_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR})
    if(NOT EXISTS ${file})
      message(FATAL_ERROR "${file} is missing. Files under node_modules/ come from "
                          "`npm ci` (or `make npm-deps`), which the Makefile's build runs.")
    endif()
    livechat_content_type(${file} content_type)
    set(symbol file_${index})
    set(output ${dir}/${symbol}.cpp)
    add_custom_command(
      OUTPUT ${output}
      COMMAND ${CMAKE_COMMAND} -DINPUT=${file} -DOUTPUT=${output} -DSYMBOL=${symbol}
              -P ${LIVECHAT_EMBED_SCRIPT}
      DEPENDS ${file} ${LIVECHAT_EMBED_SCRIPT}
      COMMENT "Embedding ${name}"
      VERBATIM)
    set_source_files_properties(${output} PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
    target_sources(${target} PRIVATE ${output})
    string(APPEND EMBEDDED_DECLARATIONS
      "extern const unsigned char ${symbol}[];\n"
      "extern const std::size_t ${symbol}_size;\n"
      "extern const char ${symbol}_sha256[];\n")
    string(APPEND EMBEDDED_ENTRIES
      "      {\"${name}\", \"${content_type}\", as_text(${symbol}, ${symbol}_size), ${symbol}_sha256},\n")
    math(EXPR index "${index} + 1")
  endwhile()
  # configure_file rewrites the table only when it changes, so a new configure rebuilds nothing.
  configure_file(${LIVECHAT_EMBED_TABLE_TEMPLATE} ${dir}/embedded_files.cpp @ONLY)
  target_sources(${target} PRIVATE ${dir}/embedded_files.cpp)
endfunction()
