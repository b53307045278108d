#pragma once
//! The store's public API for tools that copy or rewrite a store frame by frame (a support
//! bundle, its window cut and its in-place redaction): the layout listing, the segment scanner,
//! the frame and segment-header codec and read-only file access. The product's writer and the
//! readers do not need it; they use store.hpp and reader.hpp.
#include <cstddef>
#include <filesystem>

#include <introspect/store/compressed_segment.hpp>
#include <introspect/store/detail/io.hpp>
#include <introspect/store/frame.hpp>
#include <introspect/store/layout.hpp>
#include <introspect/store/names.hpp>
#include <introspect/store/segment.hpp>

namespace introspect::inline v1::store {

// Layout: what a store root holds (docs/store.md, "Layout").
using detail::list_meta;      //!< names of a scope's metadata blobs
using detail::list_scopes;    //!< the scopes of a store root
using detail::list_segments;  //!< the segment files of a stream, in order
using detail::list_streams;   //!< the streams of a scope
using detail::meta_dir;       //!< a scope's metadata directory name
using detail::named_dir;      //!< a named directory found by a listing
using detail::segment_file;   //!< a segment file found by a listing

// Frames and segments (docs/format.md, normative).
using detail::encode_frame;           //!< writes one frame (header + payload) into a buffer
using detail::encode_segment_header;  //!< writes a segment header into a buffer
using detail::frame_header_size;      //!< bytes of a frame header
using detail::scanned_frame;          //!< one frame as the scanner found it (offset, header, payload)
using detail::segment_header_size;    //!< bytes of a segment header
using detail::segment_scanner;        //!< walks a segment's frames, resynchronising past damage

// Files: read-only access that never follows a symlink planted in the store.
using detail::no_follow;   //!< open(2) flags: O_NOFOLLOW | O_CLOEXEC
using detail::pread_full;  //!< pread(2) until `n` bytes or end of file
using detail::unique_fd;   //!< a file descriptor closed on destruction

//! Size of the raw segment a segment file stands for: its own size, or for a compressed sealed
//! segment (format 1.2) the size of the frames it decodes to, which is what the scanner's file
//! positions and file_size() count (0 when the file cannot be examined).
inline std::uint64_t raw_segment_size(const std::filesystem::path& p) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) return 0;
  return detail::logical_segment_size(p, static_cast<std::uint64_t>(st.st_size));
}

//! Opens `p` with open(2) through the store's system-call shim (so fault-injection tests reach
//! it); returns the descriptor or -1 with errno set.
inline int open_file(const std::filesystem::path& p, int flags) noexcept {
  return detail::sys::open(p.c_str(), flags);
}

}  // namespace introspect::inline v1::store
