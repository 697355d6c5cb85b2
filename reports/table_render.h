#pragma once
// Renders a PaperTable as Markdown, LaTeX (booktabs), CSV or an HTML fragment.
//
// Markdown and LaTeX keep the paper's layout (methods as rows, datasets × metrics as columns) and
// show, for every measured row: the paper's value, ours (mean ± std over the kept seeds, "(M)" when
// the outlier rule dropped a run, as the paper marks it), the difference ours − paper in
// percentage points, and the seeds used and dropped. Numbered notes under the table say why a cell
// has no data, which runs were dropped or not counted, the outlier rule, and the ablation
// comparisons. CSV is tidy instead: one line per cell with every field in its own column, for
// spreadsheets and plotting.

#include <string>

#include "reports/paper_tables.h"

namespace dti::reports {

/// GitHub-flavoured Markdown: a bold caption, the table and its notes.
std::string render_markdown(const PaperTable& table);
/// A LaTeX `table` environment using booktabs rules (\usepackage{booktabs}), notes underneath.
std::string render_latex(const PaperTable& table);
/// RFC 4180 CSV with a header line: one line per peer value and per measured cell.
std::string render_csv(const PaperTable& table);
/// An HTML fragment (<table> with caption, grouped headers and notes) for the static report.
std::string render_html(const PaperTable& table);

/// One decimal as the paper prints, e.g. "99.6" (never "-0.0").
std::string format_fixed1(double value);
/// One decimal with an explicit sign, e.g. "+0.3" or "-1.2".
std::string format_signed1(double value);

}  // namespace dti::reports
