#include "storage/db.h"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
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

namespace {

constexpr absl::string_view kDiskFull = "storage: no space left on device";

// LevelDB's Posix Env reports errno as strerror's text only.
bool IsNoSpace(const leveldb::Status& s) {
  if (!s.IsIOError()) return false;
  const std::string text = s.ToString();
  return absl::StrContains(text, std::strerror(ENOSPC)) ||
         absl::StrContains(text, std::strerror(EDQUOT));
}

}  // namespace

bool IsDiskFull(const absl::Status& s) {
  // Callers may prefix the message ("node: ").
  return s.code() == absl::StatusCode::kResourceExhausted &&
         absl::StrContains(s.message(), kDiskFull);
}

absl::Status FromLevelDb(const leveldb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  std::string message = absl::StrCat("storage: ", what, ": ", s.ToString());
  if (s.IsCorruption()) return absl::DataLossError(message);
  if (IsNoSpace(s)) {
    return absl::ResourceExhaustedError(
        absl::StrCat(kDiskFull, " (", what, ": ", s.ToString(), ")"));
  }
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
  std::unique_ptr<Db> db(new Db(options.path, std::move(cache),
                                std::move(filter), std::move(env), lo,
                                std::unique_ptr<leveldb::DB>(raw)));
  COFFER_RETURN_IF_ERROR(db->CheckFormat());
  return db;
}

Db::Db(std::string path, std::unique_ptr<leveldb::Cache> cache,
       std::unique_ptr<const leveldb::FilterPolicy> filter,
       std::unique_ptr<OrderedLogEnv> env, leveldb::Options options,
       std::unique_ptr<leveldb::DB> db)
    : path_(std::move(path)),
      cache_(std::move(cache)),
      filter_(std::move(filter)),
      env_(std::move(env)),
      options_(options),
      db_(std::move(db)) {}

// The DB holds pointers into the cache, the filter and the Env: close it
// first.
Db::~Db() {
  absl::WriterMutexLock lock(&db_mu_);
  db_.reset();
}

// Counts itself in Db::open_iterators_ while it lives.
class Db::CountedIterator final : public leveldb::Iterator {
 public:
  CountedIterator(leveldb::Iterator* base, std::atomic<int>* count)
      : base_(base), count_(count) {
    count_->fetch_add(1, std::memory_order_relaxed);
  }
  ~CountedIterator() override {
    base_.reset();
    count_->fetch_sub(1, std::memory_order_relaxed);
  }
  bool Valid() const override { return base_->Valid(); }
  void SeekToFirst() override { base_->SeekToFirst(); }
  void SeekToLast() override { base_->SeekToLast(); }
  void Seek(const leveldb::Slice& target) override { base_->Seek(target); }
  void Next() override { base_->Next(); }
  void Prev() override { base_->Prev(); }
  leveldb::Slice key() const override { return base_->key(); }
  leveldb::Slice value() const override { return base_->value(); }
  leveldb::Status status() const override { return base_->status(); }

 private:
  std::unique_ptr<leveldb::Iterator> base_;
  std::atomic<int>* const count_;
};

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
  if (IsDiskFull(write_error_)) {
    return absl::ResourceExhaustedError(
        absl::StrCat(kDiskFull,
                     ": an earlier write failed; writes resume once space is "
                     "freed and the store reopened (",
                     write_error_.message(), ")"));
  }
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

absl::Status Db::CheckOpen() const {
  if (db_ != nullptr) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat("storage: the database is closed: its reopen failed (",
                   closed_.message(), ")"));
}

absl::Status Db::Write(leveldb::WriteBatch* batch, bool sync) {
  COFFER_RETURN_IF_ERROR(CheckWritable());
  absl::ReaderMutexLock lock(&db_mu_);
  COFFER_RETURN_IF_ERROR(CheckOpen());
  leveldb::WriteOptions wo;
  wo.sync = sync;
  absl::Status s = FromLevelDb(db_->Write(wo, batch), "write");
  if (IsDiskFull(s) && env_->log_sync_failed()) {
    // The record reached the log but its fsync failed: it may survive a
    // reopen or not. Not retryable (see db.h).
    s = absl::UnavailableError(
        absl::StrCat("storage: fsync of the log failed: ", s.message()));
  }
  return Sticky(std::move(s));
}

