#pragma once
// Exceptions (only at open / stream creation, never on the append path) and the counters that
// replace them on the append path.
#include <sys/types.h>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace introspect::inline v1::store {

//! Any store failure reported by exception: opening, creating a stream, metadata I/O.
class store_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

//! A scope, stream or metadata name was rejected (path traversal, control characters, length).
class name_error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

//! Another writer holds the scope's lock file; `holder_pid()` names it (0 when unknown).
class lock_error : public store_error {
 public:
  lock_error(const std::string& what, pid_t holder) : store_error(what), holder_(holder) {}
  pid_t holder_pid() const noexcept { return holder_; }

 private:
  pid_t holder_;
};

//! One damaged byte range found in a file: where and why.
struct damage {
  std::filesystem::path path;
  std::uint64_t file_offset = 0;  //!< byte position in the file (not a record offset)
  std::uint64_t bytes = 0;        //!< length of the skipped range
  std::string reason;
};

//! A file or directory that could not be read (open, read or listing failed): readers skip it,
//! report it here and go on; `verify` counts it as damage. Never taken for "empty".
struct read_error {
  std::filesystem::path path;
  int err = 0;         //!< the errno
  std::string action;  //!< "open", "read" or "list"
  //! "cannot open PATH: Permission denied" (the path is raw: escape it for a terminal).
  std::string message() const {
    return "cannot " + action + " " + path.string() + ": " + std::strerror(err);
  }
};

//! A file or directory the store does not own; reported, then ignored.
struct foreign_file {
  std::filesystem::path path;
  std::string reason;
};

//! What reopening a stream discarded: a torn tail cut off the last segment after a crash.
struct recovery_event {
  std::filesystem::path path;
  std::uint64_t file_offset = 0;  //!< the file was truncated to this size
  std::uint64_t discarded_bytes = 0;
  std::uint64_t discarded_frames = 0;  //!< partial frames in the cut range (usually 1)
};

//! Append-path counters: errors are counted by cause instead of being thrown.
struct write_stats {
  std::uint64_t records = 0;           //!< records accepted into the buffer
  std::uint64_t bytes = 0;             //!< framed bytes accepted
  std::uint64_t writes = 0;            //!< write(2) batches that succeeded
  std::uint64_t syncs = 0;             //!< fdatasync calls that succeeded
  std::uint64_t rolls = 0;             //!< segments sealed
  std::uint64_t compacted = 0;         //!< sealed segments rewritten compressed (format 1.2)
  std::uint64_t segments_removed = 0;  //!< by retention or truncation
  std::uint64_t enospc = 0;            //!< failed writes/syncs because the disk was full
  std::uint64_t io_error = 0;          //!< any other failed write/sync/create
  std::uint64_t dropped_records = 0;   //!< records that could not be stored (see enospc/io_error)
  std::uint64_t dropped_bytes = 0;
  std::string last_error;  //!< human-readable, for the record layer to report when it can
};

}  // namespace introspect::inline v1::store
