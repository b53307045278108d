#pragma once
//! The demo's own pseudo-random generator: xoshiro256** seeded with splitmix64.
//!
//! std::*_distribution are implementation-defined and differ between library versions, so the
//! demo draws every number itself: the same seed gives the same records everywhere.
#include <cmath>
#include <cstdint>

namespace demo {

//! splitmix64: expands one 64-bit seed into well-mixed state words.
constexpr std::uint64_t splitmix64(std::uint64_t& x) noexcept {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

//! xoshiro256** with the handful of distributions the simulation needs.
class prng {
 public:
  explicit prng(std::uint64_t seed) noexcept {
    for (auto& w : s_) w = splitmix64(seed);
  }

  std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  //! Uniform in [0, 1): the top 53 bits, so every value is exactly representable.
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) noexcept { return lo + (hi - lo) * uniform(); }

  //! Uniform integer in [lo, hi]; the modulo bias is below 2^-50 for the ranges used here.
  std::int64_t between(std::int64_t lo, std::int64_t hi) noexcept {
    const auto span = static_cast<std::uint64_t>(hi - lo) + 1;
    return lo + static_cast<std::int64_t>(next() % span);
  }

  bool chance(double p) noexcept { return uniform() < p; }

  //! Standard normal by Marsaglia's polar method (no trigonometry, whose last bits vary).
  double normal() noexcept {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u, v, s;
    do {
      u = uniform(-1.0, 1.0);
      v = uniform(-1.0, 1.0);
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double m = std::sqrt(-2.0 * std::log(s) / s);
    spare_ = v * m;
    has_spare_ = true;
    return u * m;
  }

  //! Log-normal with the given median: latencies have a long right tail, never below zero.
  double lognormal(double median, double sigma) noexcept {
    return median * std::exp(sigma * normal());
  }

  //! Exponential inter-arrival time with the given mean (a Poisson process of faults).
  double exponential(double mean) noexcept { return -mean * std::log1p(-uniform()); }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept {
    return (x << k) | (x >> (64 - k));
  }

  std::uint64_t s_[4]{};
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace demo
