#include "snapshot/inspect.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"

namespace coffer::snapshot {
namespace {

constexpr absl::string_view kOther = "(other)";

std::string JsonString(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7f) {
      out += absl::StrFormat("\\u%04x", u);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// Printable form of a prefix for the text output.
std::string TextString(absl::string_view s) {
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) {
      out += absl::StrFormat("\\x%02x", u);
    } else {
      out += c;
    }
  }
  return out;
}

std::string Ids(const google::protobuf::RepeatedField<uint64_t>& ids) {
  return absl::StrJoin(ids, ",");
}

}  // namespace

absl::StatusOr<Inspection> InspectSnapshot(const std::string& path) {
  COFFER_ASSIGN_OR_RETURN(std::unique_ptr<SnapshotReader> reader,
                          SnapshotReader::Open(path, std::nullopt));
  Inspection out;
  out.format_version = reader->format_version();
  out.header = reader->header();
  out.file_bytes = reader->file_size();
  absl::string_view key, value;
  for (;;) {
    COFFER_ASSIGN_OR_RETURN(bool more, reader->Next(&key, &value));
    if (!more) break;
    out.key_bytes += key.size();
    out.value_bytes += value.size();
    size_t slash = key.find('/');
    std::string prefix(slash == absl::string_view::npos ? absl::string_view()
                                                        : key.substr(0, slash));
    auto it = out.by_prefix.find(prefix);
    if (it == out.by_prefix.end()) {
      if (out.by_prefix.size() >= kMaxInspectPrefixes)
        prefix = std::string(kOther);
      it = out.by_prefix.try_emplace(prefix).first;
    }
    it->second.records++;
    it->second.bytes += key.size() + value.size();
  }
  out.records = reader->records();
  return out;
}

std::string InspectionText(const Inspection& in) {
  std::string out;
  absl::StrAppend(&out, "format version: ", in.format_version, "\n");
  absl::StrAppend(&out, "cluster id:     ", TextString(in.header.cluster_id),
                  "\n");
  absl::StrAppend(&out, "index:          ", in.header.index, "\n");
  absl::StrAppend(&out, "term:           ", in.header.term, "\n");
  const raftpb::ConfState& cs = in.header.conf_state;
  absl::StrAppend(&out, "voters:         ", Ids(cs.voters()), "\n");
  absl::StrAppend(&out, "learners:       ", Ids(cs.learners()), "\n");
  if (cs.voters_outgoing_size() > 0) {
    absl::StrAppend(&out, "voters (outgoing): ", Ids(cs.voters_outgoing()),
                    "\n");
  }
  absl::StrAppend(&out, "records:        ", in.records, "\n");
  absl::StrAppend(&out, "file bytes:     ", in.file_bytes, "\n");
  absl::StrAppend(&out, "key bytes:      ", in.key_bytes, "\n");
  absl::StrAppend(&out, "value bytes:    ", in.value_bytes, "\n");
  absl::StrAppend(&out, "by prefix:\n");
  for (const auto& [prefix, stats] : in.by_prefix) {
    absl::StrAppend(&out, "  ",
                    prefix.empty() ? "(no prefix)" : TextString(prefix), ": ",
                    stats.records, " records, ", stats.bytes, " bytes\n");
  }
  return out;
}

std::string InspectionJson(const Inspection& in) {
  const raftpb::ConfState& cs = in.header.conf_state;
  std::string out = absl::StrCat(
      "{\"format_version\":", in.format_version,
      ",\"cluster_id\":", JsonString(in.header.cluster_id),
      ",\"index\":", in.header.index, ",\"term\":", in.header.term,
      ",\"membership\":{\"voters\":[", Ids(cs.voters()), "],\"learners\":[",
      Ids(cs.learners()), "],\"voters_outgoing\":[", Ids(cs.voters_outgoing()),
      "]},\"records\":", in.records, ",\"file_bytes\":", in.file_bytes,
      ",\"key_bytes\":", in.key_bytes, ",\"value_bytes\":", in.value_bytes,
      ",\"by_prefix\":{");
  bool first = true;
  for (const auto& [prefix, stats] : in.by_prefix) {
    absl::StrAppend(&out, first ? "" : ",", JsonString(prefix),
                    ":{\"records\":", stats.records, ",\"bytes\":", stats.bytes,
                    "}");
    first = false;
  }
  return out + "}}";
}

}  // namespace coffer::snapshot
