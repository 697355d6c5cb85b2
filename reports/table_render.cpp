#include "reports/table_render.h"

#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

#include "reports/svg.h"

namespace dti::reports {
namespace {

// Markdown and LaTeX share one layout: lines of typed entries plus notes; only the spelling of
// each entry differs between the two formats.
struct Entry {
  enum class Kind { dash, value, range, difference, seeds, missing };
  Kind kind = Kind::dash;
  double value = 0.0;
  std::optional<double> std_dev;
  double low = 0.0;
  bool marked = false;
  int64_t used = 0;
  int64_t dropped = 0;
  std::vector<size_t> notes;  // 1-based numbers of the notes this entry refers to
};

struct Line {
  std::string label;
  bool rule_before = false;  // a horizontal rule separates it from the line above
  std::vector<Entry> entries;
};

struct Layout {
  std::vector<Line> lines;
  std::vector<std::string> general;   // unnumbered notes
  std::vector<std::string> numbered;  // notes referred to as [1], [2], ...
  size_t number(const std::string& text) {
    for (size_t i = 0; i < numbered.size(); ++i)
      if (numbered[i] == text) return i + 1;
    numbered.push_back(text);
    return numbered.size();
  }
};

Entry paper_entry(const std::optional<PaperNumber>& paper) {
  Entry entry;
  if (!paper) return entry;
  entry.kind = paper->range_low ? Entry::Kind::range : Entry::Kind::value;
  entry.value = paper->value;
  entry.std_dev = paper->std_dev;
  entry.low = paper->range_low.value_or(0.0);
  entry.marked = paper->outlier_removed;
  return entry;
}

std::string number_text(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.4g", value);
  return buffer;
}

// Adds the four lines of one measured row: paper, ours, difference, seeds.
void add_measured(Layout& layout, const MeasuredRow& row, bool& any_marked) {
  Line paper{row.label + " (paper)", true, {}};
  Line ours{row.label + " (ours)", false, {}};
  Line difference{"Δ ours − paper", false, {}};
  Line seeds{"seeds used (dropped)", false, {}};
  for (const MeasuredCell& cell : row.cells) {
    paper.entries.push_back(paper_entry(cell.paper));
    const CellResult& result = cell.ours;
    const std::string where = cell.spec.ref.experiment + "/" + cell.spec.ref.cell;
    Entry value, diff, used;
    if (!result.has_value()) {
      value.kind = Entry::Kind::missing;
      value.notes.push_back(layout.number(result.missing_reason));
    } else {
      value.kind = Entry::Kind::value;
      value.value = *result.mean;
      value.std_dev = result.std_dev;
      value.marked = !result.dropped.empty();
      any_marked = any_marked || value.marked;
      if (!result.data_note.empty())
        value.notes.push_back(layout.number(where + ": " + result.data_note));
      used.kind = Entry::Kind::seeds;
      used.used = static_cast<int64_t>(result.seeds_used.size());
      used.dropped = static_cast<int64_t>(result.dropped.size());
      for (const DroppedSeed& d : result.dropped)
        used.notes.push_back(layout.number(where + ": dropped run " + std::to_string(d.run_id) +
                                           " (seed " + std::to_string(d.seed) + ", final loss " +
                                           number_text(d.final_loss) + ", robust z " +
                                           number_text(d.robust_z) + ")"));
      if (!result.not_counted.empty())
        used.notes.push_back(layout.number(where + ": not counted: " + result.not_counted));
      if (!result.superseded.empty())
        used.notes.push_back(layout.number(
            where + ": superseded by a later run of the same seed: " + result.superseded));
    }
    if (auto d = cell.difference()) {
      diff.kind = Entry::Kind::difference;
      diff.value = *d;
    }
    ours.entries.push_back(value);
    difference.entries.push_back(diff);
    seeds.entries.push_back(used);
  }
  for (Line* line : {&paper, &ours, &difference, &seeds}) layout.lines.push_back(*line);
}

Layout make_layout(const PaperTable& table) {
  Layout layout;
  for (const PeerRow& peer : table.peers) {
    Line line{peer.method + " (paper)", false, {}};
    for (const auto& paper : peer.cells) line.entries.push_back(paper_entry(paper));
    layout.lines.push_back(line);
  }
  bool any_marked = false;
  for (const PeerRow& peer : table.peers)
    for (const auto& paper : peer.cells)
      any_marked = any_marked || (paper && paper->outlier_removed);
  for (const MeasuredRow& row : table.rows) add_measured(layout, row, any_marked);
  if (!layout.lines.empty()) layout.lines.front().rule_before = false;

  std::set<std::string> rules;
  for (const MeasuredRow& row : table.rows)
    for (const MeasuredCell& cell : row.cells)
      if (!cell.ours.rule.empty()) rules.insert(cell.ours.rule);
  if (any_marked)
    layout.general.push_back(
        "(M): a run was left out as an outlier (the paper's mark; ours follow the rule below).");
  for (const std::string& rule : rules) layout.general.push_back("Outlier rule: " + rule + ".");
  for (const std::string& note : table.notes) layout.general.push_back(note);
  for (const AblationComparison& c : table.comparisons)
    layout.general.push_back(c.label + ", " + c.column + ": " + c.difference.describe() + ".");
  return layout;
}

std::string column_header(const TableColumn& column) {
  return column.group.empty() ? column.label : column.group + " " + column.label;
}

// ---- Markdown ----

std::string markdown_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string markdown_refs(const std::vector<size_t>& notes) {
  std::string out;
  for (size_t n : notes) out += " [" + std::to_string(n) + "]";
  return out;
}

std::string markdown_entry(const Entry& e) {
  switch (e.kind) {
    case Entry::Kind::dash:
      return "–";
    case Entry::Kind::value:
      return format_fixed1(e.value) + (e.std_dev ? " ± " + format_fixed1(*e.std_dev) : "") +
             (e.marked ? " (M)" : "") + markdown_refs(e.notes);
    case Entry::Kind::range:
      return format_fixed1(e.low) + "–" + format_fixed1(e.value);
    case Entry::Kind::difference:
      return format_signed1(e.value);
    case Entry::Kind::seeds:
      return std::to_string(e.used) +
             (e.dropped ? " (" + std::to_string(e.dropped) + " dropped)" : "") +
             markdown_refs(e.notes);
    case Entry::Kind::missing:
      return "no data" + markdown_refs(e.notes);
  }
  return "";
}

// ---- LaTeX ----

// Escapes LaTeX specials; `code` spans become \texttt{code}.
std::string latex_escape(const std::string& text) {
  std::string out;
  bool code = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    switch (c) {
      case '`':
        out += code ? "}" : "\\texttt{";
        code = !code;
        break;
      case '\\':
        out += "\\textbackslash{}";
        break;
      case '&':
      case '%':
      case '$':
      case '#':
      case '_':
      case '{':
      case '}':
        out += '\\';
        out += c;
        break;
      case '~':
        out += "\\textasciitilde{}";
        break;
      case '^':
        out += "\\textasciicircum{}";
        break;
      default:
        out += c;
    }
  }
  if (code) out += "}";
  // Unicode the captions use, spelled for pdflatex.
  for (const auto& [from, to] :
       std::vector<std::pair<std::string, std::string>>{{"±", "$\\pm$"},
                                                        {"Δ", "$\\Delta$"},
                                                        {"−", "$-$"},
                                                        {"–", "--"},
                                                        {"λ", "$\\lambda$"},
                                                        {"×", "$\\times$"}}) {
    for (size_t at = out.find(from); at != std::string::npos; at = out.find(from, at + to.size()))
      out.replace(at, from.size(), to);
  }
  return out;
}

std::string latex_refs(const std::vector<size_t>& notes) {
  if (notes.empty()) return "";
  std::string out = "$^{";
  for (size_t i = 0; i < notes.size(); ++i) out += (i ? "," : "") + std::to_string(notes[i]);
  return out + "}$";
}

std::string latex_entry(const Entry& e) {
  switch (e.kind) {
    case Entry::Kind::dash:
      return "--";
    case Entry::Kind::value:
      return "$" + format_fixed1(e.value) +
             (e.std_dev ? " \\pm " + format_fixed1(*e.std_dev) : "") + "$" +
             (e.marked ? " (M)" : "") + latex_refs(e.notes);
    case Entry::Kind::range:
      return format_fixed1(e.low) + "--" + format_fixed1(e.value);
    case Entry::Kind::difference:
      return "$" + format_signed1(e.value) + "$";
    case Entry::Kind::seeds:
      return std::to_string(e.used) + (e.dropped ? " (" + std::to_string(e.dropped) + ")" : "") +
             latex_refs(e.notes);
    case Entry::Kind::missing:
      return "no data" + latex_refs(e.notes);
  }
  return "";
}

// ---- HTML ----

// Escaped text whose `code` spans become <code>code</code>.
std::string html_text(const std::string& text) {
  std::string out;
  bool code = false;
  for (char c : text) {
    if (c == '`') {
      out += code ? "</code>" : "<code>";
      code = !code;
    } else {
      out += xml_escape(std::string(1, c));
    }
  }
  return code ? out + "</code>" : out;
}

}  // namespace

