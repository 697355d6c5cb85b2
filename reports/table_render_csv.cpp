// render_csv() of table_render.h: one line per (row, column) cell with every figure in its own
// field, for spreadsheets and scripts.
#include <cmath>
#include <cstdio>
#include <sstream>

#include "reports/table_render.h"  // IWYU pragma: associated

namespace dti::reports {
namespace {

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string csv_number(const std::optional<double>& value) {
  if (!value) return "";
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.10g", *value);
  return buffer;
}

template <typename T>
std::string joined(const std::vector<T>& values, const char* separator = ";") {
  std::ostringstream out;
  for (size_t i = 0; i < values.size(); ++i) out << (i ? separator : "") << values[i];
  return out.str();
}

void csv_paper_fields(std::vector<std::string>& fields, const std::optional<PaperNumber>& paper) {
  fields.push_back(paper ? csv_number(paper->value) : "");
  fields.push_back(paper ? csv_number(paper->std_dev) : "");
  fields.push_back(paper ? csv_number(paper->range_low) : "");
  fields.push_back(paper ? (paper->outlier_removed ? "1" : "0") : "");
}

}  // namespace

std::string render_csv(const PaperTable& table) {
  std::ostringstream out;
  out << "table,row,kind,dataset,metric,experiment,cell,stored_metric,ours_mean,ours_std,n_used,"
         "seeds_used,seeds_dropped,dropped_run_ids,not_counted,paper_value,paper_std,"
         "paper_range_low,paper_marked_M,difference,status,reason,rule,data_note\n";
  const auto write = [&](const std::vector<std::string>& fields) {
    for (size_t i = 0; i < fields.size(); ++i) out << (i ? "," : "") << csv_field(fields[i]);
    out << "\n";
  };
  for (const PeerRow& peer : table.peers) {
    for (size_t c = 0; c < table.columns.size(); ++c) {
      if (!peer.cells[c]) continue;
      std::vector<std::string> f = {table.id,
                                    peer.method,
                                    "peer",
                                    table.columns[c].group,
                                    table.columns[c].label,
                                    "",
                                    "",
                                    "",
                                    "",
                                    "",
                                    "",
                                    "",
                                    "",
                                    "",
                                    ""};
      csv_paper_fields(f, peer.cells[c]);
      for (const char* rest : {"", "paper only", "", "", ""}) f.push_back(rest);
      write(f);
    }
  }
  for (const MeasuredRow& row : table.rows) {
    for (const MeasuredCell& cell : row.cells) {
      const CellResult& ours = cell.ours;
      std::vector<int64_t> dropped_seeds, dropped_ids;
      for (const DroppedSeed& d : ours.dropped) {
        dropped_seeds.push_back(d.seed);
        dropped_ids.push_back(d.run_id);
      }
      std::vector<std::string> f = {table.id,
                                    row.label,
                                    "ours",
                                    cell.spec.dataset,
                                    cell.spec.metric,
                                    cell.spec.ref.experiment,
                                    cell.spec.ref.cell,
                                    cell.spec.ref.metric,
                                    csv_number(ours.mean),
                                    csv_number(ours.std_dev),
                                    ours.has_value() ? std::to_string(ours.seeds_used.size()) : "",
                                    joined(ours.seeds_used),
                                    joined(dropped_seeds),
                                    joined(dropped_ids),
                                    ours.not_counted};
      csv_paper_fields(f, cell.paper);
      f.push_back(csv_number(cell.difference()));
      f.push_back(ours.has_value() ? "ok" : "missing");
      f.push_back(ours.missing_reason);
      f.push_back(ours.rule);
      f.push_back(ours.data_note);
      write(f);
    }
  }
  return out.str();
}

}  // namespace dti::reports
