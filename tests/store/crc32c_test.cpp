#include <catch2/catch.hpp>
#include <introspect/store/crc32c.hpp>
#include <string>

namespace st = introspect::store;

TEST_CASE("crc32c matches the Castagnoli check value", "[store][crc32c]") {
  std::string s = "123456789";
  CHECK(st::crc32c(s.data(), s.size()) == 0xE3069283u);
  CHECK(st::crc32c(s.data(), 0) == 0u);
}

TEST_CASE("crc32c is incremental and hardware agrees with tables", "[store][crc32c]") {
  std::string s(1000, 'x');
  for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>(i * 7 + 3);
  auto whole = st::crc32c(s.data(), s.size());
  auto part = st::crc32c(s.data() + 13, s.size() - 13, st::crc32c(s.data(), 13));
  CHECK(whole == part);
  auto sw = ~st::detail::crc32c_sw(~0u, reinterpret_cast<const unsigned char*>(s.data()), s.size());
  CHECK(sw == whole);
  s[500] ^= 1;
  CHECK(st::crc32c(s.data(), s.size()) != whole);
}

TEST_CASE("crc32c_copy copies and checksums a head and the bytes in one pass", "[store][crc32c]") {
  std::string s(300, 'x');
  for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>(i * 13 + 5);
  for (std::size_t head = 0; head <= 12; head += 4)
    for (std::size_t n = 0; n <= 40; ++n) {
      std::string dst(n + 2, '#');
      const auto crc = st::crc32c_copy(dst.data() + 1, s.data() + head, n, s.data(), head);
      CHECK(crc == st::crc32c(s.data(), head + n));
      CHECK(dst.substr(1, n) == s.substr(head, n));
      CHECK(dst.front() == '#');  // nothing written outside [dst, dst + n)
      CHECK(dst.back() == '#');
    }
}
