#include "datasets/inspect.h"

#include <algorithm>
#include <array>
#include <set>
#include <sstream>

#include "base/error.h"
#include "datasets/data_origin.h"
#include "datasets/image_io.h"
#include "datasets/progress.h"

namespace dti::datasets {
namespace {

// Problems listed in full before the rest are only counted.
constexpr size_t kMaxProblems = 20;

// False colours for mask values: 0 black, then well-separated hues.
std::array<uint8_t, 3> mask_color(uint8_t value) {
  static const std::array<std::array<uint8_t, 3>, 12> palette = {{{230, 25, 75},
                                                                  {60, 180, 75},
                                                                  {255, 225, 25},
                                                                  {0, 130, 200},
                                                                  {245, 130, 48},
                                                                  {145, 30, 180},
                                                                  {70, 240, 240},
                                                                  {240, 50, 230},
                                                                  {210, 245, 60},
                                                                  {250, 190, 212},
                                                                  {0, 128, 128},
                                                                  {170, 110, 40}}};
  if (value == 0) return {0, 0, 0};
  return palette[(value - 1) % palette.size()];
}

void add_problem(InspectReport& report, const std::string& text) {
  if (report.problems.size() < kMaxProblems) report.problems.push_back(text);
}

}  // namespace

InspectReport inspect_dataset(const DatasetReader& reader, bool show_progress) {
  InspectReport report;
  const DatasetInfo& info = reader.info();
  report.info = info;
  report.path = reader.path();
  if (info.has_labels) report.label_counts.assign(static_cast<size_t>(info.num_classes), 0);
  if (info.has_semantic_masks)
    report.class_pixels.assign(static_cast<size_t>(info.num_classes + 1), 0);
  if (!info.part_names.empty()) report.part_counts.assign(info.part_names.size(), 0);
  std::vector<uint8_t> image(static_cast<size_t>(info.image_numel()));
  std::vector<uint8_t> mask(static_cast<size_t>(info.mask_numel()));
  int64_t bad_values = 0;
  Progress progress("inspect " + reader.path(), info.size, "images", show_progress);
  for (int64_t i = 0; i < info.size; ++i) {
    reader.read_image(i, image.data());
    if (info.has_labels) {
      const int64_t label = reader.labels()[static_cast<size_t>(i)];
      if (label < 0) {
        ++report.unlabelled;
      } else {
        ++report.label_counts[static_cast<size_t>(label)];
      }
    }
    if (!report.part_counts.empty()) ++report.part_counts[reader.parts()[static_cast<size_t>(i)]];
    if (info.has_instance_masks) {
      reader.read_instance_mask(i, mask.data());
      std::set<uint8_t> ids(mask.begin(), mask.end());
      ids.erase(0);
      const uint8_t top = ids.empty() ? 0 : *ids.rbegin();
      if (top > info.max_objects) {
        ++bad_values;
        add_problem(report, detail::concat("image ", i, ": instance id ", int{top},
                                           " > max_objects ", info.max_objects));
      }
      if (report.object_histogram.size() <= ids.size())
        report.object_histogram.resize(ids.size() + 1, 0);
      ++report.object_histogram[ids.size()];
    }
    if (info.has_semantic_masks) {
      reader.read_semantic_mask(i, mask.data());
      for (uint8_t v : mask) {
        if (v > info.num_classes) {
          ++bad_values;
          add_problem(report, detail::concat("image ", i, ": semantic class ", int{v},
                                             " > num_classes ", info.num_classes));
          break;
        }
        ++report.class_pixels[v];
      }
    }
    progress.update(i + 1);
  }
  progress.finish(info.size);
  if (bad_values > static_cast<int64_t>(report.problems.size())) {
    report.problems.push_back(
        detail::concat("... ", bad_values - static_cast<int64_t>(report.problems.size()), " more"));
  }
  return report;
}

std::string format_report(const InspectReport& r) {
  const DatasetInfo& info = r.info;
  std::ostringstream out;
  out << "dataset:        " << info.name << "\n"
      << "images:         " << with_commas(info.size) << " x " << info.height << "x" << info.width
      << "x3 uint8\n"
      << "format version: " << info.format_version << "\n"
      << "num_classes:    " << info.num_classes << "\n"
      << "max_objects:    " << info.max_objects << "\n"
      << "arrays:         images" << (info.has_labels ? ", labels" : "")
      << (info.has_instance_masks ? ", instance_masks" : "")
      << (info.has_semantic_masks ? ", semantic_masks" : "")
      << (info.part_names.empty() ? "" : ", parts") << "\n";
  if (!r.part_counts.empty()) {
    out << "parts:         ";
    for (size_t p = 0; p < r.part_counts.size(); ++p) {
      out << " " << info.part_names[p] << "=" << with_commas(r.part_counts[p]);
    }
    out << "  (clustering evaluation: ";
    if (info.clustering_parts.empty()) {
      out << "all";
    } else {
      for (size_t p = 0; p < info.clustering_parts.size(); ++p) {
        out << (p ? "+" : "") << info.clustering_parts[p];
      }
    }
    out << ")\n";
  }
  if (!r.label_counts.empty()) {
    out << "labels:        ";
    for (size_t c = 0; c < r.label_counts.size(); ++c) {
      out << " " << (info.label_names.empty() ? std::to_string(c) : info.label_names[c]) << "="
          << with_commas(r.label_counts[c]);
    }
    if (r.unlabelled > 0) out << " unlabelled=" << with_commas(r.unlabelled);
    out << "\n";
  }
  if (!r.object_histogram.empty()) {
    out << "objects/image: ";
    for (size_t k = 0; k < r.object_histogram.size(); ++k) {
      if (r.object_histogram[k] > 0) out << " " << k << ":" << with_commas(r.object_histogram[k]);
    }
    out << "\n";
  }
  if (!r.class_pixels.empty()) {
    out << "class pixels:  ";
    for (size_t c = 0; c < r.class_pixels.size(); ++c)
      out << " " << c << ":" << with_commas(r.class_pixels[c]);
    out << "\n";
  }
  out << "provenance:     " << info.provenance << "\n";
  const DataOrigin origin = data_origin(info, r.path);
  if (!origin.note.empty()) out << "origin:         " << origin.note << "\n";
  out << "check:          every image"
      << (info.has_instance_masks || info.has_semantic_masks ? " and mask" : "")
      << " read back and matched its checksum";
  if (r.problems.empty()) {
    out << "; all values within the layout\n";
  } else {
    out << "; PROBLEMS:\n";
    for (const auto& p : r.problems) out << "  " << p << "\n";
  }
  return out.str();
}

void write_grid_png(const DatasetReader& reader, const std::string& png_path, int64_t count) {
  const DatasetInfo& info = reader.info();
  const int64_t n = std::min(count, info.size);
  const int64_t zoom = std::max<int64_t>(1, 64 / std::max(info.height, info.width));
  const int64_t h = info.height * zoom, w = info.width * zoom;
  const int64_t panels = 1 + (info.has_instance_masks ? 1 : 0) + (info.has_semantic_masks ? 1 : 0);
  constexpr int64_t gap = 2;
  const int64_t per_row = panels == 1 ? 8 : 4;
  const int64_t cell_w = panels * w + (panels - 1) * gap;
  const int64_t rows = (n + per_row - 1) / per_row;
  Image grid;
  grid.channels = 3;
  grid.width = per_row * cell_w + (per_row + 1) * gap * 2;
  grid.height = rows * h + (rows + 1) * gap * 2;
  grid.pixels.assign(static_cast<size_t>(grid.width * grid.height * 3), 128);
  const auto paint = [&](int64_t top, int64_t left, const Sample& s, int panel) {
    for (int64_t y = 0; y < h; ++y) {
      for (int64_t x = 0; x < w; ++x) {
        const int64_t p = (y / zoom) * info.width + x / zoom;
        std::array<uint8_t, 3> rgb{};
        if (panel == 0) {
          for (size_t c = 0; c < 3; ++c) rgb[c] = s.image[static_cast<size_t>(3 * p) + c];
        } else {
          const auto& mask =
              panel == 1 && info.has_instance_masks ? s.instance_mask : s.semantic_mask;
          rgb = mask_color(mask[static_cast<size_t>(p)]);
        }
        uint8_t* out = grid.pixels.data() + ((top + y) * grid.width + left + x) * 3;
        std::copy(rgb.begin(), rgb.end(), out);
      }
    }
  };
  for (int64_t i = 0; i < n; ++i) {
    const Sample s = reader.read(i);
    const int64_t top = 2 * gap + (i / per_row) * (h + 2 * gap);
    const int64_t left = 2 * gap + (i % per_row) * (cell_w + 2 * gap);
    for (int panel = 0; panel < panels; ++panel) paint(top, left + panel * (w + gap), s, panel);
  }
  write_png(png_path, grid);
}

}  // namespace dti::datasets
