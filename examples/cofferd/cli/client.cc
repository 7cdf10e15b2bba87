#include "client.h"

#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>

namespace coffercli {
namespace {

std::string Env(const char* coffer, const char* vault) {
  for (const char* name : {coffer, vault}) {
    const char* v = std::getenv(name);
    if (v != nullptr && *v != '\0') return v;
  }
  return "";
}

}  // namespace

ClientOptions OptionsFromEnvironment() {
  ClientOptions o;
  if (std::string a = Env("COFFER_ADDR", "VAULT_ADDR"); !a.empty()) {
    o.address = a;
  }
  o.token = Env("COFFER_TOKEN", "VAULT_TOKEN");
  o.ca_cert = Env("COFFER_CACERT", "VAULT_CACERT");
  o.client_cert = Env("COFFER_CLIENT_CERT", "VAULT_CLIENT_CERT");
  o.client_key = Env("COFFER_CLIENT_KEY", "VAULT_CLIENT_KEY");
  const std::string skip = Env("COFFER_SKIP_VERIFY", "VAULT_SKIP_VERIFY");
  o.skip_verify = !skip.empty() && skip != "0" && skip != "false";
  if (std::string n = Env("COFFER_MAX_RETRIES", "VAULT_MAX_RETRIES");
      !n.empty()) {
    o.max_retries = std::atoi(n.c_str());
  }
  return o;
}

Client::Client(const ClientOptions& options) : options_(options) {
  std::string addr = options_.address;
  while (!addr.empty() && addr.back() == '/') addr.pop_back();
  if (!options_.client_cert.empty()) {
    http_ = std::make_unique<httplib::Client>(addr, options_.client_cert,
                                              options_.client_key);
  } else {
    http_ = std::make_unique<httplib::Client>(addr);
  }
  if (!options_.ca_cert.empty()) http_->set_ca_cert_path(options_.ca_cert);
  http_->enable_server_certificate_verification(!options_.skip_verify);
  http_->set_connection_timeout(10);
  http_->set_read_timeout(120);
  http_->set_write_timeout(120);
}

httplib::Headers Client::Headers() const {
  httplib::Headers h;
  if (!options_.token.empty()) h.emplace("X-Vault-Token", options_.token);
  return h;
}

Reply Client::Finish(const httplib::Result& res) {
  Reply r;
  if (!res) {
    r.error = httplib::to_string(res.error());
    return r;
  }
  r.status = res->status;
  r.location = res->get_header_value("Location");
  if (!res->body.empty()) {
    r.body = json::parse(res->body, nullptr, false);
    if (r.body.is_discarded()) r.body = nullptr;
  }
  return r;
}

Reply Client::Retrying(const std::function<Reply()>& send) const {
  // Vault's rule (its API client's retry policy): 412 and every 5xx but
  // 501, with hashicorp/go-retryablehttp's linear jitter backoff.
  auto retry = [](int status) {
    return status == 412 || (status >= 500 && status != 501);
  };
  Reply r = send();
  std::mt19937 jitter(std::random_device{}());
  std::uniform_int_distribution<int> ms(1000, 1500);
  for (int attempt = 1; attempt <= options_.max_retries && retry(r.status);
       ++attempt) {
    std::this_thread::sleep_for(
        std::chrono::milliseconds(attempt * ms(jitter)));
    r = send();
  }
  return r;
}

Reply Client::Call(const std::string& method, const std::string& path,
                   const std::optional<json>& body) {
  httplib::Request req;
  req.method = method;
  req.path = "/v1/" + path;
  req.headers = Headers();
  if (body) {
    req.body = body->dump();
    req.set_header("Content-Type", "application/json");
  }
  return Retrying([&] { return Finish(http_->send(req)); });
}

Reply Client::Download(const std::string& path,
                       const std::function<bool(const char*, size_t)>& sink) {
  // Only a 2xx answer's body reaches `sink`, so a retried answer wrote
  // nothing.
  return Retrying([&] { return DownloadOnce(path, sink); });
}

Reply Client::DownloadOnce(
    const std::string& path,
    const std::function<bool(const char*, size_t)>& sink) {
  Reply r;
  std::string error_body;
  int status = 0;
  httplib::Result res = http_->Get(("/v1/" + path).c_str(), Headers(),
                                   [&](const httplib::Response& response) {
                                     status = response.status;
                                     return true;
                                   },
                                   [&](const char* data, size_t n) {
                                     if (status >= 200 && status < 300)
                                       return sink(data, n);
                                     error_body.append(data, n);
                                     return true;
                                   });
  if (!res) {
    r.error = httplib::to_string(res.error());
    return r;
  }
  r.status = res->status;
  if (!error_body.empty()) {
    r.body = json::parse(error_body, nullptr, false);
    if (r.body.is_discarded()) r.body = nullptr;
  }
  return r;
}

Reply Client::Upload(
    const std::string& path, size_t size, const httplib::Headers& extra,
    const std::function<size_t(size_t, char*, size_t)>& source) {
  httplib::Headers headers = Headers();
  headers.insert(extra.begin(), extra.end());
  // `source` reads by offset: a retry sends the body again from its start.
  return Retrying([&] {
    return Finish(http_->Post(
        ("/v1/" + path).c_str(), headers, size,
        [&](size_t offset, size_t length, httplib::DataSink& sink) {
          char buf[64 * 1024];
          size_t n = source(offset, buf, std::min(length, sizeof(buf)));
          if (n == 0) return false;
          sink.write(buf, n);
          return true;
        },
        "application/octet-stream"));
  });
}

std::string Client::Describe(const std::string& method, const std::string& path,
                             const Reply& r) const {
  std::string out = "Error making API request.\n\nURL: " + method + " " +
                    options_.address + "/v1/" + path + "\n";
  if (r.status == 0) return out + "Error: " + r.error + "\n";
  out += "Code: " + std::to_string(r.status) + ". Errors:\n\n";
  if (r.body.is_object() && r.body.contains("errors") &&
      r.body["errors"].is_array()) {
    for (const json& e : r.body["errors"]) {
      out += "* " + (e.is_string() ? e.get<std::string>() : e.dump()) + "\n";
    }
  }
  return out;
}

}  // namespace coffercli
