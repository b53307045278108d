// A fake kube-apiserver (and HTTPS JSON server) for tests that must run the server in ANOTHER
// process: a library under test must not rely on the test process's signal disposition, and a
// server thread in the test process would hide exactly the SIGPIPE that kills a product.
//
//   fake_apiserver --cert-out FILE [--key-out FILE] [--fixtures DIR] [--stream-ms N] [--plain]
//                  [--script-ms N] [--due-ms N] [--queues] [--port N]
//                  [--cert-in FILE --key-in FILE]
//
// It makes a self-signed certificate for 127.0.0.1 (written to --cert-out so the client can
// trust it), listens on 127.0.0.1 at a random port, prints the port on stdout, and serves each
// connection in a forked child (which dies with the server: PR_SET_PDEATHSIG). A GET without
// `watch=` answers a list: DIR/<last path segment>.json when it exists, else an empty list. A
// watch (or etcd's /v3/watch) answers 200 and then a BOOKMARK every --stream-ms (0: holds the
// stream idle) until the client goes away. Scripted watches: when DIR/<segment>.watch.jsonl
// exists, a watch first sends each of its lines (one watch event each) whose object's
// resourceVersion is above the watch's `resourceVersion`, --script-ms apart (the first one
// --script-ms after the watch opens), as a real API server sends what changed after that
// version; a client that resumes from the last version it saw gets nothing twice. With
// --due-ms, line i of each script instead "happens" (i + 1) x N ms after the server started: it
// is sent at that time to a watch open then, or as soon as one opens later (what a real API
// server does with a change made while no watch was open), and DIR/sent.log gets
// "<segment> <resourceVersion> <due time, ns since the epoch>" for latency measurements. Every
// request line is appended to DIR/requests.log when
// --fixtures is given, with its Authorization header, so tests can see what a client sent.
//
// --queues (with --fixtures DIR): every answer comes from queues the test fills while the
// server runs (tests/kubernetes/source_test.cpp), so one test can script statuses, 410s,
// resume points and held streams. For a request of PATH (without the query), Q =
// DIR/q/<PATH with '/' as '_'>:
// - a list answers Q/list.<n> (the lowest n; it is removed unless it is the last, which
//   repeats): its first line is the HTTP status, the rest the body; none: 404.
// - a watch takes Q/watch.<n> (the lowest n, removed): first line "STATUS EXPECT_RV HOLD
//   [DELAY_MS]" (EXPECT_RV "-" = any; the body is sent DELAY_MS after the headers); a request whose resourceVersion is not EXPECT_RV is answered 400
//   and a line is appended to DIR/mismatches.log; else the body (the watch events) is sent,
//   and with HOLD 1 the stream then stays open, idle, for DIR/idle_hold_ms milliseconds
//   (default 300) or until the client leaves. No script: an idle stream held as long.
// - DIR/token, when present and not empty: a request without "Authorization: Bearer <it>" is
//   answered 401.
// --port N listens on that port (a restarted server; prints 0 if it is taken); --cert-in and
// --key-in reuse a certificate and key written earlier with --cert-out / --key-out.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace {

struct config {
  std::string cert_out, key_out, fixtures;
  int stream_ms = 0;
  int script_ms = 200;
  int due_ms = 0;
  long long started_ns = 0;
  bool plain = false;
  bool queues = false;
  int port = 0;
  std::string cert_in, key_in;
};

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "fake_apiserver: %s\n", what);
  ERR_print_errors_fp(stderr);
  std::exit(2);
}

// A P-256 key and a certificate for IP 127.0.0.1 signed by itself.
void make_identity(EVP_PKEY*& key, X509*& cert) {
  key = EVP_EC_gen("P-256");
  if (!key) die("cannot make a key");
  cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), static_cast<long>(::getpid()));
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  // A subject of its own: OpenSSL finds issuers by subject name, so two servers' certificates
  // with the same subject would shadow each other in a trust store.
  const std::string org = "fake_apiserver " + std::to_string(::getpid());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(org.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1"},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
    if (!ext) die("cannot make an extension");
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert, key, EVP_sha256()) == 0) die("cannot sign");
}

void write_pem(const std::string& path, X509* cert, EVP_PKEY* key) {
  FILE* f = std::fopen((path + ".tmp").c_str(), "w");
  if (!f) die("cannot write the certificate");
  if (cert) PEM_write_X509(f, cert);
  if (key) PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  std::rename((path + ".tmp").c_str(), path.c_str());  // whole, so a reader never sees half
}

