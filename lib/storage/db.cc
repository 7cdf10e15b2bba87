#include "storage/db.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "leveldb/cache.h"
#include "leveldb/env.h"
#include "leveldb/filter_policy.h"
#include "leveldb/options.h"
#include "proto/storage.pb.h"
#include "storage/keys.h"
#include "storage/ordered_log_env.h"

namespace coffer::storage {

absl::Status FromLevelDb(const leveldb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  std::string message = absl::StrCat("storage: ", what, ": ", s.ToString());
  if (s.IsCorruption()) return absl::DataLossError(message);
  if (s.IsIOError()) return absl::UnavailableError(message);
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(message);
  return absl::InternalError(message);
}

absl::StatusOr<std::unique_ptr<Db>> Db::Open(const DbOptions& options) {
  if (options.path.empty()) {
    return absl::InvalidArgumentError("storage: DbOptions.path is empty");
  }
  std::unique_ptr<leveldb::Cache> cache(
      leveldb::NewLRUCache(options.block_cache_bytes));
  leveldb::Options lo;
  lo.create_if_missing = options.create_if_missing;
  lo.paranoid_checks = true;
  lo.write_buffer_size = options.write_buffer_bytes;
  lo.block_cache = cache.get();
  // Records are mostly ciphertext, which does not compress: compressing
  // only spends CPU. Bloom filters spare a block read for an absent key,
  // which every new secret's first write looks up.
  lo.compression = leveldb::kNoCompression;
  std::unique_ptr<const leveldb::FilterPolicy> filter(
      leveldb::NewBloomFilterPolicy(10));
  lo.filter_policy = filter.get();
  std::unique_ptr<OrderedLogEnv> env = NewOrderedLogEnv(
      options.env != nullptr ? options.env : leveldb::Env::Default());
  lo.env = env.get();
  leveldb::DB* raw = nullptr;
  COFFER_RETURN_IF_ERROR(FromLevelDb(leveldb::DB::Open(lo, options.path, &raw),
                                     "open " + options.path));
  std::unique_ptr<Db> db(new Db(std::move(cache), std::move(filter),
                                std::move(env),
                                std::unique_ptr<leveldb::DB>(raw)));
  COFFER_RETURN_IF_ERROR(db->CheckFormat());
  return db;
}

Db::Db(std::unique_ptr<leveldb::Cache> cache,
       std::unique_ptr<const leveldb::FilterPolicy> filter,
       std::unique_ptr<OrderedLogEnv> env, std::unique_ptr<leveldb::DB> db)
    : cache_(std::move(cache)),
      filter_(std::move(filter)),
      env_(std::move(env)),
      db_(std::move(db)) {}

// The DB holds pointers into the cache, the filter and the Env: close it
// first.
Db::~Db() { db_.reset(); }

absl::Status Db::CheckFormat() {
  COFFER_ASSIGN_OR_RETURN(std::optional<std::string> value, Get(keys::kFormat));
  if (!value.has_value()) {
    std::unique_ptr<leveldb::Iterator> it = NewIterator();
    it->SeekToFirst();
    if (it->Valid()) {
      return absl::DataLossError(
          "storage: database has records but no format record; not a coffer "
          "database, or its format record was lost");
    }
    COFFER_RETURN_IF_ERROR(FromLevelDb(it->status(), "scan"));
    storagepb::Format format;
    format.set_magic(keys::kFormatMagic);
    format.set_version(keys::kFormatVersion);
    leveldb::WriteBatch batch;
    batch.Put(std::string(keys::kFormat), format.SerializeAsString());
    return Write(&batch, /*sync=*/true);
  }
  storagepb::Format format;
  if (!format.ParseFromString(*value) || format.magic() != keys::kFormatMagic) {
    return absl::DataLossError(
        "storage: format record is corrupt or not coffer's");
  }
  if (format.version() != keys::kFormatVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("storage: database format version ", format.version(),
                     " is not supported (this build reads version ",
                     keys::kFormatVersion, ")"));
  }
  return absl::OkStatus();
}

absl::Status Db::CheckWritable() const {
  absl::MutexLock lock(&mu_);
  if (write_error_.ok()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "storage: an earlier write failed, the store accepts no writes "
      "until reopened: ",
      write_error_.message()));
}

absl::Status Db::Sticky(absl::Status s) {
  if (!s.ok()) {
    absl::MutexLock lock(&mu_);
    if (write_error_.ok()) write_error_ = s;
  }
  return s;
}

absl::Status Db::Write(leveldb::WriteBatch* batch, bool sync) {
  COFFER_RETURN_IF_ERROR(CheckWritable());
  leveldb::WriteOptions wo;
  wo.sync = sync;
  return Sticky(FromLevelDb(db_->Write(wo, batch), "write"));
}

absl::Status Db::Commit(WriteGroup* group, bool sync) {
  COFFER_RETURN_IF_ERROR(Write(&group->batch_, sync));
  for (std::function<void()>& hook : group->hooks_) hook();
  group->hooks_.clear();
  return absl::OkStatus();
}

absl::Status Db::SyncLog() {
  COFFER_RETURN_IF_ERROR(CheckWritable());
  return Sticky(FromLevelDb(env_->SyncLog(), "sync"));
}

absl::StatusOr<std::optional<std::string>> Db::Get(absl::string_view key) {
  leveldb::ReadOptions ro;
  ro.verify_checksums = true;
  std::string value;
  leveldb::Status s =
      db_->Get(ro, leveldb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::nullopt;
  COFFER_RETURN_IF_ERROR(FromLevelDb(s, "read"));
  return value;
}

std::unique_ptr<leveldb::Iterator> Db::NewIterator() {
  leveldb::ReadOptions ro;
  ro.verify_checksums = true;
  ro.fill_cache = false;
  return std::unique_ptr<leveldb::Iterator>(db_->NewIterator(ro));
}

absl::Status Db::write_error() const {
  absl::MutexLock lock(&mu_);
  return write_error_;
}

uint64_t Db::ApproximateSize(absl::string_view start, absl::string_view limit) {
  leveldb::Range range(leveldb::Slice(start.data(), start.size()),
                       leveldb::Slice(limit.data(), limit.size()));
  uint64_t size = 0;
  db_->GetApproximateSizes(&range, 1, &size);
  return size;
}

void Db::CompactRange(absl::string_view start, absl::string_view limit) {
  leveldb::Slice s(start.data(), start.size());
  leveldb::Slice l(limit.data(), limit.size());
  db_->CompactRange(&s, &l);
}

}  // namespace coffer::storage
