# Shared build helpers: warnings, the LibTorch dependency and its precompiled header.

# DTI_WERROR (CI sets it) turns our warnings into errors; third-party code is never compiled with it.
option(DTI_WERROR "Treat warnings in the suite's own code as errors" OFF)
function(dti_warnings target)
  # Partly initialised aggregates (later members keep their defaults) are intended here.
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter
                                           -Wno-missing-field-initializers)
  if(DTI_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# LibTorch is found once. Debian's CPU build lives in the default prefix; a CUDA build is found
# through CMAKE_PREFIX_PATH (python3 -c 'import torch;print(torch.utils.cmake_prefix_path)').
# Called first from the top-level CMakeLists.txt: LibTorch's compiler flags (TORCH_CXX_FLAGS, e.g.
# -D_GLIBCXX_USE_CXX11_ABI=0|1) then apply to every C++ target of the suite, the torch-free
# libraries and GoogleTest built from source included, so that std::string and friends have one
# ABI across all of them (a library built without them fails to link with one built with them).
macro(dti_find_torch)
  if(NOT DEFINED TORCH_LIBRARIES)
    find_package(Torch REQUIRED)
    # TorchConfig.cmake looks for some of its libraries (libc10.so, libkineto) in the system paths
    # before its own lib/: another LibTorch on a machine with Debian's would link Debian's
    # libc10.so beside its own libtorch. Take each one that LibTorch's lib/ also has from there.
    set(_dti_torch_libs)
    foreach(_lib IN LISTS TORCH_LIBRARIES)
      get_filename_component(_name "${_lib}" NAME)
      if(IS_ABSOLUTE "${_lib}" AND EXISTS "${TORCH_INSTALL_PREFIX}/lib/${_name}")
        set(_lib "${TORCH_INSTALL_PREFIX}/lib/${_name}")
      endif()
      list(APPEND _dti_torch_libs "${_lib}")
    endforeach()
    set(TORCH_LIBRARIES ${_dti_torch_libs})
    message(STATUS "LibTorch ${Torch_VERSION}: ${TORCH_LIBRARIES}")
    separate_arguments(DTI_TORCH_CXX_FLAGS UNIX_COMMAND "${TORCH_CXX_FLAGS}")
    set(DTI_TORCH_CXX11_ABI ON)
    if(DTI_TORCH_CXX_FLAGS MATCHES "_GLIBCXX_USE_CXX11_ABI=0")
      set(DTI_TORCH_CXX11_ABI OFF)
    endif()
    message(STATUS "LibTorch flags for every target: '${TORCH_CXX_FLAGS}' (C++11 ABI: ${DTI_TORCH_CXX11_ABI})")
    foreach(_flag IN LISTS DTI_TORCH_CXX_FLAGS)
      add_compile_options($<$<COMPILE_LANGUAGE:CXX>:${_flag}>)
    endforeach()
    # PyPI's libtorch.so (built with GCC 13 for old systems) exports its own copies of newer
    # libstdc++ functions (std::filesystem::remove_all, ...) that crash when called with the
    # system's libstdc++ (GCC 12: SIGSEGV in remove_all). The system libstdc++ is made the first
    # library of every program, so that the program's own calls bind to it.
    add_link_options("LINKER:--push-state,--no-as-needed,-lstdc++,--pop-state")
  endif()
endmacro()

# LibTorch-using targets include <ATen/ATen.h>, never <torch/torch.h> (a third of the compile
# time). That header is precompiled once per build, by dti_torch_pch, and every LibTorch-using
# target reuses it. One header per target cost 13-23 s each, 20 times a build (a third of its
# compile time, three builds in CI): a whole build on 2 cores went from 805 s to 519 s.
# dti_use_torch(<target> [OWN_PCH]): OWN_PCH for a target compiled with other flags (dti_core's
# -fopenmp changes ATen's inline at::parallel_for), which precompiles the header for itself.
function(dti_use_torch target)
  cmake_parse_arguments(U "OWN_PCH" "" "" ${ARGN})
  dti_find_torch()
  get_target_property(_type ${target} TYPE)
  if(_type STREQUAL "EXECUTABLE")
    target_link_libraries(${target} PRIVATE ${TORCH_LIBRARIES})
  else()
    target_link_libraries(${target} PUBLIC ${TORCH_LIBRARIES})
  endif()
  if(U_OWN_PCH)
    target_precompile_headers(${target} PRIVATE <ATen/ATen.h>)
  else()
    dti_torch_pch(${target})
  endif()
endfunction()

# dti_torch_pch(<target>): the target's sources start from the build's one precompiled
# <ATen/ATen.h>. Every target is compiled with the same flags (CMAKE_CXX_FLAGS*, LibTorch's), as
# reusing a GCC precompiled header needs; the macros that differ per target (DTI_SOURCE_DIR, ...)
# do not appear in LibTorch's headers. Were one to, GCC would refuse the header (CMake passes
# -Winvalid-pch, an error under DTI_WERROR) rather than compile against the wrong one.
function(dti_torch_pch target)
  if(NOT TARGET dti_torch_pch)
    add_library(dti_torch_pch OBJECT ${PROJECT_SOURCE_DIR}/cmake/torch_pch.cpp)
    target_link_libraries(dti_torch_pch PRIVATE ${TORCH_LIBRARIES})
    target_precompile_headers(dti_torch_pch PRIVATE <ATen/ATen.h>)
  endif()
  target_precompile_headers(${target} REUSE_FROM dti_torch_pch)
endfunction()

# dti_include_layers(<target> <folder>...): the target sees only the named folders of
# the source tree (its own and those below it in the layering), through a folder of links made
# for it in the build tree. An upward include (core including "experiments/...") then fails to
# compile instead of only failing to link. Consumers inherit the view (PUBLIC).
function(dti_include_layers target)
  set(view ${CMAKE_BINARY_DIR}/include-views/${target})
  file(MAKE_DIRECTORY ${view})
  foreach(folder IN LISTS ARGN)
    if(NOT EXISTS ${view}/${folder})
      # A sub-folder (experiments/run) gets its parent made in the view, not linked: the target
      # then sees that part of the folder only.
      get_filename_component(parent ${view}/${folder} DIRECTORY)
      file(MAKE_DIRECTORY ${parent})
      file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${folder} ${view}/${folder} SYMBOLIC)
    endif()
  endforeach()
  target_include_directories(${target} PUBLIC ${view})
endfunction()
