#pragma once
// String helpers every library uses for its messages: lists of valid names ("unknown X 'y';
// valid: a, b, c"), nearest-name suggestions for typos, and splitting. LibTorch-free.

#include <string>
#include <vector>

namespace dti {

/// `items` joined with `separator`: join({"a","b"}) == "a, b".
std::string join(const std::vector<std::string>& items, const std::string& separator = ", ");

/// `text` cut at every `separator`; a trailing separator gives a trailing empty part, an empty
/// text gives no part. With `trim`, spaces, tabs and carriage returns around each part go.
std::vector<std::string> split(const std::string& text, char separator, bool trim = false);

/// `text` in lower case (ASCII letters only; other bytes unchanged).
std::string to_lower(std::string text);

/// `text` without leading and trailing spaces, tabs and carriage returns.
std::string trim(const std::string& text);

/// Optimal string alignment distance: Levenshtein plus adjacent transpositions (the usual typos).
size_t edit_distance(const std::string& a, const std::string& b);

/// The candidate within typo distance of `name` (at most max(2, |name|/3) edits), closest first;
/// empty when none is that close.
std::string closest_name(const std::string& name, const std::vector<std::string>& candidates);

/// "unknown <what> '<name>'; did you mean '<closest>'? valid: a, b, c" (the hint only when a
/// valid name is within typo distance). The one wording of every name lookup's error.
std::string unknown_name_message(const std::string& what, const std::string& name,
                                 const std::vector<std::string>& valid);

/// Throws dti::Error with unknown_name_message() unless `name` is one of `valid`.
void check_one_of(const std::string& what, const std::string& name,
                  const std::vector<std::string>& valid);

}  // namespace dti
