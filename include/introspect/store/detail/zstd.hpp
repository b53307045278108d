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

inline bool zstd_compress(std::string_view in, std::string& out, int level) {
  out.resize(ZSTD_compressBound(in.size()));
  const auto n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), level);
  if (ZSTD_isError(n)) return false;
  out.resize(n);
  return true;
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
inline bool zstd_compress(std::string_view, std::string&, int) { return false; }
inline bool zstd_decompress(std::string_view, std::string&, std::size_t) { return false; }
#endif

}  // namespace introspect::inline v1::store::detail
