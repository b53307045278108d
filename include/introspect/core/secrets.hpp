#pragma once
//! What looks like a credential: one list for the Kubernetes source's snapshot redaction and the
//! support bundle's (docs/security.md), so the two can never disagree on what stays home.
#include <array>
#include <cctype>
#include <string>
#include <string_view>

namespace introspect::inline v1 {

//! Whether a name (an environment variable, a field) suggests its value is a credential.
inline bool secret_like_name(std::string_view name) noexcept {
  static constexpr std::array<std::string_view, 12> words = {
      "pass", "pwd",    "secret",  "token",   "key",  "credential",
      "auth", "cookie", "session", "private", "cert", "dsn"};
  std::string lower;
  lower.reserve(name.size());
  for (unsigned char c : name) lower.push_back(static_cast<char>(std::tolower(c)));
  for (auto w : words)
    if (lower.find(w) != std::string::npos) return true;
  return false;
}

//! Whether a value is a URL with user information ("postgres://user:pw@db/x").
inline bool url_with_credentials(std::string_view v) noexcept {
  const auto scheme = v.find("://");
  if (scheme == std::string_view::npos) return false;
  const auto rest = v.substr(scheme + 3);
  const auto at = rest.find('@');
  return at != std::string_view::npos && rest.substr(0, at).find('/') == std::string_view::npos;
}

}  // namespace introspect::inline v1
