// The `coffer` CLI's HTTP client: Vault's API over cpp-httplib, configured
// as Vault's CLI is (COFFER_ADDR or VAULT_ADDR, COFFER_TOKEN or VAULT_TOKEN,
// COFFER_CACERT, COFFER_CLIENT_CERT, COFFER_CLIENT_KEY,
// COFFER_SKIP_VERIFY; each also as VAULT_*).
#ifndef COFFER_EXAMPLES_COFFERD_CLI_CLIENT_H_
#define COFFER_EXAMPLES_COFFERD_CLI_CLIENT_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "httplib.h"
#include "nlohmann/json.hpp"

namespace coffercli {

using json = nlohmann::json;

struct ClientOptions {
  std::string address = "https://127.0.0.1:8200";
  std::string token;
  std::string ca_cert;
  std::string client_cert;
  std::string client_key;
  bool skip_verify = false;
};

// Reads the environment into options (flags may override afterwards).
ClientOptions OptionsFromEnvironment();

struct Reply {
  int status = 0;        // 0: no HTTP answer (see error)
  json body;             // null when the answer had no JSON body
  std::string error;     // transport error, when status == 0
  std::string location;  // the Location header of a redirect
  bool ok() const { return status >= 200 && status < 300; }
};

class Client {
 public:
  explicit Client(const ClientOptions& options);

  // `path` is after /v1/. `body` is sent as JSON when set.
  Reply Call(const std::string& method, const std::string& path,
             const std::optional<json>& body = std::nullopt);
  // GET that hands the body to `sink` in pieces (for large downloads).
  Reply Download(const std::string& path,
                 const std::function<bool(const char*, size_t)>& sink);
  // POST whose body `size` bytes come from `source(offset, buf, len)`.
  Reply Upload(const std::string& path, size_t size,
               const httplib::Headers& extra,
               const std::function<size_t(size_t, char*, size_t)>& source);

  const ClientOptions& options() const { return options_; }
  // "Error making API request" text as Vault prints it.
  std::string Describe(const std::string& method, const std::string& path,
                       const Reply& r) const;

 private:
  Reply Finish(const httplib::Result& res);
  httplib::Headers Headers() const;

  ClientOptions options_;
  std::unique_ptr<httplib::Client> http_;
};

}  // namespace coffercli

#endif  // COFFER_EXAMPLES_COFFERD_CLI_CLIENT_H_
