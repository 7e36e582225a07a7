# embed_text(SOURCE HEADER SYMBOL): compiles the text file SOURCE into the generated header
# ${CMAKE_BINARY_DIR}/generated/HEADER as `constexpr const char* bertology::SYMBOL`, so that the
# binary carries it (the sbatch template, the report figure scripts) wherever it runs. The header
# is rewritten only when the text changes, and CMake re-configures when SOURCE changes.
function(embed_text source header symbol)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${source})
  file(READ ${source} text)
  file(RELATIVE_PATH name ${PROJECT_SOURCE_DIR} ${source})
  file(WRITE ${CMAKE_BINARY_DIR}/generated/${header}.tmp
    "// Generated from ${name} by cmake/EmbedText.cmake. Do not edit.\n#pragma once\n"
    "namespace bertology {\nconstexpr const char* ${symbol} = R\"BTLEMBED(${text})BTLEMBED\";\n}\n")
  configure_file(${CMAKE_BINARY_DIR}/generated/${header}.tmp ${CMAKE_BINARY_DIR}/generated/${header} COPYONLY)
endfunction()
