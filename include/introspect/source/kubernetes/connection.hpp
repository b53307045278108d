#pragma once
//! Where the kube-apiserver is and how to authenticate to it: the result of reading an
//! in-cluster service account or a kubeconfig file.
#include <filesystem>
#include <optional>
#include <string>
#include <utility>

namespace introspect::inline v1::kubernetes {

//! How to reach and authenticate to one API server.
struct connection {
  std::string server;                // "https://host:port" (or "http://" for tests)
  std::string token;                 // bearer token, when no token_file
  std::filesystem::path token_file;  // re-read before each request: projected tokens rotate
  std::filesystem::path ca_file;     // PEM CA bundle that signs the server's certificate
  std::string ca_pem;                // or the same in memory (kubeconfig's *-data)
  std::string client_cert_pem;       // client certificate authentication (PEM), optional
  std::string client_key_pem;        // its private key (PEM, unencrypted)
  bool insecure_skip_tls_verify = false;
  std::string namespace_name;  // the pod's or the context's namespace; may be empty
};

//! A loaded value, or the reason there is none (a cause fit for a failure record).
template <class T>
struct loaded {
  std::optional<T> value;
  std::string error;

  static loaded ok(T v) { return {std::move(v), {}}; }
  static loaded failed(std::string why) { return {std::nullopt, std::move(why)}; }
  explicit operator bool() const noexcept { return value.has_value(); }
  T& operator*() { return *value; }
  const T& operator*() const { return *value; }
  T* operator->() { return &*value; }
  const T* operator->() const { return &*value; }
};

}  // namespace introspect::inline v1::kubernetes
