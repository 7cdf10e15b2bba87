#include "node/recover.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "hcl/hcl.h"
#include "node/join.h"

namespace coffer::node {
namespace {

// The text goes to the HCL JSON reader as the array member of an object:
// `{"peers":` + text + `}`. Positions on the first line move by the prefix.
constexpr absl::string_view kWrapKey = "peers";
constexpr int kPrefixColumns = 9;  // {"peers":

struct Element {
  hcl::Pos pos;
  const std::vector<hcl::Attribute>* attributes = nullptr;
  const std::vector<hcl::Block>* blocks = nullptr;  // nested objects
};

hcl::Pos Unwrap(hcl::Pos p) {
  if (p.line == 1) p.column -= kPrefixColumns;
  return p;
}

absl::Status Bad(absl::string_view path, hcl::Pos pos, absl::string_view why) {
  pos = Unwrap(pos);
  return absl::InvalidArgumentError(
      absl::StrCat("node: ", path, ":", pos.line, ":", pos.column, ": ", why));
}

// "hcl: <line>:<col>: what" from the reader, as Bad's message.
absl::Status FromHcl(absl::string_view path, const absl::Status& s) {
  absl::string_view m = s.message();
  if (absl::ConsumePrefix(&m, "hcl: ")) {
    std::vector<absl::string_view> parts =
        absl::StrSplit(m, absl::MaxSplits(':', 2));
    hcl::Pos pos;
    if (parts.size() == 3 && absl::SimpleAtoi(parts[0], &pos.line) &&
        absl::SimpleAtoi(parts[1], &pos.column)) {
      return Bad(path, pos, absl::StripLeadingAsciiWhitespace(parts[2]));
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("node: ", path, ": ", s.message()));
}

absl::StatusOr<uint64_t> ParseId(absl::string_view path, const hcl::Value& v) {
  constexpr absl::string_view kWhy =
      "id: must be a coffer node id, a positive integer (a number or a "
      "string of decimal digits)";
  uint64_t id = 0;
  if (v.is_number()) {
    if (!v.is_integer || v.integer < 1) return Bad(path, v.pos, kWhy);
    return static_cast<uint64_t>(v.integer);
  }
  if (!v.is_string() || v.string.empty() ||
      !absl::c_all_of(v.string, absl::ascii_isdigit) ||
      !absl::SimpleAtoi(v.string, &id) || id == 0) {
    return Bad(path, v.pos, kWhy);
  }
  return id;
}

absl::StatusOr<RecoveryPeer> ParsePeer(absl::string_view path,
                                       const Element& e) {
  if (e.blocks != nullptr && !e.blocks->empty()) {
    const hcl::Block& b = e.blocks->front();
    return Bad(path, b.pos,
               absl::StrCat(b.type,
                            ": must not be an object (a peer has "
                            "\"id\", \"address\" and \"non_voter\")"));
  }
  RecoveryPeer peer;
  bool has_id = false;
  bool has_address = false;
  for (const hcl::Attribute& a : *e.attributes) {
    if (a.key == "id") {
      COFFER_ASSIGN_OR_RETURN(peer.id, ParseId(path, a.value));
      has_id = true;
    } else if (a.key == "address") {
      if (!a.value.is_string() || a.value.string.empty() ||
          a.value.string.size() > 1024) {
        return Bad(path, a.value.pos,
                   "address: must be a string of 1..1024 bytes");
      }
      peer.address = a.value.string;
      has_address = true;
    } else if (a.key == "non_voter") {
      if (!a.value.is_bool()) {
        return Bad(path, a.value.pos, "non_voter: must be true or false");
      }
      peer.non_voter = a.value.boolean;
    } else {
      return Bad(path, a.pos,
                 absl::StrCat("unknown key \"", a.key,
                              "\" (a peer has \"id\", \"address\" and "
                              "\"non_voter\")"));
    }
  }
  if (!has_id) return Bad(path, e.pos, "a peer without \"id\"");
  if (!has_address) return Bad(path, e.pos, "a peer without \"address\"");
  return peer;
}

}  // namespace

absl::StatusOr<std::vector<RecoveryPeer>> ParsePeersFile(
    absl::string_view text, absl::string_view path) {
  // The array must be the whole document: anything before it would be
  // read as part of the wrapping object.
  hcl::Pos first{1, 1};
  for (char c : text) {
    if (c == '\n') {
      ++first.line;
      first.column = 1;
    } else if (c == ' ' || c == '\t' || c == '\r') {
      ++first.column;
    } else {
      break;
    }
  }
  // Positions given to Bad are in the wrapped text.
  if (first.line == 1) first.column += kPrefixColumns;
  absl::string_view rest = absl::StripLeadingAsciiWhitespace(text);
  if (rest.empty() || rest.front() != '[') {
    return Bad(path, first,
               "expected a JSON array of peers ([{\"id\": ..., "
               "\"address\": ...}, ...])");
  }
  hcl::Options options;
  options.block_labels[std::string(kWrapKey)] = 0;
  absl::StatusOr<hcl::Body> body =
      hcl::ParseJson(absl::StrCat("{\"", kWrapKey, "\":", text, "}"), options);
  if (!body.ok()) return FromHcl(path, body.status());

  std::vector<Element> elements;
  for (const hcl::Attribute& a : body->attributes) {
    if (a.key != kWrapKey) {
      return Bad(path, a.pos, "unexpected text after the array of peers");
    }
    if (!a.value.is_list()) {
      return Bad(path, a.value.pos, "expected a JSON array of peers");
    }
    for (const hcl::Value& v : a.value.list) {
      if (!v.is_object()) {
        return Bad(path, v.pos, "each peer must be a JSON object");
      }
      elements.push_back(Element{v.pos, &v.object, nullptr});
    }
  }
  for (const hcl::Block& b : body->blocks) {
    if (b.type != kWrapKey) {
      return Bad(path, b.pos, "unexpected text after the array of peers");
    }
    elements.push_back(Element{b.pos, &b.body.attributes, &b.body.blocks});
  }
  if (elements.empty()) return Bad(path, first, "the file lists no peers");

  std::vector<RecoveryPeer> peers;
  std::set<uint64_t> ids;
  bool voter = false;
  for (const Element& e : elements) {
    COFFER_ASSIGN_OR_RETURN(RecoveryPeer p, ParsePeer(path, e));
    if (!ids.insert(p.id).second) {
      return Bad(path, e.pos, absl::StrCat("id ", p.id, " is listed twice"));
    }
    voter = voter || !p.non_voter;
    peers.push_back(std::move(p));
  }
  if (!voter) {
    return Bad(path, first,
               "no voter: at least one peer must have \"non_voter\": false");
  }
  return peers;
}

namespace {

absl::Status Unreadable(const std::string& path, const std::string& why) {
  return absl::UnavailableError(
      absl::StrCat("node: cannot read ", path, ": ", why));
}

// Deletes the file and makes the deletion durable, so that a restart never
// applies it again (after later membership changes, that would undo them).
absl::Status RemoveDurably(const std::string& path, const std::string& dir) {
  if (::unlink(path.c_str()) != 0) {
    return absl::UnavailableError(
        absl::StrCat("node: recovered the raft configuration from ", path,
                     " but cannot remove it (", std::strerror(errno),
                     "): remove it before starting this node again"));
  }
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  const bool synced = fd >= 0 && ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  if (!synced) {
    return absl::UnavailableError(
        absl::StrCat("node: cannot fsync ", dir, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

std::string IdList(const std::vector<uint64_t>& ids) {
  return ids.empty() ? "none" : absl::StrJoin(ids, ", ");
}

}  // namespace

absl::StatusOr<std::optional<std::vector<RecoveryPeer>>> RecoverFromPeersFile(
    const NodeOptions& options, storage::LevelDbLog* log,
    const Observer& observer) {
  const std::string path =
      (std::filesystem::path(options.data_dir) / std::string(kPeersFileName))
          .string();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (ec) return Unreadable(path, ec.message());
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) return Unreadable(path, "read failed");
  if (text.str().size() > hcl::kMaxInputBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "node: ", path, ": larger than ", hcl::kMaxInputBytes, " bytes"));
  }
  COFFER_ASSIGN_OR_RETURN(std::vector<RecoveryPeer> peers,
                          ParsePeersFile(text.str(), path));

  raftpb::ConfState conf;
  const RecoveryPeer* self = nullptr;
  for (const RecoveryPeer& p : peers) {
    if (p.id == options.id) self = &p;
    if (p.non_voter) {
      conf.add_learners(p.id);
    } else {
      conf.add_voters(p.id);
    }
  }
  if (self == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "node: ", path, " does not list this node (id ", options.id,
        "): a node outside the recovered cluster must not start with its old "
        "data; fix the file, or remove it and this node's data directory"));
  }
  if (RemovedMarkerExists(options.data_dir)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "node: ", path,
        " is in the data directory of a node that was removed "
        "from its cluster: a removed node is never recovered; remove the "
        "file, and the directory to join again"));
  }
  if (log->LastIndex() == 0 && log->Snapshot().index() == 0) {
    // A new node has no committed entries to bring; recovered as a voter it
    // could form a majority with another new one and elect a leader with an
    // empty log.
    return absl::FailedPreconditionError(absl::StrCat(
        "node: ", path,
        " is in a data directory with no raft state: only the surviving "
        "members are recovered; remove the file and join this node to the "
        "recovered cluster"));
  }
  absl::StatusOr<raft::InitialState> init = log->LoadInitialState();
  const uint64_t commit = init.ok() ? init->hard_state.commit() : 0;
  COFFER_ASSIGN_OR_RETURN(std::set<uint64_t> history,
                          log->ReplaceConfiguration(conf));
  std::vector<uint64_t> voters(conf.voters().begin(), conf.voters().end());
  std::vector<uint64_t> learners(conf.learners().begin(),
                                 conf.learners().end());
  std::vector<uint64_t> unknown;
  for (const RecoveryPeer& p : peers) {
    if (history.count(p.id) == 0) unknown.push_back(p.id);
  }
  observer.Log(
      LogLevel::kWarning,
      absl::StrCat("recovered the raft configuration from ", path,
                   " (quorum lost for good): voters ", IdList(voters),
                   "; non-voters ", IdList(learners),
                   "; every other member is dropped; the log is kept (last "
                   "index ",
                   log->LastIndex(), ", commit index ", commit,
                   "); deleting the file"));
  if (!unknown.empty()) {
    observer.Log(
        LogLevel::kWarning,
        absl::StrCat("peers.json lists ids this node's log never named: ",
                     IdList(unknown), " (accepted: the operator's call)"));
  }
  if (self->address != options.address) {
    observer.Log(
        LogLevel::kWarning,
        absl::StrCat("peers.json gives this node the address ", self->address,
                     "; it keeps its own, ", options.address));
  }
  observer.Count("raft.peers_recovered");
  COFFER_RETURN_IF_ERROR(RemoveDurably(path, options.data_dir));
  return peers;
}

}  // namespace coffer::node
