#include "core/greedy.h"

#include <ATen/Parallel.h>

#include <c10/core/GradMode.h>
#include <algorithm>
#include <vector>

#include "core/occlusion.h"
#include "core/shapes.h"

namespace dti::core {
namespace {

constexpr int64_t kMaxSlots = 16;  // L + 1 slots handled by the fused kernel
constexpr int64_t kBlock = 64;     // pixels processed together (vectorisable inner loops)

// Squared errors of every candidate for slot l, summed over C and a block of pixels, for one
// batch item: the same factorisation as the tensor path (out(k) = S0 + m_k (c_k P (1 − o_ll m_k)
// − S1)) in one pass over memory. Pointers are already offset to item b and the block start;
// `pix` is the distance between consecutive channels/slots (H·W).
__attribute__((target_clones("avx2", "default"))) void block_errors(
    const float* x, const float* cur_layers, const float* cur_masks, const float* occ,
    const float* cand_layers, const float* cand_masks, int64_t S, int64_t l, int64_t n, int64_t C,
    int64_t count, int64_t slot_stride_layers, int64_t slot_stride_masks,
    int64_t cand_stride_layers, int64_t cand_stride_masks, int64_t cand_channel_stride, int64_t pix,
    int64_t occ_stride_j, int64_t occ_stride_i, double* acc) {
  float m[kMaxSlots][kBlock], vis[kMaxSlots][kBlock], p_l[kBlock];
  float resid[8][kBlock], s1[8][kBlock], err2[kBlock];
  for (int64_t j = 0; j < S; ++j) {
    const float* src = cur_masks + j * slot_stride_masks;
    for (int64_t q = 0; q < count; ++q) m[j][q] = src[q];
  }
  // vis[i] = Π_{j≠l} (1 − occ[j,i]·m_j)
  for (int64_t i = 0; i < S; ++i) {
    for (int64_t q = 0; q < count; ++q) vis[i][q] = 1.0f;
    for (int64_t j = 0; j < S; ++j) {
      if (j == l) continue;
      const float o = occ[j * occ_stride_j + i * occ_stride_i];
      if (o == 0.0f) continue;
      for (int64_t q = 0; q < count; ++q) vis[i][q] *= 1.0f - o * m[j][q];
    }
  }
  for (int64_t q = 0; q < count; ++q) p_l[q] = vis[l][q];
  const float o_ll = occ[l * occ_stride_j + l * occ_stride_i];
  for (int64_t c = 0; c < C; ++c) {
    float* r = resid[c];
    float* t1 = s1[c];
    const float* xc = x + c * pix;
    for (int64_t q = 0; q < count; ++q) r[q] = xc[q], t1[q] = 0.0f;
    for (int64_t i = 0; i < S; ++i) {
      if (i == l) continue;
      const float o_li = occ[l * occ_stride_j + i * occ_stride_i];
      const float* ci = cur_layers + i * slot_stride_layers + c * pix;
      for (int64_t q = 0; q < count; ++q) {
        const float t = m[i][q] * ci[q] * vis[i][q];
        r[q] -= t;
        t1[q] += o_li * t;
      }
    }
  }
  for (int64_t k = 0; k < n; ++k) {
    const float* mk = cand_masks + k * cand_stride_masks;
    for (int64_t q = 0; q < count; ++q) err2[q] = 0.0f;
    for (int64_t c = 0; c < C; ++c) {
      const float* ck = cand_layers + k * cand_stride_layers + c * cand_channel_stride;
      for (int64_t q = 0; q < count; ++q) {
        const float e = resid[c][q] - mk[q] * (ck[q] * (p_l[q] * (1.0f - o_ll * mk[q])) - s1[c][q]);
        err2[q] += e * e;
      }
    }
    float sum = 0.0f;
    for (int64_t q = 0; q < count; ++q) sum += err2[q];
    acc[k] += sum;
  }
}

// Candidate distances [n,B] (mean over C,H,W) with the fused kernel. Float32 on the CPU:
// x [B,C,HW], cur_layers [S,B,C,HW], cur_masks [S,B,HW], occ [S,S,B] contiguous; the candidates
// cand_layers [n,B,C,H,W] and cand_masks [n,B,1,H,W] may be strided views (each H×W plane
// contiguous), as the model's all-candidates pass produces them.
at::Tensor fused_distances(const at::Tensor& x, const at::Tensor& cur_layers,
                           const at::Tensor& cur_masks, const at::Tensor& occ,
                           const at::Tensor& cand_layers, const at::Tensor& cand_masks, int64_t l) {
  const int64_t S = cur_layers.size(0), B = cur_layers.size(1), C = cur_layers.size(2);
  const int64_t HW = cur_layers.size(3), n = cand_layers.size(0);
  TORCH_INTERNAL_ASSERT(cand_layers.stride(4) == 1 && cand_layers.stride(3) == cand_layers.size(4));
  TORCH_INTERNAL_ASSERT(cand_masks.stride(4) == 1 && cand_masks.stride(3) == cand_masks.size(4));
  const int64_t lk = cand_layers.stride(0), lb = cand_layers.stride(1), lc = cand_layers.stride(2);
  const int64_t mk = cand_masks.stride(0), mb = cand_masks.stride(1);
  auto acc = at::zeros({n, B}, x.options().dtype(at::kDouble));
  const float* xp = x.data_ptr<float>();
  const float* lp = cur_layers.data_ptr<float>();
  const float* mp = cur_masks.data_ptr<float>();
  const float* op = occ.data_ptr<float>();
  const float* clp = cand_layers.data_ptr<float>();
  const float* cmp = cand_masks.data_ptr<float>();
  double* ap = acc.data_ptr<double>();
  at::parallel_for(0, B, 1, [&](int64_t begin, int64_t end) {
    std::vector<double> local(static_cast<size_t>(n));
    for (int64_t b = begin; b < end; ++b) {
      std::fill(local.begin(), local.end(), 0.0);
      for (int64_t p0 = 0; p0 < HW; p0 += kBlock) {
        const int64_t count = std::min(kBlock, HW - p0);
        block_errors(xp + b * C * HW + p0, lp + b * C * HW + p0, mp + b * HW + p0, op + b,
                     clp + b * lb + p0, cmp + b * mb + p0, S, l, n, C, count,
                     /*slot_stride_layers=*/B * C * HW, /*slot_stride_masks=*/B * HW,
                     /*cand_stride_layers=*/lk, /*cand_stride_masks=*/mk,
                     /*cand_channel_stride=*/lc, HW, /*occ_stride_j=*/S * B, /*occ_stride_i=*/B,
                     local.data());
      }
      for (int64_t k = 0; k < n; ++k) ap[k * B + b] = local[static_cast<size_t>(k)];
    }
  });
  return (acc / static_cast<double>(C * HW)).to(at::kFloat);
}

}  // namespace

GreedyResult greedy_select(const at::Tensor& x, const at::Tensor& layers_in,
                           const at::Tensor& masks_in, const at::Tensor& background_in,
                           const at::Tensor& occ_in, const GreedyOptions& options,
                           at::Tensor* debug_distances) {
  c10::NoGradGuard no_grad;
  // Under training.precision bf16 some inputs arrive in bfloat16 (autocast's matmuls); the
  // selection is made in x's float32, as the fp32 path makes it.
  auto like_x = [&](const at::Tensor& t) {
    return !t.defined() || t.scalar_type() == x.scalar_type() ? t : t.to(x.scalar_type());
  };
  const auto layers = like_x(layers_in), masks = like_x(masks_in);
  const auto background = like_x(background_in), occ = like_x(occ_in);
  check_shape("greedy_select", "layers", layers,
              {{"L", -1}, {"K", -1}, {"B", -1}, {"C", -1}, {"H", -1}, {"W", -1}});
  const int64_t L = layers.size(0), K = layers.size(1), B = layers.size(2);
  const int64_t C = layers.size(3), H = layers.size(4), W = layers.size(5);
  check_shape("greedy_select", "x", x, {{"B", B}, {"C", C}, {"H", H}, {"W", W}});
  check_shape("greedy_select", "masks", masks,
              {{"L", L}, {"K", K}, {"B", B}, {"1", 1}, {"H", H}, {"W", W}});
  check_shape("greedy_select", "occ", occ, {{"L", L}, {"L", L}, {"B", B}});
  DTI_CHECK(options.iterations >= 1, "greedy_select: iterations must be >= 1, got ",
            options.iterations);
  DTI_CHECK(!options.has_empty_sprite || K >= 2,
            "greedy_select: an empty sprite needs K >= 2 sprites, got K=", K);

  // While frozen, the empty sprite (last) is not a candidate (reference behaviour).
  const bool drop_empty = options.has_empty_sprite && options.sprites_frozen;
  const int64_t n_cand = drop_empty ? K - 1 : K;
  const bool use_lambda = options.has_empty_sprite && !options.sprites_frozen;
  at::Tensor penalty;  // [n_cand,1]
  if (use_lambda) {
    penalty = at::full({n_cand, 1}, options.lambda_empty, x.options());
    penalty[n_cand - 1].fill_(0);
  }

  // Slot 0 = background (mask 1), slots 1..L start empty (mask 0).
  const int64_t S = L + 1;
  auto cur_layers = at::zeros({S, B, C, H, W}, x.options());
  auto cur_masks = at::zeros({S, B, 1, H, W}, x.options());
  if (background.defined()) {
    check_shape("greedy_select", "background", background,
                {{"B", B}, {"C", C}, {"H", H}, {"W", W}});
    cur_layers[0].copy_(background);
  }
  cur_masks[0].fill_(1);
  const auto occ_ext = occlusion_with_background(occ).contiguous();  // [S,S,B]
  const auto o6 = occ_ext.reshape({S, S, B, 1, 1, 1});

  auto selection = at::zeros({L, B}, x.options().dtype(at::kLong));
  auto last_distance = at::zeros({B}, x.options());
  std::vector<at::Tensor> debug;
  const auto batch_index = at::arange(B, x.options().dtype(at::kLong));
  const bool fused = options.fused_cpu_kernel && x.is_cpu() && x.scalar_type() == at::kFloat &&
                     layers.scalar_type() == at::kFloat && S <= kMaxSlots && C <= 8;
  const auto x_flat = fused ? x.contiguous().view({B, C, H * W}) : at::Tensor();
  // The kernel reads candidates through their strides; only the H×W planes must be contiguous.
  auto plane_ok = [](const at::Tensor& t) { return t.stride(5) == 1 && t.stride(4) == t.size(5); };
  const auto layers_c = fused && !plane_ok(layers) ? layers.contiguous() : layers;
  const auto masks_c = fused && !plane_ok(masks) ? masks.contiguous() : masks;

  for (int64_t t = 0; t < options.iterations; ++t) {
    for (int64_t l = 1; l <= L; ++l) {
      auto cand_layers = layers_c[l - 1].narrow(0, 0, n_cand);  // [n,B,C,H,W]
      auto cand_masks = masks_c[l - 1].narrow(0, 0, n_cand);    // [n,B,1,H,W]
      at::Tensor dist;                                          // [n,B]
      if (fused) {
        dist = fused_distances(x_flat, cur_layers.view({S, B, C, H * W}),
                               cur_masks.view({S, B, H * W}), occ_ext, cand_layers, cand_masks, l);
      } else {
        // visible[i] = Π_{j≠l} (1 − occ[j,i]·m_j): coverage of slot i by every slot but l.
        auto cover = 1 - o6 * cur_masks.unsqueeze(1);  // [S(j),S(i),B,1,H,W]
        cover.select(0, l).fill_(1);
        auto visible = cover.prod(0);                   // [S,B,1,H,W]
        auto terms = cur_masks * cur_layers * visible;  // [S,B,C,H,W]
        terms.select(0, l).zero_();
        auto s0 = terms.sum(0);                                           // [B,C,H,W]
        auto s1 = (occ_ext[l].reshape({S, B, 1, 1, 1}) * terms).sum(0);   // [B,C,H,W]
        auto p_l = visible[l];                                            // [B,1,H,W]
        auto o_ll = occ_ext[l][l].reshape({B, 1, 1, 1});                  // [B,1,1,1]
        auto inner = cand_layers * (p_l * (1 - o_ll * cand_masks)) - s1;  // [n,B,C,H,W]
        auto err = (x - s0) - cand_masks * inner;                         // [n,B,C,H,W]
        dist = err.pow(2).flatten(2).mean(2);                             // [n,B]
      }
      auto scored = use_lambda ? dist + penalty : dist;
      if (debug_distances != nullptr) debug.push_back(scored);
      auto choice = scored.argmin(0);  // [B]
      selection[l - 1].copy_(choice);
      cur_layers[l].copy_(cand_layers.index({choice, batch_index}));
      cur_masks[l].copy_(cand_masks.index({choice, batch_index}));
      last_distance = dist.gather(0, choice.unsqueeze(0)).squeeze(0);
    }
  }

  GreedyResult result;
  result.selection = selection;
  result.resps = at::zeros({L, K, B}, x.options()).scatter_(1, selection.unsqueeze(1), 1);
  result.distance = last_distance;
  if (debug_distances != nullptr) {
    *debug_distances = at::stack(debug).reshape({options.iterations, L, n_cand, B});
  }
  return result;
}

}  // namespace dti::core
