#include "snapshot_api.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "coffer/snapshot.h"
#include "http_util.h"

namespace cofferd {
namespace {

constexpr char kSave[] = "/v1/sys/storage/raft/snapshot";
constexpr char kForce[] = "/v1/sys/storage/raft/snapshot-force";

std::string TempPath(const std::string& dir, absl::string_view what) {
  static absl::BitGen* gen = new absl::BitGen();
  static absl::Mutex mu;
  uint64_t r;
  {
    absl::MutexLock lock(&mu);
    r = absl::Uniform<uint64_t>(*gen);
  }
  return (std::filesystem::path(dir) /
          absl::StrCat(".cofferd-", what, "-", absl::Hex(r), ".tmp"))
      .string();
}

void Save(coffer::Node* node, const HttpApiOptions& options,
          const httplib::Request& req, httplib::Response& res) {
  if (!Unsealed(node, res)) return;
  const std::string tmp = TempPath(options.scratch_dir, "save");
  absl::Status s = node->SnapshotSave(CallerOf(req), tmp);
  if (!s.ok()) return StatusError(res, s);
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(tmp, ec);
  auto in = std::make_shared<std::ifstream>(tmp, std::ios::binary);
  if (ec || !*in) {
    std::filesystem::remove(tmp, ec);
    return Error(res, 500, "cannot read the saved snapshot");
  }
  res.status = 200;
  res.set_content_provider(
      size, "application/octet-stream",
      [in](size_t offset, size_t length, httplib::DataSink& sink) {
        std::vector<char> buf(std::min<size_t>(length, 1 << 20));
        in->seekg(static_cast<std::streamoff>(offset));
        in->read(buf.data(), static_cast<std::streamsize>(buf.size()));
        if (in->gcount() <= 0) return false;
        return sink.write(buf.data(), static_cast<size_t>(in->gcount()));
      },
      [in, tmp](bool) {
        in->close();
        std::error_code ignored;
        std::filesystem::remove(tmp, ignored);
      });
}

void Restore(coffer::Node* node, const HttpApiOptions& options, bool force,
             const httplib::Request& req, httplib::Response& res,
             const httplib::ContentReader& content) {
  if (!Unsealed(node, res)) return;
  absl::StatusOr<coffer::LeaderInfo> leader = node->Leader();
  if (!leader.ok()) return StatusError(res, leader.status());
  if (!leader->is_self) {
    // A restore runs on the leader: send the client there (Vault's
    // standbys do the same when they do not forward).
    const std::string url = options.api_addrs == nullptr
                                ? ""
                                : options.api_addrs->Of(leader->leader_id);
    if (url.empty()) {
      return Error(
          res, 503,
          absl::StrCat("a restore runs on the leader (node ", leader->leader_id,
                       "), whose API address this node does not "
                       "know"));
    }
    res.set_header("Location", url + req.path);
    return Error(res, 307, "a restore runs on the leader");
  }
  const std::string tmp = TempPath(options.scratch_dir, "restore");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    const bool read = content([&](const char* data, size_t n) {
      out.write(data, static_cast<std::streamsize>(n));
      return out.good();
    });
    out.close();
    if (!read || !out) {
      std::error_code ignored;
      std::filesystem::remove(tmp, ignored);
      return Error(res, 400, "cannot receive the snapshot");
    }
  }
  coffer::SnapshotRestoreOptions o;
  o.force = force;
  const std::string keys = req.get_header_value("X-Coffer-Unseal-Keys");
  for (absl::string_view k : absl::StrSplit(keys, ',', absl::SkipEmpty())) {
    o.unseal_keys.emplace_back(absl::StripAsciiWhitespace(k));
  }
  absl::Status s = node->SnapshotRestore(CallerOf(req), tmp, o);
  std::error_code ignored;
  std::filesystem::remove(tmp, ignored);
  if (!s.ok()) {
    switch (s.code()) {
      case absl::StatusCode::kDataLoss:  // corrupt, truncated, tampered
      case absl::StatusCode::kFailedPrecondition:  // another cluster's
      case absl::StatusCode::kInvalidArgument:
        return Error(res, 400, std::string(s.message()));
      default:
        return StatusError(res, s);
    }
  }
  NoContent(res);
}

}  // namespace

bool IsSnapshotRoute(const std::string& path) {
  return path == kSave || path == kForce;
}

void RegisterSnapshotApi(httplib::Server* server, coffer::Node* node,
                         const HttpApiOptions& options) {
  server->Get(kSave, [node, options](const httplib::Request& req,
                                     httplib::Response& res) {
    Save(node, options, req, res);
  });
  for (bool force : {false, true}) {
    server->Post(force ? kForce : kSave,
                 [node, options, force](const httplib::Request& req,
                                        httplib::Response& res,
                                        const httplib::ContentReader& c) {
                   Restore(node, options, force, req, res, c);
                 });
  }
}

}  // namespace cofferd
