// Converters for DeepMind's multi_object_datasets TFRecord files (Tetrominoes, Multi-dSprites
// colored_on_grayscale, CLEVR with masks). Feature names, shapes and types follow DeepMind's
// readers (tetrominoes.py, multi_dsprites.py, clevr_with_masks.py); every uint8 tensor is a
// BytesList of one-byte strings, entity 0 is the background.

#include <algorithm>
#include <functional>

#include "base/error.h"
#include "datasets/catalogue.h"
#include "datasets/checksum.h"
#include "datasets/convert.h"
#include "datasets/dataset_file.h"
#include "datasets/image_io.h"
#include "datasets/progress.h"
#include "datasets/provenance.h"
#include "datasets/tf_example.h"
#include "datasets/tfrecord.h"

namespace dti::datasets {
namespace {

// How one DeepMind dataset stores a scene.
struct RecordLayout {
  const char* converter;  // converter (and default dataset) name
  int64_t height, width;  // stored image size
  int64_t entities;       // masks per record, background included
  bool entity_last;       // mask stored [H,W,E] (Multi-dSprites) instead of [E,H,W]
};

constexpr RecordLayout kTetrominoes{"tetrominoes", 35, 35, 4, false};
constexpr RecordLayout kMultiDsprites{"multi_dsprites", 64, 64, 6, true};
constexpr RecordLayout kClevr{"clevr6", 240, 320, 11, false};

// CLEVR6 preprocessing (Slot Attention / IODINE convention, followed by DTI-Sprites).
constexpr int64_t kClevrCropTop = 29, kClevrCropLeft = 64, kClevrCropSize = 192;
constexpr int64_t kClevrSize = 128;
constexpr int64_t kClevrMaxObjects = 6;

// A decoded record: image, per-pixel entity index (argmax over the entity masks, first maximum,
// as numpy's argmax), visibility and the per-entity semantic class (0 = none).
struct Scene {
  Image image;
  Image entity;               // 1 channel: entity index per pixel
  std::vector<bool> visible;  // [E]
  std::vector<int> semantic;  // [E]
};

Scene decode_scene(const RecordLayout& layout, const ExampleView& example,
                   const std::function<int(const ExampleView&, int64_t)>& class_of) {
  const int64_t h = layout.height, w = layout.width, e = layout.entities, n = h * w;
  Scene scene;
  scene.image.height = h;
  scene.image.width = w;
  scene.image.channels = 3;
  scene.image.pixels = example.bytes("image", static_cast<size_t>(n * 3));
  const std::vector<uint8_t> masks = example.bytes("mask", static_cast<size_t>(n * e));
  scene.entity.height = h;
  scene.entity.width = w;
  scene.entity.channels = 1;
  scene.entity.pixels.assign(static_cast<size_t>(n), 0);
  for (int64_t p = 0; p < n; ++p) {
    int best = 0;
    uint8_t best_value = 0;
    for (int64_t k = 0; k < e; ++k) {
      const uint8_t v = masks[static_cast<size_t>(layout.entity_last ? p * e + k : k * n + p)];
      if (v > best_value) {
        best_value = v;
        best = static_cast<int>(k);
      }
    }
    scene.entity.pixels[static_cast<size_t>(p)] = static_cast<uint8_t>(best);
  }
  const std::vector<float> visibility = example.floats("visibility", static_cast<size_t>(e));
  scene.visible.resize(static_cast<size_t>(e));
  scene.semantic.assign(static_cast<size_t>(e), 0);
  for (int64_t k = 0; k < e; ++k) {
    scene.visible[static_cast<size_t>(k)] = visibility[static_cast<size_t>(k)] > 0.5f;
    if (k > 0 && scene.visible[static_cast<size_t>(k)]) {
      scene.semantic[static_cast<size_t>(k)] = class_of(example, k);
    }
  }
  return scene;
}

// Sample from an entity map: visible object entities get instance ids 1, 2, ... in entity order;
// pixels of invisible entities (never seen in DeepMind's files) become background and are counted.
Sample scene_to_sample(const Scene& scene, const Image& image, const Image& entity,
                       int64_t& orphan_pixels) {
  std::vector<uint8_t> id(scene.visible.size(), 0);
  uint8_t next = 1;
  for (size_t k = 1; k < scene.visible.size(); ++k) {
    if (scene.visible[k]) id[k] = next++;
  }
  Sample s;
  s.image = image.pixels;
  s.instance_mask.resize(entity.pixels.size());
  s.semantic_mask.resize(entity.pixels.size());
  for (size_t p = 0; p < entity.pixels.size(); ++p) {
    const uint8_t k = entity.pixels[p];
    if (k > 0 && !scene.visible[k]) ++orphan_pixels;
    s.instance_mask[p] = id[k];
    s.semantic_mask[p] = id[k] ? static_cast<uint8_t>(scene.semantic[k]) : 0;
  }
  return s;
}

std::string record_where(const TfRecordReader& reader) {
  return detail::concat(reader.path(), ": record ", reader.record_index() - 1);
}

// Shared loop: reads up to `records` records, converts the kept ones, writes the file.
ConvertSummary convert_records(
    const RecordLayout& layout, const ConvertOptions& options, int64_t records, DatasetInfo info,
    const std::function<bool(const ExampleView&, Sample&, int64_t&)>& convert_one) {
  options.validate(layout.converter);
  DTI_CHECK(options.inputs.size() == 1, layout.converter,
            ": expected one --input .tfrecords file, got ", options.inputs.size());
  const std::string& input = options.inputs.front();
  TfRecordReader reader(input);
  DatasetWriter writer(options.output, info);
  ConvertSummary summary;
  int64_t orphan_pixels = 0;
  Progress progress(std::string("convert ") + layout.converter, records, "records",
                    options.show_progress);
  std::string data;
  while (summary.read < records && reader.next(data)) {
    ++summary.read;
    const std::string where = record_where(reader);
    ExampleView example(data, where);
    Sample sample;
    bool keep = false;
    try {
      keep = convert_one(example, sample, orphan_pixels);
    } catch (const Error& e) {
      const std::string message = e.what();
      if (message.rfind(where, 0) == 0) throw;
      throw Error(where + ": " + message);
    }
    if (keep) {
      writer.append(sample);
      ++summary.written;
    } else {
      ++summary.skipped;
    }
    progress.update(summary.read);
  }
  progress.finish(summary.read);
  if (summary.read < records) {
    summary.notes.push_back(detail::concat(input, " holds only ", with_commas(summary.read),
                                           " records (", with_commas(records), " requested)"));
  }
  if (orphan_pixels > 0) {
    summary.notes.push_back(detail::concat(orphan_pixels,
                                           " pixels belonged to entities marked invisible and "
                                           "were stored as background"));
  }
  DTI_CHECK(summary.written > 0, input, ": no record was kept; nothing written");
  // Hashing a multi-gigabyte download takes a while: show it, but not for small files.
  Progress hashing("checksum " + input, reader.file_size() >> 20, "MB",
                   options.show_progress && reader.file_size() >= (int64_t{256} << 20));
  const InputDigest digest =
      digest_input(input, [&](int64_t bytes) { hashing.update(bytes >> 20); });
  hashing.finish(digest.bytes >> 20);
  writer.set_provenance(converter_provenance(
      layout.converter, {digest},
      detail::concat("\"records_read\":", summary.read, ",\"records_kept\":", summary.written)));
  writer.finish();
  return summary;
}

DatasetInfo multi_object_info(const std::string& name, int64_t size, int64_t classes,
                              int64_t max_objects) {
  DatasetInfo info;
  info.name = name;
  info.height = size;
  info.width = size;
  info.has_instance_masks = true;
  info.has_semantic_masks = true;
  info.num_classes = classes;
  info.max_objects = max_objects;
  return info;
}

// Semantic class from a float `shape` factor, checked to lie in 1..classes.
std::function<int(const ExampleView&, int64_t)> shape_factor_class(int64_t entities, int classes) {
  return [entities, classes](const ExampleView& example, int64_t k) {
    const float shape =
        example.floats("shape", static_cast<size_t>(entities))[static_cast<size_t>(k)];
    const int value = static_cast<int>(shape);
    DTI_CHECK(static_cast<float>(value) == shape && value >= 1 && value <= classes, "entity ", k,
              " is visible but its shape factor is ", shape, " (expected 1..", classes, ")");
    return value;
  };
}

}  // namespace

ConvertSummary convert_tetrominoes(const ConvertOptions& options) {
  const auto& entry = dataset_entry("tetrominoes");
  const int64_t records = options.limit > 0 ? options.limit : entry.default_images;
  const auto class_of = shape_factor_class(kTetrominoes.entities, 19);
  return convert_records(kTetrominoes, options, records,
                         multi_object_info(entry.name, entry.image_size, 19, 3),
                         [&](const ExampleView& example, Sample& sample, int64_t& orphans) {
                           const Scene scene = decode_scene(kTetrominoes, example, class_of);
                           sample = scene_to_sample(scene, scene.image, scene.entity, orphans);
                           return true;
                         });
}

ConvertSummary convert_multi_dsprites(const ConvertOptions& options) {
  const auto& entry = dataset_entry("multi_dsprites");
  const int64_t records = options.limit > 0 ? options.limit : entry.default_images;
  const auto class_of = shape_factor_class(kMultiDsprites.entities, 3);
  return convert_records(kMultiDsprites, options, records,
                         multi_object_info(entry.name, entry.image_size, 3, 5),
                         [&](const ExampleView& example, Sample& sample, int64_t& orphans) {
                           const Scene scene = decode_scene(kMultiDsprites, example, class_of);
                           sample = scene_to_sample(scene, scene.image, scene.entity, orphans);
                           return true;
                         });
}

ConvertSummary convert_clevr6(const ConvertOptions& options) {
  const int64_t records = options.limit > 0 ? options.limit : kDefaultClevrRecords;
  const int64_t e = kClevr.entities;
  const auto class_of = [e](const ExampleView& example, int64_t k) {
    const auto shape = example.bytes("shape", static_cast<size_t>(e))[static_cast<size_t>(k)];
    const auto material = example.bytes("material", static_cast<size_t>(e))[static_cast<size_t>(k)];
    DTI_CHECK(shape >= 1 && shape <= 3 && material >= 1 && material <= 2, "entity ", k,
              " is visible but has shape code ", int{shape}, " and material code ", int{material},
              " (expected 1..3 and 1..2)");
    return 2 * (shape - 1) + material;
  };
  return convert_records(
      kClevr, options, records, multi_object_info("clevr6", kClevrSize, 6, kClevrMaxObjects),
      [&](const ExampleView& example, Sample& sample, int64_t& orphans) {
        // Count objects before decoding the 2.5 MB of masks of a scene that will be dropped.
        const std::vector<float> visibility = example.floats("visibility", static_cast<size_t>(e));
        const auto objects = std::count_if(visibility.begin() + 1, visibility.end(),
                                           [](float v) { return v > 0.5f; });
        if (objects > kClevrMaxObjects) return false;
        const Scene scene = decode_scene(kClevr, example, class_of);
        const Image image = resize_bilinear(
            crop(scene.image, kClevrCropTop, kClevrCropLeft, kClevrCropSize, kClevrCropSize),
            kClevrSize, kClevrSize);
        const Image entity = resize_nearest(
            crop(scene.entity, kClevrCropTop, kClevrCropLeft, kClevrCropSize, kClevrCropSize),
            kClevrSize, kClevrSize);
        sample = scene_to_sample(scene, image, entity, orphans);
        return true;
      });
}

}  // namespace dti::datasets
