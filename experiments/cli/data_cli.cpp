#include "experiments/cli/data_cli.h"

#include <boost/program_options.hpp>

#include <chrono>
#include <csignal>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/strings.h"
#include "datasets/catalogue.h"
#include "datasets/dataset_file.h"
#include "datasets/export_authors.h"
#include "datasets/inspect.h"
#include "datasets/progress.h"
#include "experiments/cli/cli_support.h"

namespace dti::experiments {
namespace {

using namespace datasets;  // NOLINT: this file is the datasets library's command line

namespace po = boost::program_options;

// A command-line mistake: exit status 2, as in every runexp subcommand.
using cli::UsageError;

std::string usage_text() {
  return "usage: runexp data <command> ...\n"
         "  generate " +
         join(generator_names(), "|") +
         " --n N --seed S --out FILE\n"
         "  convert " +
         join(converter_names(), "|") +
         "\n"
         "          --input PATH... --out FILE [--limit N]\n"
         "  inspect FILE [--png GRID.png]\n"
         "  export --format authors-png --input FILE --out DIR [--limit N] [--name FOLDER]\n"
         "Run 'runexp data <command> --help' for the options of one command.\n";
}

std::string choices(const std::vector<std::string>& names) { return join(names); }

extern "C" void on_signal(int) { request_interrupt(); }

// Routes SIGINT/SIGTERM to request_interrupt() while long work runs, so writers unwind and delete
// their temporary files.
class InterruptGuard {
 public:
  InterruptGuard() {
    clear_interrupt();
    previous_int_ = std::signal(SIGINT, on_signal);
    previous_term_ = std::signal(SIGTERM, on_signal);
  }
  ~InterruptGuard() {
    std::signal(SIGINT, previous_int_);
    std::signal(SIGTERM, previous_term_);
  }

