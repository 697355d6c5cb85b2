# Run at every build (cmake -P): writes OUT with the code version "<project version>+<git describe>"
# when it changed, so runs stored after a new commit carry that commit (and only the one file that
# includes it recompiles). Inputs: SOURCE_DIR, VERSION, OUT.
execute_process(COMMAND git describe --always --dirty --abbrev=12
                WORKING_DIRECTORY ${SOURCE_DIR} OUTPUT_VARIABLE describe
                OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT describe)
  set(describe "unknown")
endif()
set(content "#pragma once\n// Generated at build time by cmake/stamp_version.cmake.\n#define DTI_CODE_VERSION \"${VERSION}+${describe}\"\n")
set(old "")
if(EXISTS ${OUT})
  file(READ ${OUT} old)
endif()
if(NOT old STREQUAL content)
  file(WRITE ${OUT} "${content}")
endif()
