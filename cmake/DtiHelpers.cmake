# Shared build helpers: warnings, the LibTorch dependency and its precompiled header.

function(dti_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
endfunction()

# LibTorch is found once. Debian's CPU build lives in the default prefix; a CUDA build is found
# through CMAKE_PREFIX_PATH (python3 -c 'import torch;print(torch.utils.cmake_prefix_path)').
macro(dti_find_torch)
  if(NOT DEFINED TORCH_LIBRARIES)
    find_package(Torch REQUIRED)
    message(STATUS "LibTorch ${Torch_VERSION}: ${TORCH_LIBRARIES}")
  endif()
endmacro()

# LibTorch-using targets include <ATen/ATen.h>, never <torch/torch.h> (a third of the compile
# time). Each such target precompiles that header once, so its sources compile in seconds.
function(dti_use_torch target)
  dti_find_torch()
  get_target_property(_type ${target} TYPE)
  if(_type STREQUAL "EXECUTABLE")
    target_link_libraries(${target} PRIVATE ${TORCH_LIBRARIES})
  else()
    target_link_libraries(${target} PUBLIC ${TORCH_LIBRARIES})
  endif()
  if(TORCH_CXX_FLAGS)
    separate_arguments(_flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
    target_compile_options(${target} PRIVATE ${_flags})
  endif()
  target_precompile_headers(${target} PRIVATE <ATen/ATen.h>)
endfunction()
