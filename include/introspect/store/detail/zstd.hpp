#pragma once
// The optional zstd stage of compressed segments. Compiled in only when the translation unit is
// built with INTROSPECT_HAS_ZSTD (CMake: link introspect::zstd); without it the writer stores
// blocks with the columnar codec alone and readers report a zstd block as unreadable (naming
// the cause), so a build that does not select zstd never needs libzstd.
#include <cstddef>
#include <string>
#include <string_view>

#if defined(INTROSPECT_HAS_ZSTD)
#include <zstd.h>
#endif

namespace introspect::inline v1::store::detail {

#if defined(INTROSPECT_HAS_ZSTD)
inline constexpr bool zstd_built = true;

// `dict`: raw content the frame refers to (format 1.4's column dictionary), or empty.
inline bool zstd_compress(std::string_view in, std::string& out, int level,
                          std::string_view dict = {}) {
  out.resize(ZSTD_compressBound(in.size()));
  struct context {  // one per thread, reused
    ZSTD_CCtx* p = ZSTD_createCCtx();
    ~context() { ZSTD_freeCCtx(p); }
  };
  thread_local context ctx;
  if (!ctx.p) return false;
  const auto n = ZSTD_compress_usingDict(ctx.p, out.data(), out.size(), in.data(), in.size(),
                                         dict.data(), dict.size(), level);
  if (ZSTD_isError(n)) return false;
  out.resize(n);
  return true;
}

// The content size a zstd frame declares, or -1 when it declares none or is not a frame.
inline long long zstd_content_size(std::string_view in) {
  const auto want = ZSTD_getFrameContentSize(in.data(), in.size());
  if (want == ZSTD_CONTENTSIZE_UNKNOWN || want == ZSTD_CONTENTSIZE_ERROR) return -1;
  return static_cast<long long>(want);
}

// Decompresses one frame of exactly `n` bytes of content into `dst` (with dictionary `dict`,
// which may be empty); false on anything else.
inline bool zstd_decompress_into(std::string_view in, char* dst, std::size_t n,
                                 std::string_view dict = {}) {
  struct context {
    ZSTD_DCtx* p = ZSTD_createDCtx();
    ~context() { ZSTD_freeDCtx(p); }
  };
  thread_local context ctx;
  if (!ctx.p) return false;
  const auto got =
      ZSTD_decompress_usingDict(ctx.p, dst, n, in.data(), in.size(), dict.data(), dict.size());
  return !ZSTD_isError(got) && got == n;
}

// Decompresses one zstd frame of at most `max` bytes (the content size must be in the frame,
// which our writer always puts there) into `out`, whose size becomes the content size (its
// capacity is reused, so a steady reader allocates nothing); false on anything else.
inline bool zstd_decompress(std::string_view in, std::string& out, std::size_t max) {
  const auto want = ZSTD_getFrameContentSize(in.data(), in.size());
  if (want == ZSTD_CONTENTSIZE_UNKNOWN || want == ZSTD_CONTENTSIZE_ERROR || want > max)
    return false;
  if (out.capacity() < want) out.reserve(static_cast<std::size_t>(want));
  out.resize(static_cast<std::size_t>(want));
  struct context {  // one per thread, reused: no per-block setup
    ZSTD_DCtx* p = ZSTD_createDCtx();
    ~context() { ZSTD_freeDCtx(p); }
  };
  thread_local context ctx;
  if (!ctx.p) return false;
  const auto n = ZSTD_decompressDCtx(ctx.p, out.data(), out.size(), in.data(), in.size());
  return !ZSTD_isError(n) && n == want;
}
#else
inline constexpr bool zstd_built = false;
inline bool zstd_compress(std::string_view, std::string&, int, std::string_view = {}) {
  return false;
}
inline long long zstd_content_size(std::string_view) { return -1; }
inline bool zstd_decompress_into(std::string_view, char*, std::size_t, std::string_view = {}) {
  return false;
}
inline bool zstd_decompress(std::string_view, std::string&, std::size_t) { return false; }
#endif

}  // namespace introspect::inline v1::store::detail
