#pragma once
// Greedy sprite selection (paper Algorithm 1) as a pure function over tensors.

#include <ATen/ATen.h>

namespace dti::core {

/// Settings of one greedy selection.
struct GreedyOptions {
  /// Number of sweeps T over the layers (`greedy_algo_iter`).
  int64_t iterations = 1;
  /// λ added to every non-empty candidate (only with an empty sprite, not while frozen).
  double lambda_empty = 0.0;
  /// Whether the last sprite (k = K−1) is the empty sprite.
  bool has_empty_sprite = false;
  /// While sprites are frozen the empty sprite is not a candidate and λ is not applied.
  bool sprites_frozen = false;
  /// Use the fused CPU kernel for float32 CPU tensors (the tensor-op path is used otherwise;
  /// tests compare the two).
  bool fused_cpu_kernel = true;
};

/// What a greedy selection chose.
struct GreedyResult {
  /// One-hot responsibilities [L,K,B] (float, the layers' dtype).
  at::Tensor resps;
  /// Chosen sprite per layer [L,B] (int64).
  at::Tensor selection;
  /// Error of the final composition, mean over C,H,W, λ terms excluded [B].
  at::Tensor distance;
};

/// Algorithm 1: start with the background (or black with mask 1 when `background` is undefined)
/// and L empty slots; for each sweep and each layer l, try every candidate sprite in slot l with
/// the other slots at their current choice and keep the lowest error (+ λ for non-empty sprites).
/// Each candidate costs O(C·H·W): the products of the other slots are computed once per layer
/// (out(k) = S0 + m_k·(c_k·P_l·(1 − occ[l,l]·m_k) − S1)), not once per candidate.
/// Runs without gradient. x [B,C,H,W], layers [L,K,B,C,H,W], masks [L,K,B,1,H,W],
/// background [B,C,H,W] or undefined, occ [L,L,B]. When `debug_distances` is given it receives
/// the candidates' distances, λ included, [T,L,n_candidates,B].
GreedyResult greedy_select(const at::Tensor& x, const at::Tensor& layers, const at::Tensor& masks,
                           const at::Tensor& background, const at::Tensor& occ,
                           const GreedyOptions& options, at::Tensor* debug_distances = nullptr);

}  // namespace dti::core
