#include "experiments/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iomanip>
#include <limits>
#include <locale>
#include <map>
#include <set>
#include <sstream>

#include "base/error.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "core/transform.h"

namespace dti::experiments {
namespace {

constexpr int64_t kMaxInt = std::numeric_limits<int64_t>::max();

// Shortest decimal text that reads back as the same double, so to_yaml round-trips exactly and
// stays readable (1e-04 rather than 0.00010000000000000000479). Streams use the classic locale:
// the text, and so the hash, must not depend on the process's locale.
std::string format_double(double value) {
  std::string text;
  for (int precision = 1; precision <= 17; ++precision) {
    std::ostringstream out;
    out.imbue(std::locale::classic());
    out << std::setprecision(precision) << value;
    text = out.str();
    std::istringstream in(text);
    in.imbue(std::locale::classic());
    double back = 0;
    if (in >> back && back == value) break;
  }
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

template <typename T>
std::string format_list(const std::vector<T>& values) {
  std::vector<std::string> items;
  for (const auto& v : values) {
    if constexpr (std::is_floating_point_v<T>) {
      items.push_back(format_double(v));
    } else {
      items.push_back(std::to_string(v));
    }
  }
  return "[" + join(items) + "]";
}

std::string format_pair(const std::array<int64_t, 2>& pair) {
  return format_list(std::vector<int64_t>{pair[0], pair[1]});
}

std::string format_bool(bool value) { return value ? "true" : "false"; }

// Strings go through the emitter so that names YAML would read as something else get quoted.
std::string format_string(const std::string& value) {
  YAML::Emitter out;
  out << value;
  return out.c_str();
}

// A node's value as the user wrote it, for messages.
std::string node_text(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "(nothing)";
  if (node.IsScalar()) return "'" + node.Scalar() + "'";
  YAML::Emitter out;
  out << YAML::Flow << node;
  return out.c_str();
}

// ---------------------------------------------------------------------------------------------
// Dataset table. Image sizes are those of paper Table 6; n_images 60000 is the size of the authors'
// Tetrominoes and Multi-dSprites training sets (multi_object.py); 320 evaluated: docs/evaluation.md

struct DatasetInfo {
  const char* name;
  int64_t size;
  int64_t n_images;
  int64_t eval_images;
  EvalProtocol eval;
};

const std::vector<DatasetInfo>& dataset_table() {
  static const std::vector<DatasetInfo> table = {
      {"tetrominoes", 35, 60000, 320, EvalProtocol::kInstance},
      {"multi_dsprites", 64, 60000, 320, EvalProtocol::kInstance},
      {"multi_dsprites2", 64, 60000, 320, EvalProtocol::kInstance},
      {"clevr6", 128, 0, 320, EvalProtocol::kInstance},
      {"gtsrb8", 28, 0, 0, EvalProtocol::kClustering},
      {"svhn", 32, 0, 0, EvalProtocol::kClustering},
      {"weizmann_horse", 128, 0, 0, EvalProtocol::kCosegmentation},
  };
  return table;
}

// The authors' dataset names that differ from ours.
std::string canonical_dataset(const std::string& name) {
  return name == "dsprites_gray" ? "multi_dsprites" : name;
}

const std::vector<std::string> kEvalNames = {"instance", "clustering", "cosegmentation"};

// ---------------------------------------------------------------------------------------------
// Parse context: knows the source and where every overridden key came from, and formats every
// message as "<file>:<line>: <dotted.key>: ..." or "<file>: <dotted.key> (from --set ...): ...".

struct Leaf {
  YAML::Node value;
  int line = -1;  // 1-based line of the key in the file; -1 when created by an override
};

class Context {
 public:
  Context(std::string source, std::map<std::string, std::string> origins)
      : source_(std::move(source)), origins_(std::move(origins)) {}

  const std::string& source() const { return source_; }

  std::string where(const std::string& key, int line = -1) const {
    // An override of the key itself, or of a section below it (unknown keys of overrides).
    for (const auto& [overridden, origin] : origins_) {
      if (overridden == key || overridden.rfind(key + ".", 0) == 0) {
        return source_ + ": " + key + " (from " + origin + ")";
      }
    }
    if (line > 0) return source_ + ":" + std::to_string(line) + ": " + key;
    return source_ + ": " + key;
  }

  [[noreturn]] void fail(const std::string& key, int line, const std::string& message) const {
    throw Error(where(key, line) + ": " + message);
  }

 private:
  std::string source_;
  std::map<std::string, std::string> origins_;
};

// A value being read: its key, its node and where it was written.
struct Value {
  const Context& context;
  const std::string& key;
  const Leaf& leaf;
  [[noreturn]] void fail(const std::string& message) const {
    context.fail(key, leaf.line, message);
  }
  [[noreturn]] void expected(const std::string& what) const {
    fail("expected " + what + ", got " + node_text(leaf.value));
  }
};

std::string range_text(double lo, double hi, bool lo_open) {
  std::ostringstream out;
  out.imbue(std::locale::classic());
  const bool has_hi = hi < static_cast<double>(kMaxInt);
  if (lo_open) {
    out << "> " << lo;
  } else if (has_hi) {
    out << "in [" << lo << ", " << hi << "]";
    return out.str();
  } else {
    out << ">= " << lo;
  }
  if (has_hi) out << " and <= " << hi;
  return out.str();
}

// Numbers and booleans must be plain scalars: a quoted "5" is a string, as in the authors' YAML.
bool plain_scalar(const YAML::Node& node) { return node.IsScalar() && node.Tag() != "!"; }

// A plain scalar as a decimal number, all of it. Parsed here with the classic locale rather than
// by yaml-cpp, whose conversions follow the global C++ locale (a decimal comma breaks them).
template <typename T>
bool parse_number(const YAML::Node& node, T& out) {
  if (!plain_scalar(node)) return false;
  const auto& text = node.Scalar();
  if (std::is_unsigned_v<T> && !text.empty() && text[0] == '-') return false;  // would wrap
  std::istringstream in(text);
  in.imbue(std::locale::classic());
  return static_cast<bool>(in >> out) && in.peek() == std::char_traits<char>::eof();
}

int64_t read_int(const Value& v, int64_t lo, int64_t hi = kMaxInt) {
  const auto range = range_text(static_cast<double>(lo), static_cast<double>(hi), false);
  int64_t out = 0;
  if (!parse_number(v.leaf.value, out)) v.expected("an integer " + range);
  if (out < lo || out > hi) v.fail(std::to_string(out) + " is out of range; valid: " + range);
  return out;
}

double read_double(const Value& v, double lo, bool lo_open,
                   double hi = static_cast<double>(kMaxInt)) {
  const auto range = range_text(lo, hi, lo_open);
  double out = 0;
  if (!parse_number(v.leaf.value, out) || !std::isfinite(out)) v.expected("a number " + range);
  if (out < lo || (lo_open && out == lo) || out > hi) {
    v.fail(format_double(out) + " is out of range; valid: " + range);
  }
  return out;
}

bool read_bool(const Value& v) {
  if (!plain_scalar(v.leaf.value)) v.expected("true or false");
  try {
    return v.leaf.value.as<bool>();
  } catch (const YAML::Exception&) {
    v.expected("true or false");
  }
}

std::string read_string(const Value& v) {
  if (!v.leaf.value.IsScalar() || v.leaf.value.Scalar().empty()) v.expected("a name");
  return v.leaf.value.Scalar();
}

std::string read_choice(const Value& v, const std::vector<std::string>& valid) {
  const auto text = read_string(v);
  if (std::find(valid.begin(), valid.end(), text) == valid.end()) {
    v.fail("unknown value '" + text + "'; valid: " + join(valid));
  }
  return text;
}

// A list of `count` integers (count 0 = any length) each >= lo; `none_ok` also accepts the
// authors' `False` (and an empty value) for "no milestones".
std::vector<int64_t> read_int_list(const Value& v, int64_t lo, size_t count, bool none_ok,
                                   const std::string& what) {
  const auto& node = v.leaf.value;
  if (none_ok && node.IsNull()) return {};
  bool flag = true;
  if (none_ok && plain_scalar(node) && YAML::convert<bool>::decode(node, flag)) {
    if (flag) v.expected(what);
    return {};
  }
  if (!node.IsSequence() || (count > 0 && node.size() != count)) v.expected(what);
  std::vector<int64_t> out;
  for (const auto& item : node) {
    int64_t x = 0;
    if (!parse_number(item, x)) v.expected(what);
    if (x < lo) v.fail(node_text(node) + " is out of range; valid: " + what);
    out.push_back(x);
  }
  return out;
}

std::vector<int64_t> read_milestones(const Value& v, int64_t lo, bool none_ok) {
  const auto what = std::string("a list of non-decreasing epochs >= ") + std::to_string(lo) +
                    (none_ok ? " (or False: none)" : "");
  auto out = read_int_list(v, lo, 0, none_ok, what);
  for (size_t i = 1; i < out.size(); ++i) {
    if (out[i] < out[i - 1]) v.fail(node_text(v.leaf.value) + " decreases; valid: " + what);
  }
  return out;
}

// [h, w] where {0, 0} has a meaning of its own (`zero_means`), else both sizes positive.
std::array<int64_t, 2> read_size(const Value& v, const std::string& zero_means) {
  const auto what =
      "[h, w] with both > 0" + (zero_means.empty() ? "" : ", or [0, 0] (" + zero_means + ")");
  const auto list = read_int_list(v, 0, 2, false, "a list of 2 integers " + what);
  const bool zero = list[0] == 0 && list[1] == 0;
  if (!(list[0] > 0 && list[1] > 0) && !(zero && !zero_means.empty())) {
    v.fail(node_text(v.leaf.value) + " is out of range; valid: " + what);
  }
  return {list[0], list[1]};
}

std::vector<double> read_gamma(const Value& v) {
  const auto what = "a factor > 0, or a list of 2 ([sprites, networks])";
  const auto& node = v.leaf.value;
  std::vector<YAML::Node> items;
  if (node.IsSequence()) {
    if (node.size() < 1 || node.size() > 2) v.expected(what);
    for (const auto& item : node) items.push_back(item);
  } else {
    items.push_back(node);
  }
  std::vector<double> out;
  for (const auto& item : items) {
    double g = 0;
    if (!parse_number(item, g)) v.expected(what);
    if (!(g > 0) || !std::isfinite(g)) v.fail(node_text(node) + " is out of range; valid: " + what);
    out.push_back(g);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The schema: one entry per key, in canonical order. `read` stores a value into the config;
// `write` gives its canonical text (absent for keys with no effect or a single valid value).
// Codecs are built from an accessor `[](auto& c) -> auto& { return c.model.n_sprites; }` that
// works on a const and a mutable RunConfig alike.

using Read = std::function<void(const Value&, RunConfig&)>;
using Write = std::function<std::string(const RunConfig&)>;

struct Codec {
  Read read;
  Write write;
};

struct Field {
  ConfigKey info;
  Read read;
  Write write;
};

template <typename Get>
Codec int_codec(Get get, int64_t lo) {
  return {[get, lo](const Value& v, RunConfig& c) { get(c) = read_int(v, lo); },
          [get](const RunConfig& c) { return std::to_string(get(c)); }};
}
template <typename Get>
Codec double_codec(Get get, double lo, bool lo_open, double hi = static_cast<double>(kMaxInt)) {
  return {[get, lo, lo_open, hi](const Value& v, RunConfig& c) {
            get(c) = read_double(v, lo, lo_open, hi);
          },
          [get](const RunConfig& c) { return format_double(get(c)); }};
}
template <typename Get>
Codec bool_codec(Get get) {
  return {[get](const Value& v, RunConfig& c) { get(c) = read_bool(v); },
          [get](const RunConfig& c) { return format_bool(get(c)); }};
}
template <typename Get>
Codec string_codec(Get get) {
  return {[get](const Value& v, RunConfig& c) { get(c) = read_string(v); },
          [get](const RunConfig& c) { return format_string(get(c)); }};
}
template <typename Get>
Codec choice_codec(Get get, std::vector<std::string> valid) {
  return {[get, valid](const Value& v, RunConfig& c) { get(c) = read_choice(v, valid); },
          [get](const RunConfig& c) { return format_string(get(c)); }};
}
template <typename Get>
Codec milestones_codec(Get get, int64_t lo, bool none_ok) {
  return {[get, lo, none_ok](const Value& v, RunConfig& c) {
            get(c) = read_milestones(v, lo, none_ok);
          },
          [get](const RunConfig& c) { return format_list(get(c)); }};
}
template <typename Get>
Codec size_codec(Get get, std::string zero_means) {
  return {[get, zero_means](const Value& v, RunConfig& c) { get(c) = read_size(v, zero_means); },
          [get](const RunConfig& c) { return format_pair(get(c)); }};
}

Field ours(std::string key, std::string description, Codec codec, bool required = false) {
  return {{std::move(key), KeyOrigin::kOurs, required, std::move(description)},
          std::move(codec.read),
          std::move(codec.write)};
}
Field authors(std::string key, std::string description, Codec codec, bool required = false) {
  return {{std::move(key), KeyOrigin::kAuthors, required, std::move(description)},
          std::move(codec.read),
          std::move(codec.write)};
}
// A key of the authors that has no effect here: any value is accepted, nothing is emitted.
Field ignored(std::string key, std::string description) {
  return {{std::move(key), KeyOrigin::kIgnored, false, std::move(description)},
          [](const Value&, RunConfig&) {},
          nullptr};
}
// An authors' key with one supported value: checked, not emitted.
Field fixed(std::string key, std::string value, std::string description) {
  return {{std::move(key), KeyOrigin::kAuthors, false, std::move(description)},
          [value](const Value& v, RunConfig&) { read_choice(v, {value}); },
          nullptr};
}
// An authors' key asking for something this suite does elsewhere: accepted only when empty.
Field empty_only(std::string key, std::string description, std::string instead) {
  return {{std::move(key), KeyOrigin::kIgnored, false, std::move(description)},
          [instead](const Value& v, RunConfig&) {
            if (!v.leaf.value.IsNull())
              v.fail("is not supported here (" + instead + "); leave it empty");
          },
          nullptr};
}

Codec eval_codec() {
  return {[](const Value& v, RunConfig& c) {
            const auto name = read_choice(v, kEvalNames);
            c.dataset.eval = static_cast<EvalProtocol>(
                std::find(kEvalNames.begin(), kEvalNames.end(), name) - kEvalNames.begin());
          },
          [](const RunConfig& c) { return eval_protocol_name(c.dataset.eval); }};
}

Codec threshold_codec() {
  return {
      [](const Value& v, RunConfig& c) {
        const double x = read_double(v, -1, false, 1);
        if (x < 0 && x != -1)
          v.fail(format_double(x) + " is out of range; valid: -1 (0.2 / n_sprites) or in [0, 1]");
        c.model.empty_cluster_threshold = x;
      },
      [](const RunConfig& c) { return format_double(c.model.empty_cluster_threshold); }};
}

Codec kernel_codec() {
  return {[](const Value& v, RunConfig& c) {
            c.model.kernel_size = read_int(v, 1);
            if (c.model.kernel_size % 2 == 0) {
              v.fail(std::to_string(c.model.kernel_size) + " is even; valid: an odd integer >= 1");
            }
          },
          [](const RunConfig& c) { return std::to_string(c.model.kernel_size); }};
}

Codec gamma_codec() {
  return {[](const Value& v, RunConfig& c) { c.training.gamma = read_gamma(v); },
          [](const RunConfig& c) {
            const auto& g = c.training.gamma;
            return g.size() == 1 ? format_double(g[0]) : format_list(g);
          }};
}

Codec encoder_update_codec() {
  return {[](const Value& v, RunConfig& c) {
            c.training.encoder_update =
                core::parse_encoder_update(read_choice(v, {"reference", "deduplicated"}));
          },
          [](const RunConfig& c) {
            return std::string(c.training.encoder_update == core::EncoderUpdate::kReference
                                   ? "reference"
                                   : "deduplicated");
          }};
}

// Seeds are unsigned 64-bit (parse_number refuses a '-' that the conversion would wrap).
Codec seed_codec() {
  return {[](const Value& v, RunConfig& c) {
            if (!parse_number(v.leaf.value, c.seed)) v.expected("an integer >= 0");
          },
          [](const RunConfig& c) { return std::to_string(c.seed); }};
}

// dataset.name is read before everything else (it decides the section's defaults): no-op here.
Codec dataset_name_codec() {
  return {[](const Value&, RunConfig&) {},
          [](const RunConfig& c) { return format_string(c.dataset.name); }};
}

#define DTI_FIELD(member) \
  [](auto& c) -> auto& { return c.member; }

const std::vector<Field>& fields() {
  static const std::vector<Field> table = {
      ours("dataset.name", "dataset: " + join(dataset_names()), dataset_name_codec(), true),
      ours("dataset.file", "file name inside the data directory (default <name>.h5)",
           string_codec(DTI_FIELD(dataset.file))),
      ours("dataset.image_size", "image size [H, W] (default: the dataset's)",
           size_codec(DTI_FIELD(dataset.image_size), "")),
      ours("dataset.channels", "colour channels C (default 3)",
           int_codec(DTI_FIELD(dataset.channels), 1)),
      ours("dataset.n_images",
           "training images to generate, or the first ones of the file to use; 0 = all",
           int_codec(DTI_FIELD(dataset.n_images), 0)),
      ours("dataset.eval_images",
           "images evaluated (the first ones of the evaluation set); 0 = all",
           int_codec(DTI_FIELD(dataset.eval_images), 0)),
      ours("dataset.eval", "evaluation protocol: instance, clustering or cosegmentation",
           eval_codec()),

      fixed("model.name", "dti_sprites", "model: dti_sprites (the only model here)"),
      authors("model.n_sprites", "learnable sprites K (without the empty sprite)",
              int_codec(DTI_FIELD(model.n_sprites), 1), true),
      authors("model.n_backgrounds", "background prototypes M (0 = black)",
              int_codec(DTI_FIELD(model.n_backgrounds), 0)),
      authors("model.n_objects", "object layers L", int_codec(DTI_FIELD(model.n_objects), 1)),
      authors("model.freeze_sprite", "epochs during which sprites and masks get no gradient",
              int_codec(DTI_FIELD(model.freeze_sprite), 0)),
      authors("model.inject_noise", "mask noise strength in training (0 = off)",
              double_codec(DTI_FIELD(model.inject_noise), 0, false, 1)),
      authors("model.encoder_name", "encoder: resnet18, resnet20 or resnet32",
              choice_codec(DTI_FIELD(model.encoder_name), {"resnet18", "resnet20", "resnet32"})),
      authors("model.with_pool", "pooling grid [h, w] after the encoder ([0, 0] = none)",
              size_codec(DTI_FIELD(model.with_pool), "no pooling")),
      authors("model.transformation_sequence", "sprite-specific sequence, e.g. identity_similarity",
              string_codec(DTI_FIELD(model.transformation_sequence))),
      authors("model.transformation_sequence_bkg", "background sequence, e.g. color",
              string_codec(DTI_FIELD(model.transformation_sequence_bkg))),
      authors("model.transformation_sequence_layer",
              "layer sequence shared by a layer's sprites, e.g. color_position",
              string_codec(DTI_FIELD(model.transformation_sequence_layer))),
      authors("model.curriculum_learning",
              "epochs at which modules 2.. of the sprite sequence switch on (False = all on)",
              milestones_codec(DTI_FIELD(model.curriculum_learning), 0, true)),
      authors("model.curriculum_learning_bkg",
              "curriculum of the background sequence (False = none)",
              milestones_codec(DTI_FIELD(model.curriculum_learning_bkg), 0, true)),
      authors("model.curriculum_learning_layer", "curriculum of the layer sequence (False = none)",
              milestones_codec(DTI_FIELD(model.curriculum_learning_layer), 0, true)),
      authors("model.proto_init", "appearance init: constant, gaussian, sample or random_color",
              choice_codec(DTI_FIELD(model.proto_init),
                           {"constant", "gaussian", "sample", "random_color"})),
      authors("model.mask_init", "mask init: constant, gaussian or random",
              choice_codec(DTI_FIELD(model.mask_init), {"constant", "gaussian", "random"})),
      authors("model.bkg_init", "background init: constant or mean",
              choice_codec(DTI_FIELD(model.bkg_init), {"constant", "mean"})),
      authors("model.sprite_size", "sprite size [h, w] ([0, 0] = the image size)",
              size_codec(DTI_FIELD(model.sprite_size), "the image size")),
      authors("model.gaussian_weights_std", "σ of the Gaussian mask init, in pixels",
              double_codec(DTI_FIELD(model.gaussian_weights_std), 0, true)),
      authors("model.pred_occlusion", "predict the occlusion matrix (else a fixed depth order)",
              bool_codec(DTI_FIELD(model.pred_occlusion))),
      authors("model.estimate_minimum",
              "greedy selection (Algorithm 1) instead of the exhaustive search",
              bool_codec(DTI_FIELD(model.estimate_minimum))),
      authors("model.greedy_algo_iter", "greedy sweeps T",
              int_codec(DTI_FIELD(model.greedy_algo_iter), 1)),
      authors("model.add_empty_sprite", "add the fixed empty sprite",
              bool_codec(DTI_FIELD(model.add_empty_sprite))),
      authors("model.lambda_empty_sprite", "λ: selection cost of a non-empty sprite",
              double_codec(DTI_FIELD(model.lambda_empty_sprite), 0, false)),
      authors("model.reassign_cluster", "reassign rarely used sprites",
              bool_codec(DTI_FIELD(model.reassign_cluster))),
      authors("model.empty_cluster_threshold",
              "usage share under which a sprite is reassigned; -1 = 0.2 / n_sprites",
              threshold_codec()),
      authors("model.grid_size", "TPS control grid g (g×g points)",
              int_codec(DTI_FIELD(model.grid_size), 2)),
      authors("model.kernel_size", "morphological kernel size (odd)", kernel_codec()),

      authors("training.batch_size", "images per batch", int_codec(DTI_FIELD(batch_size), 1), true),
      ignored("training.n_workers", "data loader processes of the reference (ignored)"),
      fixed("training.optimizer.name", "adam", "optimiser: adam (the only one here)"),
      authors("training.optimizer.lr", "learning rate of both groups",
              double_codec(DTI_FIELD(training.lr), 0, true), true),
      authors("training.optimizer.cluster.weight_decay",
              "weight decay of sprites, masks and backgrounds",
              double_codec(DTI_FIELD(training.sprite_weight_decay), 0, false)),
      authors("training.optimizer.transformer.weight_decay", "weight decay of every network",
              double_codec(DTI_FIELD(training.network_weight_decay), 0, false)),
      fixed("training.scheduler.name", "multi_step", "scheduler: multi_step (the only one here)"),
      authors("training.scheduler.gamma", "decay factor, or [sprites, networks] factors",
              gamma_codec()),
      authors("training.scheduler.milestones",
              "epochs after which the rates are multiplied by gamma",
              milestones_codec(DTI_FIELD(training.milestones), 1, false)),
      authors("training.n_epoches", "epochs (the authors' spelling)",
              int_codec(DTI_FIELD(training.n_epochs), 1), true),
      ours("training.max_iterations", "stop after this many iterations (0 = none)",
           int_codec(DTI_FIELD(training.max_iterations), 0)),
      authors("training.train_stat_interval", "progress report every N iterations",
              int_codec(DTI_FIELD(training.log_interval), 1)),
      ignored("training.val_stat_interval",
              "validation interval of the reference (ignored: evaluation runs after training)"),
      authors("training.check_cluster_interval", "empty-sprite reassignment every N iterations",
              int_codec(DTI_FIELD(training.check_cluster_interval), 1)),
      ours("training.checkpoint_interval", "checkpoint every N iterations (0 = only at the end)",
           int_codec(DTI_FIELD(training.checkpoint_interval), 0)),
      ours("training.encoder_update",
           "reference (Adam once per network holding the encoder) or deduplicated",
           encoder_update_codec()),
      ignored("training.eval_with_bkg",
              "reference evaluation switch (ignored: dataset.eval decides)"),
      ignored("training.eval_semantic",
              "reference evaluation switch (ignored: dataset.eval decides)"),
      authors("training.seed", "seed of the run", seed_codec(), true),
      ignored("training.visualizer_port", "visdom port of the reference (ignored)"),
      empty_only("training.pretrained", "reference warm start (must be empty)",
                 "start from a checkpoint with runexp"),
      empty_only("training.resume", "reference resumption (must be empty)",
                 "runexp resumes from its checkpoints"),
  };
  return table;
}

#undef DTI_FIELD

const Field* find_field(const std::string& key) {
  for (const auto& f : fields()) {
    if (f.info.key == key) return &f;
  }
  return nullptr;
}

bool is_section(const std::string& key) {
  const auto prefix = key.empty() ? "" : key + ".";
  for (const auto& f : fields()) {
    if (f.info.key.rfind(prefix, 0) == 0 && f.info.key != key) return true;
  }
  return false;
}

// Names valid directly under section `prefix` ("" = top level), in schema order.
std::vector<std::string> children(const std::string& prefix) {
  std::vector<std::string> out;
  const auto start = prefix.empty() ? "" : prefix + ".";
  for (const auto& f : fields()) {
    if (f.info.key.rfind(start, 0) != 0) continue;
    const auto rest = f.info.key.substr(start.size());
    const auto name = rest.substr(0, rest.find('.'));
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  return out;
}

std::string unknown_key_message(const std::string& prefix, const std::string& name) {
  const auto valid = children(prefix);
  const std::string best = closest_name(name, valid);
  std::string hint;
  if (!best.empty()) {
    hint = "did you mean '" + best + "'? ";
  } else {
    // The right name in the wrong section (model.batch_size, model.image_size...).
    for (const auto& f : fields()) {
      const auto dot = f.info.key.rfind('.');
      if (f.info.key.substr(dot + 1) == name) hint = "did you mean '" + f.info.key + "'? ";
    }
  }
  return "unknown key; " + hint + "valid keys " +
         (prefix.empty() ? "at the top level" : "in " + prefix) + ": " + join(valid);
}

// Walks the tree: every key must be in the schema; collects the leaves by dotted key.
void collect(const Context& context, const YAML::Node& node, const std::string& prefix, int line,
             std::map<std::string, Leaf>& leaves) {
  if (node.IsNull()) return;  // an empty section
  if (!node.IsMap()) {
    context.fail(
        prefix.empty() ? "(top level)" : prefix, line,
        "expected a section with keys (" + join(children(prefix)) + "), got " + node_text(node));
  }
  std::set<std::string> seen;
  for (const auto& entry : node) {
    const int key_line = entry.first.Mark().is_null() ? -1 : entry.first.Mark().line + 1;
    const auto name = entry.first.IsScalar() ? entry.first.Scalar() : node_text(entry.first);
    const auto key = prefix.empty() ? name : prefix + "." + name;
    if (!seen.insert(name).second) context.fail(key, key_line, "duplicate key");
    if (find_field(key) != nullptr) {
      leaves[key] = Leaf{entry.second, key_line};
    } else if (is_section(key)) {
      collect(context, entry.second, key, key_line, leaves);
    } else {
      context.fail(key, key_line, unknown_key_message(prefix, name));
    }
  }
}

YAML::Node load_yaml(const std::string& text, const std::string& what) {
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw Error(what + ":" + std::to_string(e.mark.line + 1) + ":" +
                std::to_string(e.mark.column + 1) + ": YAML syntax error: " + e.msg);
  }
}

// Finds the entry `name` of a map node (yaml-cpp's operator[] would insert it).
YAML::Node find_child(const YAML::Node& map, const std::string& name) {
  for (const auto& entry : map) {
    if (entry.first.IsScalar() && entry.first.Scalar() == name) return entry.second;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

// Sets `dotted.key=value` in the tree, creating sections as needed; returns the key.
std::string apply_override(YAML::Node& root, const std::string& source, const detail::Override& o) {
  const auto eq = o.text.find('=');
  const auto fail = [&](const std::string& message) {
    throw Error(source + ": " + o.origin + ": " + message);
  };
  if (eq == std::string::npos) fail("expected key=value, e.g. model.n_sprites=10");
  const auto key = trim(o.text.substr(0, eq));
  const auto parts = split(key, '.');
  for (const auto& part : parts) {
    if (part.empty() || part.find_first_of(" \t") != std::string::npos)
      fail("'" + key + "' is not a dotted key");
  }
  if (is_section(key))
    fail("'" + key + "' is a section; set its keys one by one (" + join(children(key)) + ")");
  const auto value = load_yaml(o.text.substr(eq + 1), source + ": " + o.origin + ": value");
  YAML::Node node = root;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    // reset() rebinds a handle; operator= on a yaml-cpp node would write through it instead.
    YAML::Node child;
    child.reset(find_child(node, parts[i]));
    if (!child.IsDefined() || child.IsNull()) {
      node[parts[i]] = YAML::Node(YAML::NodeType::Map);
      child.reset(find_child(node, parts[i]));
    } else if (!child.IsMap()) {
      fail("'" + join({parts.begin(), parts.begin() + static_cast<long>(i) + 1}, ".") +
           "' is not a section");
    }
    node.reset(child);
  }
  node[parts.back()] = value;
  return key;
}

// Module count of a sequence name; the core parser's message names the valid modules.
size_t sequence_length(const Context& context, const std::string& key, int line,
                       const std::string& sequence) {
  try {
    return core::parse_transform_sequence(sequence).size();
  } catch (const Error& e) {
    context.fail(key, line, e.what());
  }
}

int line_of(const std::map<std::string, Leaf>& leaves, const std::string& key) {
  const auto it = leaves.find(key);
  return it == leaves.end() ? -1 : it->second.line;
}

// Checks that involve several keys (each message names the keys, the values and what is valid).
void check_combinations(const Context& context, const std::map<std::string, Leaf>& leaves,
                        const RunConfig& c) {
  const auto fail = [&](const std::string& key, const std::string& message) {
    context.fail(key, line_of(leaves, key), message);
  };
  const auto& m = c.model;
  const auto n_epochs = c.training.n_epochs;
  const std::string epochs = "n_epoches (" + std::to_string(n_epochs) + ")";
  const std::vector<std::tuple<std::string, std::string, std::vector<int64_t>>> curricula = {
      {"model.curriculum_learning", m.transformation_sequence, m.curriculum_learning},
      {"model.curriculum_learning_bkg", m.transformation_sequence_bkg, m.curriculum_learning_bkg},
      {"model.curriculum_learning_layer", m.transformation_sequence_layer,
       m.curriculum_learning_layer}};
  for (const auto& [key, sequence, milestones] : curricula) {
    const auto sequence_key = "model.transformation_sequence" +
                              key.substr(std::string("model.curriculum_learning").size());
    const size_t n =
        sequence_length(context, sequence_key, line_of(leaves, sequence_key), sequence);
    if (!milestones.empty() && milestones.size() + 1 != n) {
      fail(key, format_list(milestones) + " has " + std::to_string(milestones.size()) +
                    " milestones but " + sequence_key.substr(6) + " '" + sequence + "' has " +
                    std::to_string(n) + " modules; valid: " + std::to_string(n - 1) +
                    " milestones, or False");
    }
    for (int64_t e : milestones) {
      if (e >= n_epochs)
        fail(key, format_list(milestones) + " switches a module on at or after " + epochs +
                      ", so it would never be trained; valid: each < n_epoches");
    }
  }
  if (m.freeze_sprite >= n_epochs) {
    fail("model.freeze_sprite", std::to_string(m.freeze_sprite) +
                                    " freezes the sprites for the whole run of " + epochs +
                                    "; valid: < n_epoches");
  }
  for (int64_t e : c.training.milestones) {
    if (e >= n_epochs)
      fail("training.scheduler.milestones",
           format_list(c.training.milestones) + " has a milestone at or after " + epochs +
               ", so it would never take effect; valid: each < n_epoches");
  }
  if (m.lambda_empty_sprite > 0 && !m.add_empty_sprite) {
    fail("model.lambda_empty_sprite", format_double(m.lambda_empty_sprite) +
                                          " has no effect without the empty sprite; valid: 0, or "
                                          "set model.add_empty_sprite: true");
  }
  if (c.dataset.eval != EvalProtocol::kInstance && m.n_objects != 1) {
    fail("model.n_objects", std::to_string(m.n_objects) + " layers, but dataset.eval " +
                                eval_protocol_name(c.dataset.eval) +
                                " reads one sprite per image; valid: 1");
  }
  if (c.dataset.n_images > 0 && c.batch_size > c.dataset.n_images) {
    fail("training.batch_size", std::to_string(c.batch_size) + " exceeds dataset.n_images (" +
                                    std::to_string(c.dataset.n_images) + "); valid: <= n_images");
  }
  if (c.dataset.eval == EvalProtocol::kInstance && c.dataset.n_images > 0 &&
      c.dataset.eval_images > c.dataset.n_images) {
    // docs/evaluation.md: multi-object models are scored on the first images of the training set.
    fail("dataset.eval_images", std::to_string(c.dataset.eval_images) +
                                    " exceeds dataset.n_images (" +
                                    std::to_string(c.dataset.n_images) +
                                    ") of the training set it is taken from; valid: <= n_images");
  }
}

}  // namespace

std::string eval_protocol_name(EvalProtocol protocol) {
  return kEvalNames.at(static_cast<size_t>(protocol));
}

bool operator==(const RunConfig& a, const RunConfig& b) { return to_yaml(a) == to_yaml(b); }
bool operator!=(const RunConfig& a, const RunConfig& b) { return !(a == b); }

const std::vector<ConfigKey>& config_schema() {
  static const std::vector<ConfigKey> schema = [] {
    std::vector<ConfigKey> out;
    for (const auto& f : fields()) out.push_back(f.info);
    return out;
  }();
  return schema;
}

std::vector<std::string> dataset_names() {
  std::vector<std::string> out;
  for (const auto& d : dataset_table()) out.emplace_back(d.name);
  return out;
}

DatasetConfig dataset_defaults(const std::string& name) {
  const auto canonical = canonical_dataset(name);
  for (const auto& d : dataset_table()) {
    if (canonical != d.name) continue;
    DatasetConfig out;
    out.name = d.name;
    out.file = canonical + ".h5";
    out.image_size = {d.size, d.size};
    out.n_images = d.n_images;
    out.eval_images = d.eval_images;
    out.eval = d.eval;
    return out;
  }
  throw Error("unknown dataset '" + name + "'; valid: " + join(dataset_names()) +
              " (dsprites_gray = multi_dsprites)");
}

std::string default_config_dir() {
  if (const char* dir = std::getenv("DTI_CONFIG_DIR"); dir != nullptr && *dir != '\0') return dir;
  return DTI_DEFAULT_CONFIG_DIR;
}

std::string resolve_config_path(const std::string& name_or_path) {
  const auto ends_with = [&](const std::string& suffix) {
    return name_or_path.size() >= suffix.size() &&
           name_or_path.compare(name_or_path.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (name_or_path.find('/') != std::string::npos || ends_with(".yml") || ends_with(".yaml"))
    return name_or_path;
  return default_config_dir() + "/" + name_or_path + ".yml";
}

RunConfig load_config(const std::string& path, const std::vector<std::string>& overrides) {
  return detail::parse_config_with(detail::read_text_file(path), path,
                                   detail::user_overrides(overrides));
}

RunConfig parse_config(const std::string& yaml_text, const std::string& source_name,
                       const std::vector<std::string>& overrides) {
  return detail::parse_config_with(yaml_text, source_name, detail::user_overrides(overrides));
}

namespace detail {

std::vector<Override> user_overrides(const std::vector<std::string>& overrides) {
  std::vector<Override> out;
  for (const auto& text : overrides) out.push_back({text, "--set " + text});
  return out;
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error("cannot read config '" + path + "'; shipped configs are in " +
                default_config_dir() + " (names: " + join(dataset_names()) + ")");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

RunConfig parse_config_with(const std::string& yaml_text, const std::string& source_name,
                            const std::vector<Override>& overrides) {
  YAML::Node root = load_yaml(yaml_text, source_name);
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  std::map<std::string, std::string> origins;
  for (const auto& o : overrides) {
    if (!root.IsMap()) break;  // reported below
    origins[apply_override(root, source_name, o)] = o.origin;
  }
  const Context context(source_name, origins);
  std::map<std::string, Leaf> leaves;
  collect(context, root, "", 1, leaves);
  for (const auto& f : fields()) {
    if (f.info.required && leaves.count(f.info.key) == 0) {
      context.fail(f.info.key, -1, "missing; every config sets it (" + f.info.description + ")");
    }
  }

  // The dataset's name decides the defaults of its section, so it is read first.
  RunConfig c;
  const std::string name_key = "dataset.name";
  const Value name_value{context, name_key, leaves.at(name_key)};
  auto names = dataset_names();
  names.push_back("dsprites_gray");
  c.dataset = dataset_defaults(read_choice(name_value, names));
  for (const auto& f : fields()) {
    const auto it = leaves.find(f.info.key);
    if (it != leaves.end()) f.read(Value{context, f.info.key, it->second}, c);
  }
  c.model.image_size = c.dataset.image_size;
  c.model.channels = c.dataset.channels;
  check_combinations(context, leaves, c);
  try {
    c.model.validate();
    c.training.validate();
  } catch (const Error& e) {
    throw Error(source_name + ": " + e.what());
  }
  c.source = source_name;
  return c;
}

}  // namespace detail

std::string to_yaml(const RunConfig& config) {
  std::ostringstream out;
  std::vector<std::string> open;  // sections currently open
  for (const auto& f : fields()) {
    if (!f.write) continue;
    const auto parts = split(f.info.key, '.');
    size_t common = 0;
    while (common < open.size() && common + 1 < parts.size() && open[common] == parts[common])
      ++common;
    open.resize(common);
    for (size_t i = common; i + 1 < parts.size(); ++i) {
      out << std::string(2 * i, ' ') << parts[i] << ":\n";
      open.push_back(parts[i]);
    }
    out << std::string(2 * (parts.size() - 1), ' ') << parts.back() << ": " << f.write(config)
        << "\n";
  }
  return out.str();
}

std::string config_hash(const RunConfig& config) { return dti::sha256_hex(to_yaml(config)); }

}  // namespace dti::experiments
