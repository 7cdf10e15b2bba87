#include "api_addrs.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace cofferd {
namespace {

constexpr absl::string_view kHelloPrefix = "cofferd-hello/1\n";
constexpr size_t kMaxUrlBytes = 2048;

bool IsUrl(absl::string_view url) {
  if (url.empty() || url.size() > kMaxUrlBytes) return false;
  if (!absl::StartsWith(url, "http://") && !absl::StartsWith(url, "https://")) {
    return false;
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

void ApiAddrs::Configure(uint64_t id, std::string url) {
  absl::MutexLock lock(&mu_);
  configured_[id] = std::move(url);
}

void ApiAddrs::Learn(uint64_t id, std::string url) {
  absl::MutexLock lock(&mu_);
  if (configured_.count(id) == 0) learned_[id] = std::move(url);
}

std::string ApiAddrs::Of(uint64_t id) const {
  absl::MutexLock lock(&mu_);
  for (const auto* book : {&configured_, &learned_}) {
    auto it = book->find(id);
    if (it != book->end()) return it->second;
  }
  return "";
}

std::string EncodeHello(const Hello& hello) {
  return absl::StrCat(kHelloPrefix, hello.node_id, "\n", hello.api_addr);
}

std::optional<Hello> DecodeHello(absl::string_view frame) {
  if (!absl::ConsumePrefix(&frame, kHelloPrefix)) return std::nullopt;
  const size_t nl = frame.find('\n');
  if (nl == absl::string_view::npos) return std::nullopt;
  Hello hello;
  const absl::string_view id = frame.substr(0, nl);
  // SimpleAtoi accepts a sign and spaces; an id is digits only.
  if (id.empty() || id.size() > 20 ||
      id.find_first_not_of("0123456789") != absl::string_view::npos ||
      !absl::SimpleAtoi(id, &hello.node_id) || hello.node_id == 0) {
    return std::nullopt;
  }
  const absl::string_view url = frame.substr(nl + 1);
  if (!IsUrl(url)) return std::nullopt;
  hello.api_addr = std::string(url);
  return hello;
}

}  // namespace cofferd
