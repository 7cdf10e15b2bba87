// The `coffer` CLI's HTTP client: Vault's API over cpp-httplib, configured
// as Vault's CLI is (COFFER_ADDR or VAULT_ADDR, COFFER_TOKEN or VAULT_TOKEN,
// COFFER_CACERT, COFFER_CLIENT_CERT, COFFER_CLIENT_KEY,
// COFFER_SKIP_VERIFY, COFFER_MAX_RETRIES; each also as VAULT_*).
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
  // Retries of a request answered 412 or 5xx other than 501, as Vault's
  // CLI (VAULT_MAX_RETRIES, default 2: three attempts in all; 0 or less:
  // none). The n-th retry waits n times 1 to 1.5 s (linear with jitter).
  // A request that got no answer (no connection) is not retried.
  int max_retries = 2;
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

  // `path` is after /v1/. `body` is sent as JSON when set. Call, Download
  // and Upload retry as options().max_retries says (and block meanwhile).
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
  Reply DownloadOnce(const std::string& path,
                     const std::function<bool(const char*, size_t)>& sink);
  // Runs `send` until its reply is not one to retry, or retries run out.
  Reply Retrying(const std::function<Reply()>& send) const;
  httplib::Headers Headers() const;

  ClientOptions options_;
  std::unique_ptr<httplib::Client> http_;
};

}  // namespace coffercli

#endif  // COFFER_EXAMPLES_COFFERD_CLI_CLIENT_H_