 private:
  void (*previous_int_)(int);
  void (*previous_term_)(int);
};

// Parses `args` against `options` with `positional` names; --help prints and returns false.
bool parse(const std::vector<std::string>& args, const po::options_description& options,
           const po::positional_options_description& positional, po::variables_map& vm,
           const std::string& usage) {
  try {
    po::store(po::command_line_parser(args).options(options).positional(positional).run(), vm);
  } catch (const po::error& e) {
    throw UsageError(std::string(e.what()) + "\n" + usage);
  }
  if (vm.count("help")) {
    std::cout << usage << options;
    return false;
  }
  po::notify(vm);
  return true;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void report_written(const std::string& path, double seconds) {
  const DatasetReader reader(path);
  const DatasetInfo& info = reader.info();
  std::ostringstream line;
  line.precision(1);
  line << std::fixed << "wrote " << path << ": " << with_commas(info.size) << " images of "
       << info.name << " (" << info.height << "x" << info.width << ") in " << seconds << " s\n";
  std::cout << line.str();
}

int run_generate(const std::vector<std::string>& args) {
  const std::string usage =
      "usage: runexp data generate " + join(generator_names(), "|") +
      " --n N --seed S --out FILE\nImage i depends only on (seed, i); the file is written under "
      "a temporary name and renamed when complete.\n";
  po::options_description options("options");
  int64_t n = 0;
  uint64_t seed = 0;
  std::string kind, out;
  const std::string kind_help = "dataset: " + choices(generator_names());
  options.add_options()("help,h", "show this help")("kind", po::value(&kind), kind_help.c_str())(
      "n", po::value(&n)->default_value(0), "number of images (0 = the paper's, 60,000)")(
      "seed", po::value(&seed)->default_value(0), "random seed")(
      "out", po::value(&out), "dataset file to write (.h5)")("quiet,q", "no progress output");
  po::positional_options_description positional;
  positional.add("kind", 1);
  po::variables_map vm;
  if (!parse(args, options, positional, vm, usage)) return 0;
  const auto generators = generator_names();
  if (kind.empty()) throw UsageError("generate: which dataset? valid: " + choices(generators));
  const DatasetEntry* entry = find_dataset(kind);
  if (entry == nullptr || !entry->generated()) {
    throw UsageError("generate: unknown dataset '" + kind + "'; valid: " + choices(generators));
  }
  if (out.empty()) throw UsageError("generate " + kind + ": --out FILE is required");
  if (n == 0) n = entry->default_images;
  if (n < 1) throw UsageError("generate " + kind + ": --n must be >= 1, got " + std::to_string(n));
  const bool progress = vm.count("quiet") == 0;
  const auto start = std::chrono::steady_clock::now();
  InterruptGuard guard;
  entry->generate(n, seed, progress, out);
  report_written(out, seconds_since(start));
  return 0;
}

int run_convert(const std::vector<std::string>& args) {
  const std::string usage = "usage: runexp data convert " + join(converter_names(), "|") +
                            " --input PATH... --out FILE [--limit N]\n" + converter_usage();
  po::options_description options("options");
  std::string kind, out, labels;
  std::vector<std::string> inputs;
  int64_t limit = 0, size = 0;
  options.add_options()("help,h", "show this help")("kind", po::value(&kind), "converter")(
      "input,i", po::value(&inputs)->multitoken(), "input files or folders")(
      "out,o", po::value(&out), "dataset file to write (.h5)")(
      "limit", po::value(&limit)->default_value(0),
      "TFRecords: records to read (0 = default); others: most images (0 = all)")(
      "labels", po::value(&labels), "folder: CSV of 'relative/path,label' rows")(
      "size", po::value(&size)->default_value(0), "folder: resize images to size x size")(
      "quiet,q", "no progress output");
  po::positional_options_description positional;
  positional.add("kind", 1);
  po::variables_map vm;
  if (!parse(args, options, positional, vm, usage)) return 0;
  const auto names = converter_names();
  if (kind.empty()) throw UsageError("convert: which converter? valid: " + choices(names));
  if (std::find(names.begin(), names.end(), kind) == names.end()) {
    throw UsageError("convert: unknown converter '" + kind + "'; valid: " + choices(names));
  }
  if (inputs.empty()) throw UsageError("convert " + kind + ": --input PATH is required");
  if (out.empty()) throw UsageError("convert " + kind + ": --out FILE is required");
  if (limit < 0) throw UsageError("convert " + kind + ": --limit must be >= 0");
  if (size < 0) throw UsageError("convert " + kind + ": --size must be >= 0");
  if (kind != "folder" && (!labels.empty() || size != 0)) {
    throw UsageError("convert " + kind + ": --labels and --size apply to 'folder' only");
  }
  ConvertOptions o;
  o.inputs = inputs;
  o.output = out;
  o.limit = limit;
  o.labels_csv = labels;
  o.size = size;
  o.show_progress = vm.count("quiet") == 0;
  const auto start = std::chrono::steady_clock::now();
  InterruptGuard guard;
  const ConvertSummary summary = convert(kind, o);
  for (const auto& note : summary.notes) std::cerr << "note: " << note << "\n";
  report_written(out, seconds_since(start));
  if (summary.skipped > 0) {
    std::cout << "left out " << with_commas(summary.skipped) << " of " << with_commas(summary.read)
              << " records\n";
  }
  return 0;
}

int run_inspect(const std::vector<std::string>& args) {
  const std::string usage =
      "usage: runexp data inspect FILE [--png GRID.png]\nPrints the layout, counts and provenance "
      "of a dataset file after reading every image back.\n";
  po::options_description options("options");
  std::string file, png;
  int64_t count = 16;
  options.add_options()("help,h", "show this help")("file", po::value(&file), "dataset file")(
      "png", po::value(&png), "write a grid of the first images (and masks) to this PNG")(
      "count", po::value(&count)->default_value(16), "images in the PNG grid")(
      "quiet,q", "no progress output");
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  if (!parse(args, options, positional, vm, usage)) return 0;
  if (file.empty()) throw UsageError("inspect: FILE is required\n" + usage);
  if (count < 1) throw UsageError("inspect: --count must be >= 1");
  InterruptGuard guard;
  const DatasetReader reader(file);
  const InspectReport report = inspect_dataset(reader, vm.count("quiet") == 0);
  std::cout << format_report(report);
  if (!png.empty()) {
    write_grid_png(reader, png, count);
    std::cout << "wrote " << png << "\n";
  }
  return report.problems.empty() ? 0 : 1;
}

// `data export --format authors-png`: the folders the authors' multi-object loader reads
// (datasets/export_authors.h), for training their code on our data.
int run_export(const std::vector<std::string>& args) {
  const std::string usage =
      "usage: runexp data export --format authors-png --input FILE --out DIR [--limit N] "
      "[--name FOLDER]\nWrites DIR/FOLDER/{images,masks,sem_masks}/<i>.png for images 0..N-1 "
      "(lossless; labels as 8-bit values), the layout of the authors' src/dataset/"
      "multi_object.py.\n";
  po::options_description options("options");
  std::string format, input, out, name;
  int64_t limit = 0;
  options.add_options()("help,h", "show this help")("format", po::value(&format),
                                                    "output layout: authors-png")(
      "input,i", po::value(&input), "dataset file (.h5) with instance and semantic masks")(
      "out,o", po::value(&out), "folder that receives FOLDER/ (the authors' datasets folder)")(
      "name", po::value(&name),
      "FOLDER (default: the authors' dataset name, e.g. tetrominoes, dsprites_gray)")(
      "limit", po::value(&limit)->default_value(0), "first N images only (0 = all)")(
      "quiet,q", "no progress output");
  po::variables_map vm;
  if (!parse(args, options, po::positional_options_description(), vm, usage)) return 0;
  if (format != "authors-png") {
    throw UsageError("export: --format must be authors-png, got '" + format + "'\n" + usage);
  }
  if (input.empty()) throw UsageError("export: --input FILE is required\n" + usage);
  if (out.empty()) throw UsageError("export: --out DIR is required\n" + usage);
  if (limit < 0) throw UsageError("export: --limit must be >= 0, got " + std::to_string(limit));
  AuthorsExportOptions o;
  o.input = input;
  o.out_root = out;
  o.folder = name;
  o.limit = limit;
  o.show_progress = vm.count("quiet") == 0;
  const auto start = std::chrono::steady_clock::now();
  InterruptGuard guard;
  const AuthorsExportSummary summary = export_authors_png(o);
  std::ostringstream line;
  line.precision(1);
  line << std::fixed << "wrote " << summary.folder << ": " << with_commas(summary.images)
       << " images with masks and sem_masks in " << seconds_since(start) << " s\n";
  std::cout << line.str();
  return 0;
}

}  // namespace

int data_main(int argc, char** argv) {
  std::vector<std::string> args(argv + std::min(argc, 1), argv + argc);
  try {
    if (args.empty()) throw UsageError("missing command\n" + usage_text());
    const std::string command = args.front();
    args.erase(args.begin());
    if (command == "--help" || command == "-h" || command == "help") {
      std::cout << usage_text();
      return 0;
    }
    if (command == "generate") return run_generate(args);
    if (command == "convert") return run_convert(args);
    if (command == "inspect") return run_inspect(args);
    if (command == "export") return run_export(args);
    throw UsageError("unknown command '" + command +
                     "'; valid: generate, convert, inspect, export\n" + usage_text());
  } catch (const UsageError& e) {
    std::cerr << "runexp data: " << e.what() << (std::string(e.what()).back() == '\n' ? "" : "\n");
    return cli::kUsage;
  } catch (const Error& e) {
    std::cerr << "runexp data: " << e.what() << "\n";
    return interrupt_requested() ? 130 : 1;
  } catch (const std::exception& e) {
    std::cerr << "runexp data: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace dti::experiments
