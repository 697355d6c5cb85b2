#include "datasets/data_origin.h"

#include "datasets/catalogue.h"

namespace dti::datasets {
namespace {

// provenance.cpp writes `{"kind":"generator",...}` or `{"kind":"converter",...}`.
bool provenance_kind_is(const std::string& provenance, const std::string& kind) {
  return provenance.find("\"kind\":\"" + kind + "\"") != std::string::npos;
}

}  // namespace

std::string generated_data_note(const std::string& name, const std::string& path) {
  const DatasetEntry* entry = find_dataset(name);
  if (entry == nullptr) return "";
  const std::string title = entry->title.empty() ? entry->name : entry->title;
  const std::string command = convert_command(entry->name, path);
  if (command.empty()) {
    return "generated data, not the paper's: the paper's " + title +
           " came from DeepMind's records, and this build has no converter for them";
  }
  return "generated data, not the paper's; convert the real file with: `" + command + "`" +
         (entry->convert_note.empty() ? "" : " (" + entry->convert_note + ")");
}

DataOrigin data_origin(const DatasetInfo& info, const std::string& path) {
  DataOrigin origin;
  if (provenance_kind_is(info.provenance, "generator")) {
    origin.kind = "generated";
    origin.note = generated_data_note(info.name, path);
  } else if (provenance_kind_is(info.provenance, "converter")) {
    origin.kind = "converted";
  }
  return origin;
}

}  // namespace dti::datasets