absl::Status Db::Commit(WriteGroup* group, bool sync) {
  COFFER_RETURN_IF_ERROR(Write(&group->batch_, sync));
  for (std::function<void()>& hook : group->hooks_) hook();
  group->hooks_.clear();
  return absl::OkStatus();
}

absl::Status Db::SyncLog() {
  COFFER_RETURN_IF_ERROR(CheckWritable());
  leveldb::Status s = env_->SyncLog();
  if (s.ok()) return absl::OkStatus();
  // Never retryable, a full disk included (see db.h).
  return Sticky(absl::UnavailableError(
      absl::StrCat("storage: fsync of the log failed: ", s.ToString())));
}

int Db::open_iterators() const {
  return open_iterators_.load(std::memory_order_relaxed);
}

absl::Status Db::Reopen(uint64_t reserve_bytes) {
  const absl::Status error = write_error();
  if (!IsDiskFull(error)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "storage: Reopen is for a full disk; the store's write error is: ",
        error.ToString()));
  }
  absl::WriterMutexLock lock(&db_mu_);
  if (const int n = open_iterators(); n != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("storage: cannot reopen the database while ", n,
                     " iterators are open"));
  }
  if (db_ != nullptr) {
    // The reopen writes the memtable out as a table (and a new log file
    // and manifest): without room for it, it would fail and leave the
    // database closed. Stay open for reads until there is.
    std::string memtable;
    uint64_t need = reserve_bytes;
    if (db_->GetProperty("leveldb.approximate-memory-usage", &memtable)) {
      need += std::strtoull(memtable.c_str(), nullptr, 10);
    }
    struct statvfs fs;
    if (::statvfs(path_.c_str(), &fs) == 0) {
      const uint64_t free_bytes = static_cast<uint64_t>(fs.f_bavail) *
                                  static_cast<uint64_t>(fs.f_frsize);
      if (free_bytes < need) {
        return absl::ResourceExhaustedError(
            absl::StrCat(kDiskFull, ": ", free_bytes, " bytes free, ", need,
                         " needed to reopen the database"));
      }
    }
    db_.reset();
  }
  leveldb::DB* raw = nullptr;
  absl::Status s =
      FromLevelDb(leveldb::DB::Open(options_, path_, &raw), "reopen " + path_);
  if (!s.ok()) {
    closed_ = s;
    return s;
  }
  db_.reset(raw);
  closed_ = absl::OkStatus();
  absl::MutexLock l(&mu_);
  write_error_ = absl::OkStatus();
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> Db::Get(absl::string_view key) {
  absl::ReaderMutexLock lock(&db_mu_);
  COFFER_RETURN_IF_ERROR(CheckOpen());
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
  absl::ReaderMutexLock lock(&db_mu_);
  if (absl::Status s = CheckOpen(); !s.ok()) {
    return std::unique_ptr<leveldb::Iterator>(leveldb::NewErrorIterator(
        leveldb::Status::IOError(std::string(s.message()))));
  }
  leveldb::ReadOptions ro;
  ro.verify_checksums = true;
  ro.fill_cache = false;
  return std::make_unique<CountedIterator>(db_->NewIterator(ro),
                                           &open_iterators_);
}

absl::Status Db::write_error() const {
  absl::MutexLock lock(&mu_);
  return write_error_;
}

uint64_t Db::ApproximateSize(absl::string_view start, absl::string_view limit) {
  leveldb::Range range(leveldb::Slice(start.data(), start.size()),
                       leveldb::Slice(limit.data(), limit.size()));
  uint64_t size = 0;
  absl::ReaderMutexLock lock(&db_mu_);
  if (db_ != nullptr) db_->GetApproximateSizes(&range, 1, &size);
  return size;
}

void Db::CompactRange(absl::string_view start, absl::string_view limit) {
  leveldb::Slice s(start.data(), start.size());
  leveldb::Slice l(limit.data(), limit.size());
  absl::ReaderMutexLock lock(&db_mu_);
  if (db_ != nullptr) db_->CompactRange(&s, &l);
}

}  // namespace coffer::storage