// One connection: plain or TLS, the same calls.
struct conn {
  int fd = -1;
  SSL* ssl = nullptr;
  int read(char* p, int n) { return ssl ? SSL_read(ssl, p, n) : int(::read(fd, p, n)); }
  bool write(const std::string& s) {
    std::size_t off = 0;
    while (off < s.size()) {
      const int n = ssl ? SSL_write(ssl, s.data() + off, int(s.size() - off))
                        : int(::write(fd, s.data() + off, s.size() - off));
      if (n <= 0) return false;
      off += std::size_t(n);
    }
    return true;
  }
};

std::string segment(const std::string& path) {
  std::string seg = path.substr(0, path.find('?'));
  return seg.substr(seg.rfind('/') + 1);
}

// The first "resourceVersion":"N" of a JSON line, as a number (0 when there is none).
unsigned long long first_rv(const std::string& text) {
  const std::string key = "\"resourceVersion\":\"";
  const auto at = text.find(key);
  return at == std::string::npos ? 0 : std::strtoull(text.c_str() + at + key.size(), nullptr, 10);
}

long long now_ns() {
  timespec t{};
  ::clock_gettime(CLOCK_REALTIME, &t);
  return static_cast<long long>(t.tv_sec) * 1000000000LL + t.tv_nsec;
}

// The scripted events of a watch of `path` after the version it asks for, with their index.
std::vector<std::pair<int, std::string>> scripted(const config& cfg, const std::string& path) {
  std::vector<std::pair<int, std::string>> out;
  if (cfg.fixtures.empty()) return out;
  std::ifstream in(cfg.fixtures + "/" + segment(path) + ".watch.jsonl");
  const auto q = path.find("resourceVersion=");
  const auto from = q == std::string::npos ? 0 : std::strtoull(path.c_str() + q + 16, nullptr, 10);
  int i = 0;
  for (std::string line; std::getline(in, line); ++i)
    if (!line.empty() && first_rv(line) > from) out.emplace_back(i, line + "\n");
  return out;
}

bool write_chunk(conn& c, const std::string& data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return c.write(size + data + "\r\n");
}

std::string read_fixture(const config& cfg, const std::string& path) {
  const std::string seg = segment(path);
  if (!cfg.fixtures.empty()) {
    std::ifstream in(cfg.fixtures + "/" + seg + ".json", std::ios::binary);
    if (in) {
      std::ostringstream s;
      s << in.rdbuf();
      return s.str();
    }
  }
  return R"({"kind":"List","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[]})";
}

// --- --queues: answers scripted by the test, one file each ---

std::string read_all(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The queued files "<prefix>.<n>" of `dir`, lowest n first.
std::vector<std::string> queued(const std::string& dir, const std::string& prefix) {
  std::vector<std::pair<unsigned long, std::string>> found;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name.size() > prefix.size() + 1 && name.starts_with(prefix + "."))
        found.emplace_back(std::strtoul(name.c_str() + prefix.size() + 1, nullptr, 10),
                           dir + "/" + name);
    }
    ::closedir(d);
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (auto& f : found) out.push_back(std::move(f.second));
  return out;
}

// Connections are served by concurrent processes: a queue is taken from under a file lock.
struct queue_lock {
  int fd;
  explicit queue_lock(const std::string& dir)
      : fd(::open((dir + "/q.lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600)) {
    if (fd >= 0) ::flock(fd, LOCK_EX);
  }
  ~queue_lock() {
    if (fd >= 0) ::close(fd);
  }
};

std::string status_json(int code, const std::string& reason, const std::string& msg) {
  return R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":")" +
         msg + R"(","reason":")" + reason + R"(","code":)" + std::to_string(code) + "}";
}

const char* reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 410:
      return "Gone";
    default:
      return "Error";
  }
}

bool answer(conn& c, int status, const std::string& body) {
  return c.write("HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) +
                 "\r\nContent-Type: application/json\r\nContent-Length: " +
                 std::to_string(body.size()) + "\r\n\r\n" + body);
}

// The query parameter `key` of `path` ("" when absent).
std::string param(const std::string& path, const std::string& key) {
  const auto q = path.find('?');
  if (q == std::string::npos) return {};
  std::istringstream in(path.substr(q + 1));
  for (std::string kv; std::getline(in, kv, '&');)
    if (kv.starts_with(key + "=")) return kv.substr(key.size() + 1);
  return {};
}

// Holds a stream open and idle for `ms`, or until the client leaves; false when it left.
bool hold_idle(conn& c, int ms) {
  const long long until = now_ns() + static_cast<long long>(ms) * 1000000LL;
  char chunk[4096];
  while (now_ns() < until) {
    pollfd p{c.fd, POLLIN, 0};
    const int left = static_cast<int>(std::max(1LL, (until - now_ns()) / 1000000LL));
    if (::poll(&p, 1, std::min(left, 50)) == 1 && c.read(chunk, sizeof chunk) <= 0) return false;
  }
  return true;
}

