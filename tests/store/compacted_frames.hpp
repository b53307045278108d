#pragma once
// Frames laid out as a raw segment, compacted, then read back: the round trip through
// compaction and the reader that the column codecs' tests check.
#include <fcntl.h>

#include <catch2/catch.hpp>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <introspect/store/compaction.hpp>

namespace store_test {

//! Writes a segment file (first offset 0) holding `frames` — whole frames as the writer lays
//! them out — after its header; returns the file's bytes.
inline std::string write_raw_segment(const std::filesystem::path& log,
                                     const std::vector<std::byte>& frames) {
  namespace sd = introspect::store::detail;
  std::string raw(sd::segment_header_size, '\0');
  sd::encode_segment_header(reinterpret_cast<std::byte*>(raw.data()), 0);
  raw.append(reinterpret_cast<const char*>(frames.data()), frames.size());
  std::ofstream(log, std::ios::binary | std::ios::trunc) << raw;
  return raw;
}

//! The codec of each block of a compressed segment; fails the test if it is not one.
inline std::vector<int> block_codecs(const std::filesystem::path& log) {
  namespace sd = introspect::store::detail;
  std::string why;
  int read_err = 0;
  sd::unique_fd fd(::open(log.c_str(), O_RDONLY));
  const auto ix =
      sd::read_compressed_index(fd.get(), std::filesystem::file_size(log), 0, why, read_err);
  REQUIRE(ix);
  std::vector<int> codecs;
  for (const auto& b : ix->blocks) codecs.push_back(int(b.codec));
  return codecs;
}

//! The frames of a segment (raw or compressed) as the reader's scanner gives them back.
inline std::string scanned_frames(const std::filesystem::path& log) {
  namespace sd = introspect::store::detail;
  sd::segment_scanner sc;
  REQUIRE(sc.open(log, 0));
  sd::scanned_frame f;
  introspect::store::damage dm;
  std::string back;
  while (sc.next(f, dm) == sd::segment_scanner::step::frame)
    back.append(reinterpret_cast<const char*>(f.payload - sd::frame_header_size), f.size());
  return back;
}

}  // namespace store_test
