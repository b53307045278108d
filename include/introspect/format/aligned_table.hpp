#pragma once
//! Aligned text tables for people, and how they look on a terminal: colour by severity, rows cut
//! to the terminal's width, a short local time. None of it when the output is not a terminal
//! (the CLI decides: query/output/format.hpp), so files and pipes get plain, complete text.
#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <introspect/format/terminal_text.hpp>

namespace introspect::inline v1 {

//! How a table is drawn: header line, colour, width limit.
struct table_style {
  bool headers = true;    //!< print the header line (`--no-headers` turns it off)
  bool color = false;     //!< ANSI colour per row (only on a terminal)
  std::size_t width = 0;  //!< cut rows to this many columns; 0: never cut
};

//! An ANSI colour for a row, chosen by the caller (by severity, say).
enum class row_color { none, dim, yellow, red, bold_red };

namespace detail {

// Buffered writes to a FILE*: one fwrite per 64 KiB instead of one per record.
class out_buffer {
 public:
  explicit out_buffer(std::FILE* f) : f_(f) {}
  ~out_buffer() { flush(); }
  out_buffer(const out_buffer&) = delete;
  out_buffer& operator=(const out_buffer&) = delete;
  std::string& str() noexcept { return buf_; }
  void maybe_flush() {
    if (buf_.size() >= (64u << 10)) flush();
  }
  void flush() {
    if (!buf_.empty()) std::fwrite(buf_.data(), 1, buf_.size(), f_);
    buf_.clear();
  }
  std::FILE* file() const noexcept { return f_; }

 private:
  std::FILE* f_;
  std::string buf_;
};

// Text for a terminal: no byte can move the cursor or start an escape (C0, DEL, C1, bad UTF-8).
inline void append_printable(std::string& out, std::string_view s) { append_terminal_safe(out, s); }

// Display width of UTF-8 text: code points, which is right for the names records carry.
inline std::size_t display_width(std::string_view s) noexcept {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// The longest prefix of `s` (whole UTF-8 sequences) that is at most `cols` wide.
inline std::size_t prefix_of_width(std::string_view s, std::size_t cols) noexcept {
  std::size_t w = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;
    if (w == cols) return i;
    ++w;
  }
  return s.size();
}

inline constexpr std::string_view color_code(row_color c) noexcept {
  switch (c) {
    case row_color::dim:
      return "\033[2m";
    case row_color::yellow:
      return "\033[33m";
    case row_color::red:
      return "\033[31m";
    case row_color::bold_red:
      return "\033[1;31m";
    default:
      return {};
  }
}

// Columns padded to the widest cell of the first rows seen (later rows may stick out rather
// than holding the whole output in memory).
class aligned_table {
 public:
  aligned_table(std::FILE* f, std::vector<std::string> header, std::vector<bool> right = {},
                table_style style = {})
      : out_(f), header_(std::move(header)), right_(std::move(right)), style_(style) {
    right_.resize(header_.size(), false);
  }
  void row(std::vector<std::string> cells, row_color color = row_color::none) {
    if (fixed_) {
      print(cells, color);
      return;
    }
    rows_.push_back({std::move(cells), color});
    if (rows_.size() >= 1000) fix();
  }
  void finish() {
    if (!fixed_) fix();
    out_.flush();
  }
  std::size_t rows_seen() const noexcept { return rows_.size(); }

 private:
  struct pending {
    std::vector<std::string> cells;
    row_color color;
  };
  void fix() {
    fixed_ = true;
    width_.assign(header_.size(), 0);
    if (style_.headers)
      for (std::size_t i = 0; i < header_.size(); ++i) width_[i] = display_width(header_[i]);
    for (const auto& r : rows_)
      for (std::size_t i = 0; i < r.cells.size() && i < width_.size(); ++i)
        width_[i] = std::max(width_[i], display_width(r.cells[i]));
    if (style_.headers) print(header_, row_color::none);
    for (const auto& r : rows_) print(r.cells, r.color);
    rows_.clear();
  }
  void print(const std::vector<std::string>& cells, row_color color) {
    line_.clear();
    for (std::size_t i = 0; i < cells.size(); ++i) {
      const bool last = i + 1 == cells.size();
      const std::size_t w = i < width_.size() ? width_[i] : 0;
      const std::size_t pad = w > display_width(cells[i]) ? w - display_width(cells[i]) : 0;
      if (i < right_.size() && right_[i]) line_.append(pad, ' ');
      line_.append(cells[i]);
      if (!(i < right_.size() && right_[i]) && !last) line_.append(pad, ' ');
      if (!last) line_.append("  ");
    }
    while (!line_.empty() && line_.back() == ' ') line_.pop_back();
    if (style_.width > 0 && display_width(line_) > style_.width)
      line_.resize(prefix_of_width(line_, style_.width - 1)), line_.append("\u2026");
    auto& s = out_.str();
    const auto code = style_.color ? color_code(color) : std::string_view{};
    s.append(code);
    s.append(line_);
    if (!code.empty()) s.append("\033[0m");
    s.push_back('\n');
    out_.maybe_flush();
  }

  out_buffer out_;
  std::vector<std::string> header_;
  std::vector<bool> right_;
  table_style style_;
  std::vector<std::size_t> width_;
  std::vector<pending> rows_;
  std::string line_;
  bool fixed_ = false;
};

}  // namespace detail
}  // namespace introspect::inline v1