// One request answered from the queues; false ends the connection.
bool serve_queued(conn& c, const config& cfg, const std::string& head, const std::string& path) {
  const std::string& dir = cfg.fixtures;
  if (const std::string token = read_all(dir + "/token"); !token.empty()) {
    std::string auth;
    if (auto a = head.find("\r\nAuthorization: "); a != std::string::npos)
      auth = head.substr(a + 17, head.find("\r\n", a + 2) - a - 17);
    if (auth != "Bearer " + token)
      return answer(c, 401, status_json(401, "Unauthorized", "Unauthorized"));
  }
  std::string key = path.substr(0, path.find('?'));
  std::replace(key.begin(), key.end(), '/', '_');
  const std::string q = dir + "/q/" + key;
  if (param(path, "watch").empty()) {
    std::string text;
    {
      queue_lock lock(dir);
      const auto files = queued(q, "list");
      if (files.empty())
        return answer(
            c, 404,
            status_json(404, "NotFound", "the server could not find the requested resource"));
      text = read_all(files.front());
      if (files.size() > 1) std::remove(files.front().c_str());
    }
    const auto nl = text.find('\n');
    return answer(c, std::atoi(text.c_str()), nl == std::string::npos ? "" : text.substr(nl + 1));
  }
  int status = 200, hold = 1, delay_ms = 0;
  std::string body, expect = "-";
  {
    queue_lock lock(dir);
    const auto files = queued(q, "watch");
    if (!files.empty()) {
      const std::string text = read_all(files.front());
      std::istringstream first(text.substr(0, text.find('\n')));
      first >> status >> expect >> hold >> delay_ms;
      const std::string rv = param(path, "resourceVersion");
      if (expect != "-" && rv != expect) {
        std::ofstream(dir + "/mismatches.log", std::ios::app) << path << '\n';
        return answer(c, 400, status_json(400, "BadRequest", "unexpected resourceVersion " + rv));
      }
      const auto nl = text.find('\n');
      body = nl == std::string::npos ? "" : text.substr(nl + 1);
      std::remove(files.front().c_str());
    }
  }
  if (status != 200) return answer(c, status, body);
  if (!c.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
               "Transfer-Encoding: chunked\r\n\r\n"))
    return false;
  if (delay_ms > 0 && !hold_idle(c, delay_ms)) return false;
  if (!body.empty() && !write_chunk(c, body)) return false;
  const std::string ms = read_all(dir + "/idle_hold_ms");
  if (hold && !hold_idle(c, ms.empty() ? 300 : std::atoi(ms.c_str()))) return false;
  return c.write("0\r\n\r\n");
}