std::string format_fixed1(double value) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.1f", value);
  std::string text = buffer;
  return text == "-0.0" ? "0.0" : text;
}

std::string format_signed1(double value) {
  const std::string text = format_fixed1(value);
  return text[0] == '-' ? text : "+" + text;
}

std::string render_markdown(const PaperTable& table) {
  const Layout layout = make_layout(table);
  std::ostringstream out;
  out << "**" << markdown_escape(table.title) << "**\n\n|  |";
  for (const TableColumn& column : table.columns)
    out << " " << markdown_escape(column_header(column)) << " |";
  out << "\n|:--|";
  for (size_t i = 0; i < table.columns.size(); ++i) out << "--:|";
  out << "\n";
  for (const Line& line : layout.lines) {
    out << "| " << markdown_escape(line.label) << " |";
    for (const Entry& entry : line.entries)
      out << " " << markdown_escape(markdown_entry(entry)) << " |";
    out << "\n";
  }
  if (!layout.general.empty() || !layout.numbered.empty()) out << "\n";
  for (const std::string& note : layout.general) out << "- " << note << "\n";
  for (size_t i = 0; i < layout.numbered.size(); ++i)
    out << "- [" << i + 1 << "] " << layout.numbered[i] << "\n";
  return out.str();
}

std::string render_latex(const PaperTable& table) {
  const Layout layout = make_layout(table);
  std::ostringstream out;
  out << "% " << table.id << ", written by dtisprites; needs \\usepackage{booktabs}\n"
      << "\\begin{table}[t]\n\\centering\n\\caption{" << latex_escape(table.title) << "}\n"
      << "\\label{tab:" << table.id << "}\n\\begin{tabular}{l"
      << std::string(table.columns.size(), 'c') << "}\n\\toprule\n";
  // Group headers spanning consecutive columns of the same dataset, with \cmidrule under each.
  bool grouped = false;
  for (const TableColumn& column : table.columns) grouped = grouped || !column.group.empty();
  if (grouped) {
    std::ostringstream rules;
    for (size_t c = 0; c < table.columns.size();) {
      size_t end = c;
      while (end + 1 < table.columns.size() &&
             table.columns[end + 1].group == table.columns[c].group)
        ++end;
      const size_t span = end - c + 1;
      out << " & ";
      if (span == 1)
        out << latex_escape(table.columns[c].group);
      else
        out << "\\multicolumn{" << span << "}{c}{" << latex_escape(table.columns[c].group) << "}";
      rules << (c ? " " : "") << "\\cmidrule(lr){" << c + 2 << "-" << end + 2 << "}";
      c = end + 1;
    }
    out << " \\\\\n" << rules.str() << "\n";
  }
  out << "Method";
  for (const TableColumn& column : table.columns) out << " & " << latex_escape(column.label);
  out << " \\\\\n\\midrule\n";
  for (const Line& line : layout.lines) {
    if (line.rule_before && &line != &layout.lines.front()) out << "\\midrule\n";
    out << latex_escape(line.label);
    for (const Entry& entry : line.entries) out << " & " << latex_entry(entry);
    out << " \\\\\n";
  }
  out << "\\bottomrule\n\\end{tabular}\n";
  if (!layout.general.empty() || !layout.numbered.empty()) {
    out << "\\par\\smallskip\\footnotesize\n";
    for (const std::string& note : layout.general) out << latex_escape(note) << "\\\\\n";
    for (size_t i = 0; i < layout.numbered.size(); ++i)
      out << "$^{" << i + 1 << "}$ " << latex_escape(layout.numbered[i]) << "\\\\\n";
  }
  out << "\\end{table}\n";
  return out.str();
}

