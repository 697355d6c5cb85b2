#pragma once
// Bilinear sampling with zero padding written out for the selection pass (no gradient), with
// the float32 roundings of LibTorch's CPU grid sampler (core/sample_grid.cpp uses it).

#include <ATen/ATen.h>

namespace dti::core {

/// Whether bilinear_sample() equals at::grid_sampler bit for bit in this process (LibTorch
/// build and CPU): checked once per alignment on a fixed random problem (172,800 outputs), so
/// that another LibTorch whose kernel rounds otherwise falls back to at::grid_sampler instead
/// of changing a value.
bool bilinear_matches_libtorch(bool align_corners);

/// out [N,C,H,W] (contiguous) = bilinear sampling of x [N,C,h,w] (float32, CPU) at grid
/// [N,H,W,2] (any strides; read in place where each (x, y) pair is contiguous) with zero padding.
/// Per output pixel the weights are computed once for every channel, and a pixel whose four
/// neighbours all lie outside x is written as the +0 LibTorch computes there without reading x.
/// Roundings: the source coordinate fma(g + 1, size / 2, −0.5) (align_corners false) or (g + 1) ·
/// (size − 1) / 2 (true); the value a chain of FMAs over the four neighbours (the LibTorch 1.13
/// AVX2/AVX-512 kernel's, as measured). With 4 channels or more (the selection pass: sprites of C'
/// = C + 2 channels, or K of them stacked) each image is copied channels-last so that a neighbour's
/// channels are read as vectors: the same operations per value.
void bilinear_sample(const at::Tensor& x, const at::Tensor& grid, bool align_corners,
                     at::Tensor& out);

}  // namespace dti::core
