// The translation unit that builds the suite's one precompiled <ATen/ATen.h> (dti_torch_pch in
// cmake/DtiHelpers.cmake); LibTorch-using targets reuse that header. Nothing is defined here.