std::string render_html(const PaperTable& table) {
  const Layout layout = make_layout(table);
  std::ostringstream out;
  out << "<table class=\"paper\">\n<caption>" << xml_escape(table.title) << "</caption>\n<thead>\n";
  bool grouped = false;
  for (const TableColumn& column : table.columns) grouped = grouped || !column.group.empty();
  if (grouped) {
    out << "<tr><th></th>";
    for (size_t c = 0; c < table.columns.size();) {
      size_t end = c;
      while (end + 1 < table.columns.size() &&
             table.columns[end + 1].group == table.columns[c].group)
        ++end;
      out << "<th colspan=\"" << end - c + 1 << "\">" << xml_escape(table.columns[c].group)
          << "</th>";
      c = end + 1;
    }
    out << "</tr>\n";
  }
  out << "<tr><th>Method</th>";
  for (const TableColumn& column : table.columns)
    out << "<th>" << xml_escape(column.label) << "</th>";
  out << "</tr>\n</thead>\n<tbody>\n";
  for (const Line& line : layout.lines) {
    out << "<tr" << (line.rule_before ? " class=\"group\"" : "") << "><th>"
        << xml_escape(line.label) << "</th>";
    for (const Entry& entry : line.entries)
      out << "<td>" << xml_escape(markdown_entry(entry)) << "</td>";
    out << "</tr>\n";
  }
  out << "</tbody>\n</table>\n<ul class=\"notes\">\n";
  for (const std::string& note : layout.general) out << "<li>" << html_text(note) << "</li>\n";
  for (size_t i = 0; i < layout.numbered.size(); ++i)
    out << "<li>[" << i + 1 << "] " << html_text(layout.numbered[i]) << "</li>\n";
  out << "</ul>\n";
  return out.str();
}

}  // namespace dti::reports