void serve(conn c, const config& cfg) {
  std::string buf;
  char chunk[4096];
  for (;;) {
    std::size_t end;
    while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
      if (buf.size() > 65536) return;
      const int n = c.read(chunk, sizeof chunk);
      if (n <= 0) return;
      buf.append(chunk, std::size_t(n));
    }
    const std::string head = buf.substr(0, end);
    buf.erase(0, end + 4);
    const auto sp1 = head.find(' ');
    const auto sp2 = head.find(' ', sp1 + 1);
    if (sp1 == std::string::npos || sp2 == std::string::npos) return;
    const std::string path = head.substr(sp1 + 1, sp2 - sp1 - 1);
    // A POST's body (etcd's gateway) is read and ignored.
    if (auto cl = head.find("\r\nContent-Length: "); cl != std::string::npos) {
      const std::size_t want = std::strtoul(head.c_str() + cl + 18, nullptr, 10);
      while (buf.size() < want) {
        const int n = c.read(chunk, sizeof chunk);
        if (n <= 0) return;
        buf.append(chunk, std::size_t(n));
      }
      buf.erase(0, want);
    }
    if (!cfg.fixtures.empty()) {
      std::string auth;
      if (auto a = head.find("\r\nAuthorization: "); a != std::string::npos)
        auth = head.substr(a + 17, head.find("\r\n", a + 2) - a - 17);
      std::ofstream(cfg.fixtures + "/requests.log", std::ios::app)
          << head.substr(0, sp1) << ' ' << path << " auth=" << auth << '\n';
    }
    if (cfg.queues) {
      if (!serve_queued(c, cfg, head, path)) return;
      continue;
    }
    if (path.find("watch=") == std::string::npos && !path.starts_with("/v3/watch")) {
      const std::string body = read_fixture(cfg, path);
      if (!c.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                   std::to_string(body.size()) + "\r\n\r\n" + body))
        return;
      continue;
    }
    if (!c.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n"))
      return;
    for (const auto& [i, ev] : scripted(cfg, path)) {
      if (cfg.due_ms > 0) {
        const long long due =
            cfg.started_ns + static_cast<long long>(cfg.due_ms) * (i + 1) * 1000000LL;
        if (due > now_ns()) ::usleep(static_cast<useconds_t>((due - now_ns()) / 1000));
        if (!write_chunk(c, ev)) return;
        std::ofstream(cfg.fixtures + "/sent.log", std::ios::app)
            << segment(path) << ' ' << first_rv(ev) << ' ' << due << '\n';
        continue;
      }
      ::usleep(static_cast<useconds_t>(cfg.script_ms) * 1000);
      if (!write_chunk(c, ev)) return;
    }
    if (cfg.stream_ms == 0) {
      while (c.read(chunk, sizeof chunk) > 0) {
      }
      return;
    }
    const std::string ev =
        R"({"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"1"}}})"
        "\n";
    for (;;) {
      if (!write_chunk(c, ev)) return;
      ::usleep(static_cast<useconds_t>(cfg.stream_ms) * 1000);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  config cfg;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&] {
      if (i + 1 >= argc) die("an option lacks its value");
      return std::string{argv[++i]};
    };
    if (a == "--cert-out")
      cfg.cert_out = value();
    else if (a == "--key-out")
      cfg.key_out = value();
    else if (a == "--fixtures")
      cfg.fixtures = value();
    else if (a == "--stream-ms")
      cfg.stream_ms = std::atoi(value().c_str());
    else if (a == "--script-ms")
      cfg.script_ms = std::atoi(value().c_str());
    else if (a == "--due-ms")
      cfg.due_ms = std::atoi(value().c_str());
    else if (a == "--plain")
      cfg.plain = true;
    else if (a == "--queues")
      cfg.queues = true;
    else if (a == "--port")
      cfg.port = std::atoi(value().c_str());
    else if (a == "--cert-in")
      cfg.cert_in = value();
    else if (a == "--key-in")
      cfg.key_in = value();
    else
      die("unknown option");
  }
  cfg.started_ns = now_ns();
  // A test that dies (a SIGPIPE, a crash) takes its server with it.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() == 1) return 0;
  // The server's own writes to a client that left must fail with EPIPE, not kill it.
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGCHLD, SIG_IGN);  // children are reaped by the kernel

  SSL_CTX* ctx = nullptr;
  if (!cfg.plain) {
    EVP_PKEY* key = nullptr;
    X509* cert = nullptr;
    if (!cfg.cert_in.empty()) {
      // The identity of a server that ran before: a client that trusts it trusts this one.
      FILE* cf = std::fopen(cfg.cert_in.c_str(), "r");
      FILE* kf = std::fopen(cfg.key_in.c_str(), "r");
      if (!cf || !kf) die("cannot read --cert-in / --key-in");
      cert = PEM_read_X509(cf, nullptr, nullptr, nullptr);
      key = PEM_read_PrivateKey(kf, nullptr, nullptr, nullptr);
      std::fclose(cf);
      std::fclose(kf);
      if (!cert || !key) die("--cert-in / --key-in hold no PEM certificate / key");
    } else {
      make_identity(key, cert);
    }
    if (!cfg.cert_out.empty()) write_pem(cfg.cert_out, cert, nullptr);
    if (!cfg.key_out.empty()) write_pem(cfg.key_out, nullptr, key);
    ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx || SSL_CTX_use_certificate(ctx, cert) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1)
      die("cannot make the TLS context");
  }

  const int ls = ::socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  ::setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(cfg.port));
  if (::bind(ls, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(ls, 64) != 0) {
    if (cfg.port != 0) {
      std::printf("0\n");  // the port asked for is taken: the test says so and moves on
      std::fflush(stdout);
      return 3;
    }
    die("cannot listen");
  }
  socklen_t len = sizeof addr;
  ::getsockname(ls, reinterpret_cast<sockaddr*>(&addr), &len);
  std::printf("%d\n", ntohs(addr.sin_port));
  std::fflush(stdout);

  for (;;) {
    const int fd = ::accept(ls, nullptr, nullptr);
    if (fd < 0) continue;
    if (::fork() == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::close(ls);
      conn c{fd, nullptr};
      if (ctx) {
        c.ssl = SSL_new(ctx);
        SSL_set_fd(c.ssl, fd);
        if (SSL_accept(c.ssl) != 1) ::_exit(0);
      }
      serve(c, cfg);
      ::_exit(0);
    }
    ::close(fd);
  }
}
