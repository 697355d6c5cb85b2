#include "core/transform.h"

#include <sstream>
#include <utility>

#include "base/error.h"
#include "core/transform_modules.h"

namespace dti::core {
namespace {

const std::vector<std::pair<std::string, TransformKind>>& aliases() {
  static const std::vector<std::pair<std::string, TransformKind>> table = {
      {"identity", TransformKind::kIdentity},     {"id", TransformKind::kIdentity},
      {"color", TransformKind::kColor},           {"col", TransformKind::kColor},
      {"position", TransformKind::kPosition},     {"pos", TransformKind::kPosition},
      {"similarity", TransformKind::kSimilarity}, {"sim", TransformKind::kSimilarity},
      {"affine", TransformKind::kAffine},         {"aff", TransformKind::kAffine},
      {"projective", TransformKind::kProjective}, {"proj", TransformKind::kProjective},
      {"homography", TransformKind::kProjective}, {"tps", TransformKind::kTps},
      {"thinplatespline", TransformKind::kTps},   {"morphological", TransformKind::kMorphological},
      {"morpho", TransformKind::kMorphological},
  };
  return table;
}

}  // namespace

std::string to_string(TransformKind kind) {
  switch (kind) {
    case TransformKind::kIdentity:
      return "identity";
    case TransformKind::kColor:
      return "color";
    case TransformKind::kPosition:
      return "position";
    case TransformKind::kSimilarity:
      return "similarity";
    case TransformKind::kAffine:
      return "affine";
    case TransformKind::kProjective:
      return "projective";
    case TransformKind::kTps:
      return "tps";
    case TransformKind::kMorphological:
      return "morphological";
  }
  return "unknown";
}

TransformKind parse_transform_kind(const std::string& name) {
  for (const auto& [alias, kind] : aliases()) {
    if (alias == name) return kind;
  }
  std::ostringstream valid;
  for (const auto& [alias, kind] : aliases()) valid << (valid.tellp() ? ", " : "") << alias;
  throw Error("unknown transformation '" + name + "'; valid names: " + valid.str());
}

std::vector<TransformKind> parse_transform_sequence(const std::string& name) {
  DTI_CHECK(!name.empty(),
            "empty transformation sequence name; expected e.g. color_projective_tps");
  std::vector<TransformKind> kinds;
  std::stringstream in(name);
  std::string part;
  while (std::getline(in, part, '_')) {
    try {
      kinds.push_back(parse_transform_kind(part));
    } catch (const Error& e) {
      throw Error("in transformation sequence '" + name + "': " + e.what());
    }
  }
  return kinds;
}

bool is_spatial(TransformKind kind) {
  return kind == TransformKind::kPosition || kind == TransformKind::kSimilarity ||
         kind == TransformKind::kAffine || kind == TransformKind::kProjective ||
         kind == TransformKind::kTps;
}

std::unique_ptr<TransformModule> make_transform(TransformKind kind,
                                                const TransformOptions& options) {
  const bool needs_size = kind == TransformKind::kPosition || kind == TransformKind::kSimilarity ||
                          kind == TransformKind::kAffine || kind == TransformKind::kTps;
  DTI_CHECK(!needs_size || (options.out_size[0] > 0 && options.out_size[1] > 0), "transformation '",
            to_string(kind), "' needs an output size > 0, got ", options.out_size[0], "x",
            options.out_size[1]);
  switch (kind) {
    case TransformKind::kIdentity:
      return std::make_unique<IdentityTransform>();
    case TransformKind::kColor:
      return std::make_unique<ColorTransform>(options);
    case TransformKind::kPosition:
    case TransformKind::kSimilarity:
    case TransformKind::kAffine:
      return std::make_unique<AffineFamilyTransform>(kind, options);
    case TransformKind::kProjective:
      return std::make_unique<ProjectiveTransform>(options);
    case TransformKind::kTps:
      return std::make_unique<TpsTransform>(options);
    case TransformKind::kMorphological:
      return std::make_unique<MorphologicalTransform>(options);
  }
  throw Error("make_transform: unhandled kind");
}

}  // namespace dti::core
