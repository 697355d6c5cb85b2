#include "experiments/config/config_schema.h"

#include <algorithm>
#include <type_traits>

#include "base/strings.h"
#include "core/trainer.h"

namespace dti::experiments::config_internal {
namespace {

// ---------------------------------------------------------------------------------------------
// Codecs: how a value is read into the config and written back. They are built from an accessor
// `[](auto& c) -> auto& { return c.model.n_sprites; }` that works on a const and a mutable
// RunConfig alike (DTI_FIELD below).

struct Codec {
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
// An enumeration named by `names` (its name table, in enum order).
template <typename Get>
Codec enum_codec(Get get, std::vector<std::string> names) {
  return {[get, names](const Value& v, RunConfig& c) {
            using E = std::decay_t<decltype(get(c))>;
            get(c) = static_cast<E>(read_choice_index(v, names));
          },
          [get, names](const RunConfig& c) {
            return format_string(names.at(static_cast<size_t>(get(c))));
          }};
}
// An option added after runs were stored: written (and so hashed) only when it differs from the
// default, so that the configurations of runs stored before it existed keep their hash and
// their finished runs are still found.
template <typename Get>
Codec enum_codec_unless_default(Get get, std::vector<std::string> names) {
  auto codec = enum_codec(get, names);
  codec.write = [get, names](const RunConfig& c) {
    const auto index = static_cast<size_t>(get(c));
    return index == 0 ? std::string() : format_string(names.at(index));
  };
  return codec;
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

// Names of core::EncoderUpdate, in enum order (core::parse_encoder_update() reads the same).
const std::vector<std::string> kEncoderUpdateNames = {"reference", "deduplicated"};
// Names of core::ReassignMoments, in enum order (core::parse_reassign_moments() reads the same).
const std::vector<std::string> kReassignMomentsNames = {"alias", "copy"};
// Names of core::Precision, in enum order (core::parse_precision() reads the same).
const std::vector<std::string> kPrecisionNames = {"fp32", "tf32", "bf16"};
// training.encoder_norm, for core::ModelOptions::fused_norm (false, true).
const std::vector<std::string> kEncoderNormNames = {"separate", "fused"};

// ---------------------------------------------------------------------------------------------
// Kinds of keys.

Field field(KeyOrigin origin, std::string key, std::string description, std::string example,
            Codec codec, bool required) {
  return {{std::move(key), origin, required, std::move(description), std::move(example)},
          std::move(codec.read),
          std::move(codec.write)};
}
// A key this suite adds.
Field ours(std::string key, std::string description, std::string example, Codec codec,
           bool required = false) {
  return field(KeyOrigin::kOurs, std::move(key), std::move(description), std::move(example),
               std::move(codec), required);
}
// A key of the authors' configs, with its meaning there.
Field authors(std::string key, std::string description, std::string example, Codec codec,
              bool required = false) {
  return field(KeyOrigin::kAuthors, std::move(key), std::move(description), std::move(example),
               std::move(codec), required);
}
// A key of the authors that has no effect here: any value is accepted, nothing is emitted.
Field ignored(std::string key, std::string description, std::string example) {
  return field(KeyOrigin::kIgnored, std::move(key), std::move(description), std::move(example),
               {[](const Value&, RunConfig&) {}, nullptr}, false);
}
// An authors' key with one supported value: checked, not emitted.
Field fixed(std::string key, std::string value, std::string description) {
  Codec codec{[value](const Value& v, RunConfig&) { read_choice(v, {value}); }, nullptr};
  return field(KeyOrigin::kAuthors, std::move(key), std::move(description), value, std::move(codec),
               false);
}
// An authors' key asking for something this suite does elsewhere: accepted only when empty.
Field empty_only(std::string key, std::string description, std::string instead) {
  Codec codec{[instead](const Value& v, RunConfig&) {
                if (!v.leaf.value.IsNull())
                  v.fail("is not supported here (" + instead + "); leave it empty");
              },
              nullptr};
  return field(KeyOrigin::kIgnored, std::move(key), std::move(description), "", std::move(codec),
               false);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The table: key, description, example (a valid value other than the usual one), codec.

#define DTI_FIELD(member) \
  [](auto& c) -> auto& { return c.member; }

const std::vector<Field>& fields() {
  static const std::vector<Field> table = {
      ours("dataset.name", "dataset: " + join(dataset_names()), "multi_dsprites2",
           dataset_name_codec(), true),
      ours("dataset.file", "file name inside the data directory (default <name>.h5)",
           "'other dir/my: file.h5'", string_codec(DTI_FIELD(dataset.file))),
      ours("dataset.image_size", "image size [H, W] (default: the dataset's)", "[36, 40]",
           size_codec(DTI_FIELD(dataset.image_size), "")),
      ours("dataset.channels", "colour channels C (default 3)", "1",
           int_codec(DTI_FIELD(dataset.channels), 1)),
      ours("dataset.n_images",
           "training images to generate, or how many of the file to use (a seeded random subset); "
           "0 = all",
           "1000", int_codec(DTI_FIELD(dataset.n_images), 0)),
      ours("dataset.eval_images",
           "images evaluated (the first ones of the evaluation set); 0 = all", "10",
           int_codec(DTI_FIELD(dataset.eval_images), 0)),
      ours("dataset.eval", "evaluation protocol: instance, clustering, cosegmentation or none",
           "instance", enum_codec(DTI_FIELD(dataset.eval), eval_protocol_names())),

      fixed("model.name", "dti_sprites", "model: dti_sprites (the only model here)"),
      authors("model.n_sprites", "learnable sprites K (without the empty sprite)", "5",
              int_codec(DTI_FIELD(model.n_sprites), 1), true),
      authors("model.n_backgrounds", "background prototypes M (0 = black)", "2",
              int_codec(DTI_FIELD(model.n_backgrounds), 0)),
      authors("model.n_objects", "object layers L", "2", int_codec(DTI_FIELD(model.n_objects), 1)),
      authors("model.freeze_sprite", "epochs during which sprites and masks get no gradient", "3",
              int_codec(DTI_FIELD(model.freeze_sprite), 0)),
      authors("model.inject_noise", "mask noise strength in training (0 = off)", "0.25",
              double_codec(DTI_FIELD(model.inject_noise), 0, false, 1)),
      authors("model.encoder_name", "encoder: resnet18, resnet20 or resnet32", "resnet20",
              enum_codec(DTI_FIELD(model.encoder_name), core::names_of<core::EncoderKind>())),
      authors("model.with_pool", "pooling grid [h, w] after the encoder ([0, 0] = none)", "[0, 0]",
              size_codec(DTI_FIELD(model.with_pool), "no pooling")),
      authors("model.transformation_sequence", "sprite-specific sequence, e.g. identity_similarity",
              "color_affine_tps", string_codec(DTI_FIELD(model.transformation_sequence))),
      authors("model.transformation_sequence_bkg", "background sequence, e.g. color",
              "color_projective_morphological",
              string_codec(DTI_FIELD(model.transformation_sequence_bkg))),
      authors("model.transformation_sequence_layer",
              "layer sequence shared by a layer's sprites, e.g. color_position", "position",
              string_codec(DTI_FIELD(model.transformation_sequence_layer))),
      authors("model.curriculum_learning",
              "epochs at which modules 2.. of the sprite sequence switch on (False = all on)",
              "[1]", milestones_codec(DTI_FIELD(model.curriculum_learning), 0, true)),
      authors("model.curriculum_learning_bkg",
              "curriculum of the background sequence (False = none)", "False",
              milestones_codec(DTI_FIELD(model.curriculum_learning_bkg), 0, true)),
      authors("model.curriculum_learning_layer", "curriculum of the layer sequence (False = none)",
              "[3]", milestones_codec(DTI_FIELD(model.curriculum_learning_layer), 0, true)),
      authors("model.proto_init", "appearance init: constant, gaussian, sample or random_color",
              "random_color",
              enum_codec(DTI_FIELD(model.proto_init), core::names_of<core::ProtoInit>())),
      authors("model.mask_init", "mask init: constant, gaussian or random", "random",
              enum_codec(DTI_FIELD(model.mask_init), core::names_of<core::MaskInit>())),
      authors("model.bkg_init", "background init: constant or mean", "mean",
              enum_codec(DTI_FIELD(model.bkg_init), core::names_of<core::BackgroundInit>())),
      authors("model.sprite_size", "sprite size [h, w] ([0, 0] = the image size)", "[12, 14]",
              size_codec(DTI_FIELD(model.sprite_size), "the image size")),
      authors("model.gaussian_weights_std", "σ of the Gaussian mask init, in pixels", "2.5",
              double_codec(DTI_FIELD(model.gaussian_weights_std), 0, true)),
      authors("model.pred_occlusion", "predict the occlusion matrix (else a fixed depth order)",
              "true", bool_codec(DTI_FIELD(model.pred_occlusion))),
      authors("model.estimate_minimum",
              "greedy selection (Algorithm 1) instead of the exhaustive search", "true",
              bool_codec(DTI_FIELD(model.estimate_minimum))),
      authors("model.greedy_algo_iter", "greedy sweeps T", "2",
              int_codec(DTI_FIELD(model.greedy_algo_iter), 1)),
      authors("model.add_empty_sprite", "add the fixed empty sprite", "true",
              bool_codec(DTI_FIELD(model.add_empty_sprite))),
      authors("model.lambda_empty_sprite", "λ: selection cost of a non-empty sprite", "1e-3",
              double_codec(DTI_FIELD(model.lambda_empty_sprite), 0, false)),
      authors("model.reassign_cluster", "reassign rarely used sprites", "false",
              bool_codec(DTI_FIELD(model.reassign_cluster))),
      authors("model.empty_cluster_threshold",
              "usage share under which a sprite is reassigned; -1 = 0.2 / n_sprites", "0.05",
              threshold_codec()),
      authors("model.grid_size", "TPS control grid g (g×g points)", "5",
              int_codec(DTI_FIELD(model.grid_size), 2)),
      authors("model.kernel_size", "morphological kernel size (odd)", "5", kernel_codec()),

      authors("training.batch_size", "images per batch", "3", int_codec(DTI_FIELD(batch_size), 1),
              true),
      ignored("training.n_workers", "data loader processes of the reference (ignored)", "4"),
      fixed("training.optimizer.name", "adam", "optimiser: adam (the only one here)"),
      authors("training.optimizer.lr", "learning rate of both groups", "3e-4",
              double_codec(DTI_FIELD(training.lr), 0, true), true),
      authors("training.optimizer.cluster.weight_decay",
              "weight decay of sprites, masks and backgrounds", "1e-7",
              double_codec(DTI_FIELD(training.sprite_weight_decay), 0, false)),
      authors("training.optimizer.transformer.weight_decay", "weight decay of every network", "0",
              double_codec(DTI_FIELD(training.network_weight_decay), 0, false)),
      fixed("training.scheduler.name", "multi_step", "scheduler: multi_step (the only one here)"),
      authors("training.scheduler.gamma", "decay factor, or [sprites, networks] factors",
              "[1, 0.5]", gamma_codec()),
      authors("training.scheduler.milestones",
              "epochs after which the rates are multiplied by gamma", "[1, 1, 2]",
              milestones_codec(DTI_FIELD(training.milestones), 1, false)),
      authors("training.n_epoches", "epochs (the authors' spelling)", "699",
              int_codec(DTI_FIELD(training.n_epochs), 1), true),
      ours("training.max_iterations", "stop after this many iterations (0 = none)", "12345",
           int_codec(DTI_FIELD(training.max_iterations), 0)),
      authors("training.train_stat_interval", "progress report every N iterations", "9",
              int_codec(DTI_FIELD(training.log_interval), 1)),
      ignored("training.val_stat_interval",
              "validation interval of the reference (ignored: evaluation runs after training)",
              "200"),
      authors("training.check_cluster_interval", "empty-sprite reassignment every N iterations",
              "7", int_codec(DTI_FIELD(training.check_cluster_interval), 1)),
      ours("training.checkpoint_interval", "checkpoint every N iterations (0 = only at the end)",
           "0", int_codec(DTI_FIELD(training.checkpoint_interval), 0)),
      ours("training.encoder_update",
           "reference (Adam once per network holding the encoder) or deduplicated", "deduplicated",
           enum_codec(DTI_FIELD(training.encoder_update), kEncoderUpdateNames)),
      ours("training.reassign_moments",
           "alias (a reassigned sprite's predictors share their source's Adam moments, as the "
           "authors' code) or copy (copied once)",
           "copy", enum_codec(DTI_FIELD(training.reassign_moments), kReassignMomentsNames)),
      ours("training.precision",
           "fp32 (the paper's), tf32 (CUDA tensor cores for matmuls and convolutions) or bf16 "
           "(bfloat16 autocast of the training forward pass)",
           "tf32", enum_codec_unless_default(DTI_FIELD(training.precision), kPrecisionNames)),
      ours("training.encoder_norm",
           "separate (LibTorch's BatchNorm, residual sum and ReLU, as the authors) or fused (one "
           "node on the CPU: the same mathematics summed in another order)",
           "fused", enum_codec_unless_default(DTI_FIELD(model.fused_norm), kEncoderNormNames)),
      ignored("training.eval_with_bkg",
              "reference evaluation switch (ignored: dataset.eval decides)", "True"),
      ignored("training.eval_semantic",
              "reference evaluation switch (ignored: dataset.eval decides)", "True"),
      authors("training.seed", "seed of the run", "18446744073709551615", seed_codec(), true),
      ignored("training.visualizer_port", "visdom port of the reference (ignored)", "8889"),
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

const std::vector<std::string>& eval_protocol_names() {
  static const std::vector<std::string> names = {"instance", "clustering", "cosegmentation",
                                                 "none"};
  return names;
}

}  // namespace dti::experiments::config_internal

namespace dti::experiments {

std::string eval_protocol_name(EvalProtocol protocol) {
  return config_internal::eval_protocol_names().at(static_cast<size_t>(protocol));
}

const std::vector<ConfigKey>& config_schema() {
  static const std::vector<ConfigKey> schema = [] {
    std::vector<ConfigKey> out;
    for (const auto& f : config_internal::fields()) out.push_back(f.info);
    return out;
  }();
  return schema;
}

}  // namespace dti::experiments
